import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PLOT_CONFIG, renderPng, type Spec } from '@wgan/render';

/**
 * Figure plumbing over @wgan/render: its specs (scatter, lineChart, heatmap, barChart) laid out in a grid
 * of panels, drawn headlessly and rasterised to grayscale PNG.
 */

/** Channels whose scales and legends stay per panel (else vega-lite merges them across panels). */
const PANEL_CHANNELS = ['color', 'stroke', 'fill', 'strokeDash', 'shape', 'opacity', 'size'];

/** Panels (specs from @wgan/render) in rows of `columns`, under one title; each keeps its own axes and legend. */
export function panelGrid(title: string, panels: Spec[], columns: number, subtitle?: string): Spec {
  if (panels.length === 0) throw new RangeError('panelGrid: no panels');
  const strip = (s: Spec) => {
    const { $schema: _schema, config: _config, ...rest } = s as unknown as Record<string, unknown>;
    return rest;
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: subtitle ? { text: title, subtitle, fontSize: 16, offset: 14 } : { text: title, fontSize: 16, offset: 14 },
    concat: panels.map(strip),
    columns,
    spacing: 24,
    resolve: {
      scale: Object.fromEntries(['x', 'y', ...PANEL_CHANNELS].map((c) => [c, 'independent'])),
      legend: Object.fromEntries(PANEL_CHANNELS.map((c) => [c, 'independent'])),
    },
    config: PLOT_CONFIG,
  } as unknown as Spec;
}

/** Draws `spec` to `<dir>/<name>` (a grayscale PNG); returns the file name. */
export async function writePng(dir: string, name: string, spec: Spec): Promise<string> {
  const { png } = await renderPng(spec);
  await writeFile(join(dir, name), png);
  return name;
}

/** Writes `value` as pretty JSON (non-finite numbers become null, as JSON requires). */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(
    path,
    `${JSON.stringify(value, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
}
