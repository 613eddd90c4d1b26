import { describe, expect, it } from 'vitest';
import type { RunResult } from './executor.js';
import { studyFigures } from './figures.js';
import { reportMarkdown, summarizeStudy } from './report.js';
import { expandRuns, parseStudySpec } from './spec.js';
import { fisherExact, summarize, welchTest } from './stats.js';

const spec = parseStudySpec({
  name: 'grid',
  grids: [
    {
      name: 'gp',
      axes: [
        { flag: 'lr', values: [1e-4, 1e-3] },
        { flag: 'lambda', values: [1, 10] },
      ],
    },
  ],
  seeds: [1, 2, 3],
  evaluate: { classifier: 'artifacts/classifier/mnist' },
});

/** Results with FD = 10 × (cell index + 1) + seed, and the lr=1e-3 λ=10 cell's last seed failed. */
function results(): RunResult[] {
  const plans = expandRuns(spec);
  const cells = [...new Set(plans.map((p) => p.cell))];
  return plans.map((p) => {
    const failed = p.cell === 'gp lr=0.001 lambda=10' && p.seed === 3;
    const fd = 10 * (cells.indexOf(p.cell) + 1) + p.seed;
    return {
      run: p.name,
      study: p.study,
      grid: p.grid,
      cell: p.cell,
      seed: p.seed,
      configHash: p.configHash,
      status: failed ? 'failed' : 'done',
      trained: failed ? null : 'fresh',
      weights: null,
      metrics: failed
        ? { inceptionScore: null, frechet: null, e10: null, wasserstein: null, trainSeconds: null }
        : { inceptionScore: 5 - fd / 100, frechet: fd, e10: 0.5, wasserstein: 1, trainSeconds: 60 + p.seed },
      ...(failed ? { error: 'train exited with 1', attempts: 3 } : {}),
    };
  });
}

describe('study report', () => {
  it('summarises each cell over its finished seeds, ranks on FD and tests the pairs', () => {
    const report = summarizeStudy(spec, results());
    expect(report.counts).toEqual({ runs: 12, done: 11, failed: 1, missing: 0 });
    const first = report.cells[0];
    expect(first.metrics.frechet).toEqual(summarize([11, 12, 13]));
    const last = report.cells[3];
    expect(last.metrics.frechet!.n).toBe(2);
    expect(last.runs.find((r) => r.seed === 3)).toMatchObject({ status: 'failed', error: 'train exited with 1' });
    expect(report.ranking).toEqual(report.cells.map((c) => c.cell)); // FD rises with the cell index
    expect(report.comparisons).toHaveLength(6);
    const c01 = report.comparisons.find((c) => c.a === report.cells[0].cell && c.b === report.cells[1].cell)!;
    expect(c01.welch).toEqual(welchTest([11, 12, 13], [21, 22, 23]));
    expect(c01.significant).toBe(c01.welch!.p < 0.05);
    // every metric both cells have gets its own Welch test: IS = 5 − FD/100 here
    expect(c01.byMetric!.frechet!.welch).toEqual(c01.welch);
    expect(c01.byMetric!.inceptionScore!.welch).toEqual(welchTest([4.89, 4.88, 4.87], [4.79, 4.78, 4.77]));
    expect(c01.byMetric!.inceptionScore!.difference).toBeCloseTo(0.1, 12);
    expect(c01.byMetric!.e10!.welch).toBeNull(); // no spread: no test
    // one grid of four cells of FD 10·k + seed: the setting moves FD far beyond the seeds' spread
    expect(report.sensitivity).toHaveLength(1);
    const [grid] = report.sensitivity!;
    expect(grid.spreadAcrossCells).toBeCloseTo(summarize([12, 22, 32, 41.5]).std!, 12);
    expect(grid.anova!.p).toBeLessThan(1e-6);
    expect(grid.spreadCi95[0]).toBeLessThanOrEqual(grid.spreadAcrossCells);
    expect(grid.spreadCi95[1]).toBeGreaterThanOrEqual(grid.spreadAcrossCells);
    expect(report.gridComparisons).toEqual([]);
    const md = reportMarkdown(report);
    expect(md).toMatch(/## Differences between cells/);
    expect(md).toMatch(/## Sensitivity to the grid's setting \(FD\)/);
    expect(md).toMatch(/\| gp lr=0.0001 lambda=1 \| 3\/3 \| /);
    expect(md).toMatch(/## Runs that did not finish/);
  });

  it('draws a heat map of the mean FD for a two-axis grid', () => {
    const report = summarizeStudy(spec, results());
    const figures = studyFigures(report);
    expect(figures.map((f) => f.file)).toEqual(['heatmap-gp.png']);
    const cells = (figures[0].spec as unknown as { data: { values: { row: string; col: string; value: number }[] } })
      .data.values;
    expect(cells).toContainEqual({ row: '0.0001', col: '1', value: 12 });
    expect(cells).toContainEqual({ row: '0.001', col: '10', value: 41.5 });
  });

  it('compares two ring grids: spread of the cell means with a bootstrap interval, and Fisher on the successes', () => {
    const ring = parseStudySpec({
      name: 'ring',
      grids: ['clip', 'gp'].map((name) => ({
        kind: 'ring',
        name,
        flags: { loss: name },
        axes: [{ flag: 'lr', values: [1e-3, 5e-3] }],
      })),
      seeds: [1, 2, 3],
    });
    // clip: cells at 0.2 and 0.8 (a setting that matters, no successes); gp: 0.9 and 0.92 (every run finds it)
    const near = (grid: string, cell: number, seed: number) =>
      grid === 'clip' ? [0.2, 0.8][cell] + 0.01 * seed : [0.9, 0.92][cell] + 0.001 * seed;
    const runs: RunResult[] = expandRuns(ring).map((p) => {
      const cell = p.axes.lr === 1e-3 ? 0 : 1;
      const x = near(p.grid, cell, p.seed);
      return {
        run: p.name,
        study: p.study,
        grid: p.grid,
        cell: p.cell,
        seed: p.seed,
        configHash: p.configHash,
        status: 'done',
        trained: 'fresh',
        weights: null,
        metrics: {
          inceptionScore: null,
          frechet: null,
          e10: null,
          wasserstein: null,
          trainSeconds: 5,
          nearRing: x,
          findsRing: x > 0.85 ? 1 : 0,
        },
      };
    });
    const report = summarizeStudy(ring, runs);
    expect(report.primaryMetric).toBe('nearRing');
    const [clip, gp] = report.sensitivity!;
    expect(clip.spreadAcrossCells).toBeCloseTo(0.6 / Math.SQRT2, 12);
    expect(gp.spreadAcrossCells).toBeCloseTo(0.02 / Math.SQRT2, 12);
    expect(clip.findsRing).toMatchObject({ successes: 0, runs: 6 });
    expect(gp.findsRing).toMatchObject({ successes: 6, runs: 6 });
    const [cmp] = report.gridComparisons!;
    expect(cmp.spreadDifference).toBeCloseTo(0.58 / Math.SQRT2, 12);
    expect(cmp.spreadDifferenceCi95[0]).toBeGreaterThan(0);
    expect(cmp.spreadSignificant).toBe(true);
    expect(cmp.findsRing!.fisherP).toBeCloseTo(fisherExact(0, 6, 6, 6), 12);
    expect(cmp.findsRing!.significant).toBe(true);
    expect(reportMarkdown(report)).toMatch(/clip vs gp: spread difference 0\.410 \[/);
  });
});
