import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArtifact } from '@wgan/core';
// evaluate's own fixtures: an MNIST-shaped synthetic dataset and a small classifier trained on it
import { writeSyntheticClassifier, writeSyntheticDataset } from '@wgan/evaluate/testing';
import { runLocal } from './local.js';
import { writeReport, type StudyReport } from './report.js';
import { expandRuns, parseStudySpec } from './spec.js';
import { tinyModelConfig } from './tiny.test-helpers.js';

/**
 * The local executor with the real train and evaluate CLIs: the numbers come from the evaluations'
 * report.json, a cell whose training cannot start is retried and then reported failed, and a second run
 * of the study skips the runs that are complete.
 */
let tmp: string;
let root: string;
let classifier: string;
let data: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'study-local-'));
  root = join(tmp, 'artifacts');
  data = await writeSyntheticDataset(root, 200, 100);
  classifier = await writeSyntheticClassifier(root, data);
}, 120_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const study = (grids: unknown[]) =>
  parseStudySpec({
    name: 'local',
    train: {
      config: tinyModelConfig,
      flags: {
        data,
        iterations: 30,
        'batch-size': 8,
        backend: 'wasm',
        'log-every': 10,
        'snapshot-every': 0,
        'checkpoint-every': 10,
      },
    },
    grids,
    seeds: [1, 2],
    evaluate: { classifier, samples: 128, backend: 'wasm' },
    attempts: 2,
  });

describe('study run (local executor)', () => {
  it('trains and evaluates every run, reports intervals from the evaluations, and reports a failing cell as failed', async () => {
    const spec = study([{ name: 'gp' }, { name: 'broken', flags: { 'n-critic': 0 } }]);
    const lines: string[] = [];
    const results = await runLocal(spec, {
      root,
      evaluate: spec.evaluate,
      concurrency: 2,
      progress: false,
      log: (l) => lines.push(l),
    });
    expect(results.map((r) => `${r.grid}:${r.status}`)).toEqual([
      'gp:done',
      'gp:done',
      'broken:failed',
      'broken:failed',
    ]);
    expect(results[2].attempts).toBe(2);
    expect(results[2].error).toMatch(/train exited with 2/);

    const { dir, report } = await writeReport(spec, root);
    const onDisk = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as StudyReport;
    expect(onDisk.counts).toEqual({ runs: 4, done: 2, failed: 2, missing: 0 });
    const artifact = await readArtifact(dir);
    expect(Object.keys(artifact.manifest.files).sort()).toEqual([
      'intervals.png',
      'report.html',
      'report.json',
      'report.md',
    ]);
    expect((artifact.manifest.meta as { runs: { run: string }[] }).runs.map((r) => r.run)).toEqual(
      expandRuns(spec).map((p) => p.name),
    );

    // the cell's numbers are the evaluations' (report.json of each run), summarised over the two seeds
    const gp = report.cells.find((c) => c.cell === 'gp')!;
    const fds: number[] = [];
    for (const r of results.slice(0, 2)) {
      const evalDirs = readdirSync(join(root, 'eval')).filter((d) => d.startsWith(r.run));
      expect(evalDirs).toHaveLength(1);
      const ev = JSON.parse(await readFile(join(root, 'eval', evalDirs[0], 'report.json'), 'utf8')) as {
        frechet: { fakeVsTest: number };
      };
      fds.push(ev.frechet.fakeVsTest);
      expect(r.metrics.frechet).toBe(ev.frechet.fakeVsTest);
    }
    expect(gp.metrics.frechet!.mean).toBeCloseTo((fds[0] + fds[1]) / 2, 9);
    expect(gp.metrics.frechet!.ci95).not.toBeNull();
    expect(gp.metrics.inceptionScore!.n).toBe(2);
    expect(report.cells.find((c) => c.cell === 'broken')!.runs.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toMatch(/## Runs that did not finish/);

    // the same runs again: complete with the same config hash → skipped, nothing retrained
    const again = await runLocal(study([{ name: 'gp' }]), {
      root,
      evaluate: spec.evaluate,
      concurrency: 2,
      progress: false,
      log: () => {},
    });
    expect(again.map((r) => r.trained)).toEqual(['skipped', 'skipped']);
    expect(again.map((r) => r.metrics)).toEqual(results.slice(0, 2).map((r) => r.metrics));
    expect(existsSync(join(root, 'runs', results[0].run, 'manifest.json'))).toBe(true);
  }, 300_000);

  it("runs ring cells through experiments' ring-cell, reads their metrics back, and reports the grid's sensitivity", async () => {
    const spec = parseStudySpec({
      name: 'ring-local',
      grids: [
        {
          kind: 'ring',
          name: 'gp',
          flags: { loss: 'gp', lambda: 1, epochs: 1 },
          axes: [{ flag: 'lr', values: [1e-3, 5e-3] }],
        },
      ],
      seeds: [1],
      attempts: 1,
    });
    const results = await runLocal(spec, { root, evaluate: false, concurrency: 2, progress: false, log: () => {} });
    expect(results.map((r) => `${r.status}:${r.trained}`)).toEqual(Array(2).fill('done:fresh'));
    for (const r of results) {
      const cell = JSON.parse(await readFile(join(root, 'runs', r.run, 'result.json'), 'utf8')) as {
        iterations: number;
        seed: number;
        metrics: { fractionNearRing: number; angularCoverage: number };
        findsRing: boolean;
      };
      expect(cell.iterations).toBe(31); // one epoch: 156 batches, 5 per generator iteration
      expect(cell.seed).toBe(r.seed);
      expect(r.metrics.nearRing).toBe(cell.metrics.fractionNearRing);
      expect(r.metrics.angularCoverage).toBe(cell.metrics.angularCoverage);
      expect(r.metrics.findsRing).toBe(cell.findsRing ? 1 : 0);
    }
    const { report } = await writeReport(spec, root);
    expect(report.primaryMetric).toBe('nearRing');
    expect(report.sensitivity).toHaveLength(1);
    const [gp] = report.sensitivity!;
    expect(gp).toMatchObject({ grid: 'gp', cells: 2, runs: 2, metric: 'nearRing' });
    const means = report.cells.map((c) => c.metrics.nearRing!.mean);
    expect(gp.spreadAcrossCells).toBeCloseTo(Math.abs(means[0] - means[1]) / Math.SQRT2, 12);
    expect(gp.findsRing!.runs).toBe(2);

    const again = await runLocal(spec, { root, evaluate: false, concurrency: 1, progress: false, log: () => {} });
    expect(again.map((r) => r.trained)).toEqual(Array(2).fill('skipped'));
    expect(again.map((r) => r.metrics)).toEqual(results.map((r) => r.metrics));
  }, 400_000);
});
