import { describe, expect, it } from 'vitest';
import type { RunResult } from './executor.js';
import { studyFigures } from './figures.js';
import { reportMarkdown, summarizeStudy } from './report.js';
import { expandRuns, parseStudySpec } from './spec.js';
import { summarize, welchTest } from './stats.js';

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
    const md = reportMarkdown(report);
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
});
