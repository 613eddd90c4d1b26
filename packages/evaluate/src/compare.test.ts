import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError, readArtifact, sealArtifact } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { compareRuns, compareSchema, comparisonTables } from './compare.js';
import { evaluateRun, evaluateSchema, sampleLatents } from './evaluate-run.js';
import { generate } from './device.js';
import { checkpointNetworks, readCheckpoint, resolveCheckpoint } from './run-folder.js';
import type { Report } from './report-schema.js';
import { writeSyntheticClassifier, writeSyntheticDataset, writeSyntheticRun } from './fixtures.test-helpers.js';

let root: string;
let dataDir: string;
let classifierDir: string;
const reports = new Map<string, Report>();
const previous = process.env.WGAN_ARTIFACTS;

/**
 * Two synthetic runs — a WGAN-GP with N(0, I) latents and a BCE GAN with U(−1, 1) ones — trained "for" given times and
 * evaluated.
 */
beforeAll(async () => {
  await initBackend('cpu', { quiet: true });
  root = await mkdtemp(join(tmpdir(), 'evaluate-compare-'));
  process.env.WGAN_ARTIFACTS = root;
  dataDir = await writeSyntheticDataset(root);
  classifierDir = await writeSyntheticClassifier(root, dataDir);
  for (const [name, loss, noise, elapsedMs] of [
    ['wgan', 'gp', 'normal', 90_000],
    ['vanilla', 'bce', 'uniform', 1_500_000],
  ] as const) {
    const run = await writeSyntheticRun(root, dataDir, { name, loss, noise, iterations: [0, 1000] });
    await sealArtifact(run.runDir, {
      stage: 'train',
      packageVersion: '0.1.0',
      config: { batchSize: 16, nCritic: loss === 'gp' ? 5 : 1, noise },
      meta: {
        iterations: 1000,
        backend: 'cpu',
        device: 'test',
        implementation: 'tfjs',
        elapsedMs,
        msPerIter: elapsedMs / 1000,
      },
    });
    const { report } = await evaluateRun(
      evaluateSchema.parse({ run: name, classifier: classifierDir, samples: 300, heldOutBatch: 50, backend: 'cpu' }),
    );
    reports.set(name, report);
  }
}, 180_000);

afterAll(async () => {
  if (previous === undefined) delete process.env.WGAN_ARTIFACTS;
  else process.env.WGAN_ARTIFACTS = previous;
  await rm(root, { recursive: true, force: true });
});

describe("latents from the run's p(z)", () => {
  it('scores U(−1, 1) samples for a uniform-noise run and sweeps E9 over [−1, 1]', async () => {
    const report = reports.get('vanilla')!;
    expect(report.run.noise).toBe('uniform');
    expect(report.E9.values[0]).toBe(-1);
    expect(report.E9.values.at(-1)).toBe(1);
    expect(reports.get('wgan')!.run.noise).toBe('normal');
    expect(reports.get('wgan')!.E9.values[0]).toBe(-2);
    // the scored samples are G of the uniform latents (samples.f32 holds the first 100)
    const runDir = join(root, 'runs', 'vanilla');
    const ckpt = await readCheckpoint(await resolveCheckpoint(runDir, 'latest'));
    const { generator, critic } = checkpointNetworks(ckpt);
    const z = sampleLatents(42, 100, generator.spec.inputSize, 'uniform');
    expect(Math.min(...z)).toBeGreaterThanOrEqual(-1);
    const expected = await generate(generator, z, 100);
    const written = new Float32Array((await readFile(join(root, 'eval', 'vanilla', 'samples.f32'))).buffer.slice(0));
    expect(Array.from(written)).toEqual(Array.from(expected));
    generator.dispose();
    critic.dispose();
  });
});

describe('evaluate compare', () => {
  it('tabulates IS, FD, χ², E10, iterations, epochs and training time per run, with the real test set as reference', async () => {
    const { dir, comparison } = await compareRuns(compareSchema.parse({ runs: ['vanilla', 'wgan'], name: 'family' }));
    expect(dir).toBe(join(root, 'compare', 'family'));
    const artifact = await readArtifact(dir, { stage: 'evaluate-compare' });
    expect(Object.keys(artifact.manifest.files).sort()).toEqual(['comparison.json', 'comparison.md']);
    expect(artifact.manifest.parents.map((p) => `${p.stage}:${p.path}`)).toEqual([
      'evaluate:eval/vanilla',
      'train:runs/vanilla',
      'evaluate:eval/wgan',
      'train:runs/wgan',
    ]);
    const [vanilla, wgan] = comparison.rows;
    const v = reports.get('vanilla')!;
    expect(vanilla).toMatchObject({
      run: 'vanilla',
      loss: 'bce',
      noise: 'uniform',
      iterations: 1000,
      trainSeconds: 1500,
      msPerIter: 1500,
      inceptionScore: v.inceptionScore.fake,
      frechet: v.frechet.fakeVsTest,
      histogram: v.classHistogram.counts,
      e10Accuracy: v.E10!.accuracy,
    });
    // epochs of data read: iterations × n_critic × B / training-set size (400 synthetic images)
    expect(vanilla.epochs).toBeCloseTo((1000 * 1 * 16) / 400, 10);
    expect(wgan.epochs).toBeCloseTo((1000 * 5 * 16) / 400, 10);
    expect(comparison.reference.inceptionScoreTest).toBe(v.inceptionScore.realTest);
    const [main, histogram] = comparisonTables(comparison);
    expect(main.rows.map((r) => r[0])).toEqual(['vanilla', 'wgan', 'real test set']);
    expect(main.rows[0]).toContain('25.0 min');
    expect(main.rows[1]).toContain('90 s');
    expect(
      histogram.rows[0]
        .slice(1)
        .map(Number)
        .reduce((a, b) => a + b, 0),
    ).toBe(300);
    const md = await readFile(join(dir, 'comparison.md'), 'utf8');
    expect(md).toContain('| vanilla | mlp | bce | U(−1, 1)^8 |');
    expect(md).toContain('![wgan](../../eval/wgan/samples.png)');
  });

  it('refuses a run that was not evaluated, naming the folder and the command', async () => {
    const err = await compareRuns(compareSchema.parse({ runs: ['vanilla', 'missing'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).where).toContain(join('eval', 'missing'));
    expect((err as PipelineError).hint).toContain('packages/evaluate/src/cli.ts --run missing');
  });

  // last in the file: it re-scores run "wgan" with another classifier
  it("refuses runs scored by different classifiers (their IS and FD do not compare), naming each run's classifier", async () => {
    const other = join(root, 'classifier', 'mnist-other');
    await cp(classifierDir, other, { recursive: true });
    await evaluateRun(
      evaluateSchema.parse({ run: 'wgan', classifier: other, samples: 300, heldOutBatch: 50, backend: 'cpu' }),
    );
    const err = await compareRuns(compareSchema.parse({ runs: ['vanilla', 'wgan'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).message).toContain('different classifiers');
    expect((err as PipelineError).message).toContain('mnist-other');
    expect((err as PipelineError).hint).toContain('--classifier');
  }, 60_000);
});
