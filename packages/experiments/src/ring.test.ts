import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger, readArtifact, Rng } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { ringSchema } from './config.js';
import {
  gridCells,
  isSuccess,
  iterationsAtEpoch,
  RING_CELL_STAGE,
  runRingCell,
  sensitivity,
  sensitivityMarkdown,
  trainRing,
  type GridCell,
} from './ring.js';
import { sampleRing } from './ring-data.js';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

describe('ring experiment pieces', () => {
  it('maps epochs to generator iterations: n_critic batches per iteration, 156 batches of 64 per epoch', () => {
    expect(iterationsAtEpoch(0, 156, 5)).toBe(0);
    expect(iterationsAtEpoch(10, 156, 5)).toBe(312);
    expect(iterationsAtEpoch(1, 156, 5)).toBe(31);
  });

  it("ring-cell is one grid run: the config's data, the run's seed, the grid's epochs, written as an artifact", async () => {
    const config = ringSchema.parse({ points: 640, hidden: [16, 8], evalSamples: 200, grid: { epochs: 2 } });
    const run = { method: 'gp' as const, lr: 1e-3, param: 1, seed: 3 };
    const direct = await trainRing(
      config,
      sampleRing(config.points, Rng.fromSeed(config.seed).fork(), { radius: config.radius, noise: config.noise }),
      run,
      [2],
    );
    const tmp = await mkdtemp(join(tmpdir(), 'ring-cell-'));
    try {
      const out = join(tmp, 'cell');
      const logger = createLogger({ name: 'test', level: 'error' });
      const cell = await runRingCell(config, run, { logger, out, record: { planned: 'by a study' } });
      expect(cell.iterations).toBe(4);
      expect(cell.metrics).toEqual(direct.snapshots[0].metrics);
      expect(cell.findsRing).toBe(isSuccess(direct.snapshots[0].metrics, config.success));
      const artifact = await readArtifact(out, { stage: RING_CELL_STAGE });
      expect(artifact.manifest.meta).toMatchObject({ record: { planned: 'by a study' } });
      const written = JSON.parse(await readFile(join(out, 'result.json'), 'utf8'));
      expect(written.metrics.fractionNearRing).toBe(direct.snapshots[0].metrics.fractionNearRing);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('trains the lab networks and measures the generated points at the asked epochs', async () => {
    const config = ringSchema.parse({ points: 640, hidden: [16, 8], evalSamples: 200 });
    const run = await trainRing(
      config,
      sampleRing(640, Rng.fromSeed(1)),
      { method: 'clip', lr: 1e-3, param: 0.1, seed: 1 },
      [0, 2],
    );
    expect(run.snapshots.map((s) => [s.epoch, s.iteration])).toEqual([
      [0, 0],
      [2, 4],
    ]); // 10 batches per epoch, 5 per iteration
    expect(run.snapshots[1].points).toHaveLength(400);
    expect(run.curve.map((c) => c.iteration)).toEqual([1, 2, 3, 4]);
    for (const s of run.snapshots) expect(s.metrics.meanRadialError).toBeGreaterThan(0);
  });
});

const success = ringSchema.parse({}).success;
function runs(method: 'clip' | 'gp', errors: number[][]): GridCell['runs'] {
  // one row of cells per lr, values = radial error per seed; near-ring and coverage follow the error
  return errors.flatMap((cellErrors, k) =>
    cellErrors.map((e, seed) => {
      const m = {
        meanRadialError: e,
        fractionNearRing: e < 0.15 ? 0.95 : 0.5,
        angularCoverage: 1,
        ringCoverage: e < 0.15 ? 1 : 0.5,
      };
      return { method, lr: 1e-3, param: k, seed, ...m, success: isSuccess(m, success) };
    }),
  );
}

describe('Q6: sensitivity from the numbers', () => {
  it('averages seeds per cell', () => {
    const cells = gridCells(runs('clip', [[0.1, 0.2, 0.3]]));
    expect(cells).toHaveLength(1);
    expect(cells[0].meanRadialError).toBeCloseTo(0.2, 12);
    expect(cells[0].stdRadialError).toBeCloseTo(0.1, 12);
    expect(cells[0].successes).toBe(1);
  });

  it('calls the method with the smaller spread across cells and more successes less sensitive', () => {
    const cells = gridCells([
      ...runs('clip', [
        [0.1, 0.1, 0.1],
        [0.6, 0.5, 0.7],
        [0.3, 0.2, 0.4],
      ]),
      ...runs('gp', [
        [0.1, 0.1, 0.12],
        [0.11, 0.1, 0.1],
        [0.2, 0.1, 0.1],
      ]),
    ]);
    const s = sensitivity(cells);
    expect(s.lessSensitive).toBe('gp');
    expect(s.methods.gp.successes).toBe(8);
    expect(s.methods.clip.successes).toBe(3);
    expect(s.methods.clip.radialErrorMax).toBeCloseTo(0.6, 12);
    expect(s.methods.clip.nearRingStdAcrossCells).toBeGreaterThan(s.methods.gp.nearRingStdAcrossCells);
    expect(s.statement).toMatch(/^The gradient penalty is less sensitive\./);
    const md = sensitivityMarkdown(cells, s, ringSchema.parse({}));
    expect(md.split('\n').filter((l) => l.startsWith('| clip') || l.startsWith('| gp'))).toHaveLength(6);
  });

  it('counts a diverged run (non-finite points) as 0% near the ring, not as an infinite spread', () => {
    const diverged = runs('gp', [[Infinity, 0.1, 0.1]]);
    diverged[0] = { ...diverged[0], fractionNearRing: 0, ringCoverage: 0, success: false };
    const s = sensitivity(gridCells([...diverged, ...runs('clip', [[0.1, 0.1, 0.1]])]));
    expect(s.methods.gp.diverged).toBe(1);
    expect(s.methods.gp.radialErrorMax).toBe(Infinity);
    expect(Number.isFinite(s.methods.gp.nearRingStdAcrossCells)).toBe(true);
    expect(s.statement).toMatch(/1 diverged/);
  });

  it('says "mixed" when the spread and the success count disagree', () => {
    // clip: always mediocre (small spread, no success); gp: two cells perfect, one bad (large spread, more successes)
    const cells = gridCells([
      ...runs('clip', [
        [0.2, 0.2, 0.2],
        [0.21, 0.2, 0.2],
        [0.2, 0.2, 0.22],
      ]),
      ...runs('gp', [
        [0.1, 0.1, 0.1],
        [0.1, 0.1, 0.1],
        [0.9, 0.9, 0.9],
      ]),
    ]);
    expect(sensitivity(cells).lessSensitive).toBe('mixed');
  });
});
