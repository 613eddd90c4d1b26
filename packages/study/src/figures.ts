import { heatmap, PLOT_CONFIG, renderPng, type Spec } from '@wgan/render';
import { formatValue } from './spec.js';
import { METRICS, type StudyReport } from './report.js';

/**
 * The report's figures, drawn by render's plotting: for a grid of two axes a heat map of the primary
 * metric's mean per cell; otherwise the mean with its 95% t-interval as error bars, one point per cell.
 */
export interface Figure {
  file: string;
  spec: Spec;
}

export function studyFigures(report: StudyReport): Figure[] {
  const metric = METRICS.find((m) => m.key === report.primaryMetric)!;
  const figures: Figure[] = [];
  const grids = [...new Set(report.cells.map((c) => c.grid))];
  const rest: StudyReport['cells'] = [];
  for (const grid of grids) {
    const cells = report.cells.filter((c) => c.grid === grid);
    const axes = Object.keys(cells[0].axes);
    if (axes.length !== 2) {
      rest.push(...cells);
      continue;
    }
    const [rowAxis, colAxis] = axes;
    const rows = [...new Set(cells.map((c) => formatValue(c.axes[rowAxis])))];
    const cols = [...new Set(cells.map((c) => formatValue(c.axes[colAxis])))];
    const values = rows.map((r) =>
      cols.map((c) => {
        const cell = cells.find((x) => formatValue(x.axes[rowAxis]) === r && formatValue(x.axes[colAxis]) === c);
        const s = cell?.metrics[metric.key];
        return s && s.n > 0 ? s.mean : null;
      }),
    );
    figures.push({
      file: `heatmap-${grid}.png`,
      spec: heatmap({
        rows,
        cols,
        values,
        rowLabel: rowAxis,
        colLabel: colAxis,
        title: `${report.study}: ${grid}, mean ${metric.label} over seeds`,
        subtitle: `${report.seeds.length} training seeds per cell; ${metric.better} is better`,
        valueLabel: metric.label,
        format: '.3~g',
      }),
    });
  }
  if (rest.length) {
    const points = rest.flatMap((c) => {
      const s = c.metrics[metric.key];
      return s && s.n > 0 ? [{ cell: c.cell, mean: s.mean, lo: s.ci95?.[0] ?? s.mean, hi: s.ci95?.[1] ?? s.mean }] : [];
    });
    if (points.length) {
      const x = {
        field: 'cell',
        type: 'nominal',
        title: 'cell',
        sort: points.map((p) => p.cell),
        axis: { labelAngle: -30 },
      };
      figures.push({
        file: 'intervals.png',
        spec: {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          title: {
            text: `${report.study}: mean ${metric.label} with 95% t-interval`,
            subtitle: `${report.seeds.length} training seeds per cell; ${metric.better} is better`,
          },
          width: Math.max(160, 60 * points.length),
          height: 220,
          data: { values: points },
          layer: [
            {
              mark: { type: 'rule', color: '#000000', strokeWidth: 1.5 },
              encoding: {
                x,
                y: { field: 'lo', type: 'quantitative', title: metric.label, scale: { zero: false } },
                y2: { field: 'hi' },
              },
            },
            {
              mark: { type: 'point', filled: true, size: 60, color: '#000000' },
              encoding: { x, y: { field: 'mean', type: 'quantitative' } },
            },
          ],
          config: PLOT_CONFIG,
        } as unknown as Spec,
      });
    }
  }
  return figures;
}

/** PNGs of the figures (render's vega-lite → SVG → grayscale PNG). */
export async function drawFigures(report: StudyReport): Promise<{ file: string; png: Buffer }[]> {
  const out: { file: string; png: Buffer }[] = [];
  for (const f of studyFigures(report)) out.push({ file: f.file, png: (await renderPng(f.spec, { scale: 2 })).png });
  return out;
}
