import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError, readArtifact, readFloat32, silentLogger } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import { countTrainable, Network, readNetwork, runOneCycle, seed002Decoder, train } from '@wgan/train';
import { makeTinyData, tinyConfig } from '@wgan/train/testing';
import { evaluateRun, evaluateSchema, sampleLatents, type OneCycle } from './evaluate-run.js';
import { reportSchema, type Report } from './report-schema.js';
import { meanAbsDifference } from './formulas/drift.js';
import {
  checkpointCritic,
  tinyCritic,
  tinyGenerator,
  writeSyntheticClassifier,
  writeSyntheticDataset,
  writeSyntheticRun,
  type RunFixture,
} from './fixtures.test-helpers.js';

let root: string;
let dataDir: string;
let classifierDir: string;
let gpRun: RunFixture;

beforeAll(async () => {
  await initBackend('cpu', { quiet: true });
  root = await mkdtemp(join(tmpdir(), 'evaluate-'));
  dataDir = await writeSyntheticDataset(root);
  classifierDir = await writeSyntheticClassifier(root, dataDir);
  gpRun = await writeSyntheticRun(root, dataDir);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function config(overrides: Record<string, unknown> = {}) {
  return evaluateSchema.parse({
    run: 'synthetic',
    runDir: gpRun.runDir,
    classifier: classifierDir,
    samples: 300,
    heldOutBatch: 50,
    backend: 'cpu',
    out: join(root, 'eval', 'synthetic'),
    ...overrides,
  });
}

describe('evaluateRun on a synthetic run folder', () => {
  let report: Report;
  let dir: string;

  beforeAll(async () => {
    ({ report, dir } = await evaluateRun(config()));
  });

  it('writes a verified artifact with a schema-valid report.json, report.md, report.html and the sample files', async () => {
    const artifact = await readArtifact(dir, { stage: 'evaluate' });
    expect(Object.keys(artifact.manifest.files).sort()).toEqual([
      'report.html',
      'report.json',
      'report.md',
      'samples.f32',
      'samples.png',
      'traversal.f32',
      'traversal.png',
    ]);
    const json = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    expect(reportSchema.safeParse(json).success).toBe(true);
    expect(json).toEqual(report);
    expect((await readFloat32(join(dir, 'samples.f32'))).length).toBe(100 * 784);
    expect((await readFloat32(join(dir, 'traversal.f32'))).length).toBe(10 * 784);
    expect(artifact.manifest.parents.map((p) => p.stage)).toEqual(['train-checkpoint', 'data-prep', 'classifier']);
  });

  it('reports the run and the checkpoint it scored (latest)', () => {
    expect(report.run).toMatchObject({
      name: 'synthetic',
      model: 'mlp',
      loss: 'gp',
      iterations: 1000,
      checkpoint: '00001000',
      latentDim: 8,
      backend: 'cpu',
      totalIterations: 1000,
    });
  });

  it("computes E1 from the data artifact, E2 on the run's first batch, E3 from the specs", () => {
    expect(report.E1.total).toBe(400);
    expect(report.E1.counts).toEqual(Array(10).fill(40));
    expect(report.E1.imbalancePct).toBe(0);
    expect(report.E2.batchSize).toBe(16);
    expect(report.E2.source).toMatch(/seed 42, B = 16/);
    expect(report.E2.min).toBeGreaterThanOrEqual(-1);
    expect(report.E2.max).toBeLessThanOrEqual(1);
    expect(report.E3.nG).toBe(countTrainable(tinyGenerator()));
    expect(report.E3.nD).toBe(countTrainable(tinyCritic()));
    expect(report.E3.sizeMb).toBeCloseTo((4 * (report.E3.nG + report.E3.nD)) / 1e6, 12);
  });

  it('answers E6 and not E7 for a gradient-penalty run, and E4 is null with a note until train provides the cycle', () => {
    expect(report.E6).not.toBeNull();
    expect(report.E6?.n).toBe(256);
    expect(report.E6?.lambda).toBe(10);
    expect(report.notes.config).toBeUndefined(); // train's writer saved every key
    expect(report.E6?.gradientPenalty).toBeGreaterThan(0);
    expect(report.E7).toBeNull();
    expect(report.notes.E7).toMatch(/gradient-penalty run/);
    expect(report.E4).toBeNull();
    expect(report.notes.E4).toMatch(/no one-cycle function/);
  });

  it('computes E8 from the 0 / 500 / 1000 snapshots', () => {
    expect(report.E8?.iterations).toEqual([0, 500, 1000]);
    expect(report.E8?.d12).toBeCloseTo(meanAbsDifference(gpRun.snapshots.get(500)!, gpRun.snapshots.get(0)!), 10);
    expect(report.E8?.d23).toBeCloseTo(meanAbsDifference(gpRun.snapshots.get(1000)!, gpRun.snapshots.get(500)!), 10);
  });

  it('computes E5, E9 and E10 with their sizes', () => {
    expect(report.E5!.batchSize).toBe(16);
    expect(report.E5!.wassersteinGap).toBeCloseTo(report.E5!.dReal - report.E5!.dFake, 12);
    expect(report.E9.values).toHaveLength(10);
    expect(report.E9.values[0]).toBe(-2);
    expect(report.E9.r === null || Math.abs(report.E9.r) <= 1).toBe(true);
    expect(report.E10!.pairs).toBe(64);
    expect(report.E10!.accuracy).toBeCloseTo(report.E10!.correct / 64, 12);
  });

  it('scores samples against the real reference: the real test set beats random generators', () => {
    expect(report.inceptionScore.samples).toBe(300);
    expect(report.inceptionScore.realTest).toBeGreaterThan(8); // the synthetic classes are easy
    expect(report.inceptionScore.fake).toBeGreaterThanOrEqual(1);
    expect(report.inceptionScore.fake).toBeLessThan(report.inceptionScore.realTest);
    expect(report.frechet.trainVsTest).toBeLessThan(report.frechet.fakeVsTest);
    expect(report.classHistogram.counts.reduce((a, b) => a + b, 0)).toBe(300);
    expect(report.classHistogram.realTestCounts.reduce((a, b) => a + b, 0)).toBe(200);
    expect(report.classifier.testAccuracy).toBeGreaterThan(0.9);
  });

  it('writes a self-contained HTML page (inline PNGs, nothing fetched) and a markdown report', async () => {
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/<img alt="100 samples" src="data:image\/png;base64,[A-Za-z0-9+/]+=*"/);
    expect(html).not.toMatch(/src="(?!data:)/);
    expect(html).not.toMatch(/<link|<script/);
    expect(html).toContain('E10');
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('![100 samples](samples.png)');
    expect(md).toMatch(/\| E6 \| .* \| \(\d\.\d{3}, \d\.\d{3}, \d\.\d{3}\) \|/);
  });

  it('is reproducible: the same seed gives the same numbers', async () => {
    const again = await evaluateRun(config({ out: join(root, 'eval', 'again') }));
    const strip = (r: Report) => ({ ...r, evaluation: { ...r.evaluation, createdAt: '' }, timings: {} });
    expect(strip(again.report)).toEqual(strip(report));
  });

  it('does not leak tensors', async () => {
    const before = tf.memory().numTensors;
    await evaluateRun(config({ out: join(root, 'eval', 'leak') }));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('evaluateRun options', () => {
  it('ranks every checkpoint and names the one with the lowest Fréchet distance', async () => {
    const { report } = await evaluateRun(
      config({ allCheckpoints: true, checkpoint: '500', out: join(root, 'eval', 'ranked') }),
    );
    expect(report.run.checkpoint).toBe('00000500');
    expect(report.checkpoints?.map((c) => c.iteration)).toEqual([0, 500, 1000]);
    const best = report.checkpoints!.reduce((a, b) => (b.frechet < a.frechet ? b : a));
    expect(report.bestCheckpoint).toEqual({
      iteration: best.iteration,
      checkpoint: best.checkpoint,
      criterion: 'lowest Fréchet distance to the test set',
    });
    const scored = report.checkpoints!.find((c) => c.iteration === 500)!;
    expect(scored.inceptionScore).toBe(report.inceptionScore.fake);
    expect(scored.frechet).toBe(report.frechet.fakeVsTest);
    // E8 only uses snapshots up to the evaluated checkpoint: 0 and 500 are too few.
    expect(report.E8).toBeNull();
    expect(report.notes.E8).toMatch(/three fixed-noise snapshots/);
  });

  it("quotes train's own first-cycle E4 in the note when train-stats.json has it", async () => {
    await writeFile(
      join(gpRun.runDir, 'train-stats.json'),
      JSON.stringify({ E3: {}, E4: { lossDMean: 6.937, deltaD: 0.7147, deltaG: 0.2436 }, epochs: [] }),
    );
    try {
      const { report } = await evaluateRun(config({ out: join(root, 'eval', 'stats') }));
      expect(report.E4).toBeNull();
      expect(report.notes.E4).toMatch(/first training cycle as \(L̄_D, Δ_D, Δ_G\) = \(6\.937, 0\.715, 0\.244\)/);
    } finally {
      await rm(join(gpRun.runDir, 'train-stats.json'));
    }
  });

  it('computes E4 from an injected one-cycle function', async () => {
    const oneCycle: OneCycle = async (dir) => {
      expect(dir).toMatch(/checkpoints\/00001000$/);
      return {
        nCritic: 5,
        lossDMean: 0.584,
        lossD: [0.62, 0.58, 0.55, 0.6, 0.57],
        before: { critic: [[0, 0]], generator: [[1]] },
        after: { critic: [[3, 4]], generator: [[1.5]] },
      };
    };
    const { report } = await evaluateRun(config({ out: join(root, 'eval', 'e4') }), { oneCycle });
    // L̄_D is the mean of the per-step losses when they are given
    expect(report.E4).toEqual({
      nCritic: 5,
      lossD: [0.62, 0.58, 0.55, 0.6, 0.57],
      lossDMean: expect.closeTo(0.584, 12),
      deltaD: 5,
      deltaG: 0.5,
    });
  });

  it('embeds figures from an injected renderer inline and as files', async () => {
    const png = Uint8Array.from(
      Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==',
        'base64',
      ),
    );
    const { dir } = await evaluateRun(config({ out: join(root, 'eval', 'figures') }), {
      figures: async ({ report }) => [{ id: 'curves', title: `IS of ${report.run.name}`, png }],
    });
    expect(existsSync(join(dir, 'figures', 'curves.png'))).toBe(true);
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toContain(
      `src="data:image/png;base64,${Buffer.from(png).toString('base64')}"`,
    );
  });

  it('answers E7 and not E6 for a weight-clipping run', async () => {
    const clip = await writeSyntheticRun(root, dataDir, { loss: 'clip', name: 'clip', iterations: [0, 100] });
    const { report } = await evaluateRun(config({ run: 'clip', runDir: clip.runDir, out: join(root, 'eval', 'clip') }));
    expect(report.E6).toBeNull();
    const weights = [...(await checkpointCritic(clip.runDir, 100)).values()];
    const all = weights.flatMap((w) => Array.from(w));
    const atBound = all.filter((w) => Math.abs(w) >= Math.fround(0.01)).length;
    expect(report.E7?.weights).toBe(all.length);
    expect(report.E7?.fracAtBound).toBeCloseTo(atBound / all.length, 12);
    expect(report.E7?.fracAtBound).toBeGreaterThan(0.3);
    expect(report.E7?.maxAbsRatio).toBeCloseTo(1, 6);
    expect(report.E8).toBeNull();
  });

  it("reads the checkpoint config with train's schema: a key it lacks gets train's default and a note", async () => {
    const older = await writeSyntheticRun(root, dataDir, {
      name: 'older',
      iterations: [0, 100],
      omitConfig: ['lambda', 'seed'],
    });
    const { report: r } = await evaluateRun(
      config({ run: 'older', runDir: older.runDir, out: join(root, 'eval', 'older') }),
    );
    expect(r.E6?.lambda).toBe(10);
    expect(r.notes.E6).toMatch(/the checkpoint config has no lambda: train's default λ = 10 was assumed/);
    expect(r.notes.config).toMatch(/lacks lambda, seed: train's defaults were used \(lambda = 10, seed = 42\)/);
    expect(r.notes.config).toContain(join(older.runDir, 'checkpoints', '00000100', 'manifest.json'));
    // without the run's seed, E2 is data-prep's first batch, not a guess at train's
    expect(r.E2.source).toMatch(/data-prep's first batch/);
  });

  it("refuses a checkpoint whose config is not train's, naming its manifest", async () => {
    const bad = await writeSyntheticRun(root, dataDir, { name: 'bad-config', iterations: [0, 100] });
    const manifest = join(bad.runDir, 'checkpoints', '00000100', 'manifest.json');
    const json = JSON.parse(await readFile(manifest, 'utf8'));
    await writeFile(manifest, JSON.stringify({ ...json, config: { ...json.config, lambda: 'ten' } }));
    await expect(
      evaluateRun(config({ run: 'bad-config', runDir: bad.runDir, out: join(root, 'eval', 'bad-config') })),
    ).rejects.toMatchObject({ message: expect.stringMatching(/config is not train's: lambda/), where: manifest });
  });

  it('explains a missing run, checkpoint or classifier', async () => {
    await expect(evaluateRun(config({ runDir: join(root, 'runs', 'nope') }))).rejects.toThrow(PipelineError);
    await expect(evaluateRun(config({ checkpoint: '777' }))).rejects.toThrow(/no complete checkpoint "777"/);
    const missing = evaluateRun(config({ classifier: join(root, 'no-classifier') }));
    await expect(missing).rejects.toMatchObject({ hint: expect.stringMatching(/evaluate:classifier/) });
  });
});

const tinyConfigSpecs = () => ({ decoder: seed002Decoder(2, [16]) });

describe('a VAE run (train --model vae) next to a GAN run', () => {
  it(
    "scores the decoder's samples in the pipeline scale, leaves the " +
      'critic figures N/A and puts both runs in one comparison table',
    async () => {
      process.env.WGAN_ARTIFACTS = root; // --compare reads artifacts/eval/<run>/: the GAN's report is root/eval/synthetic
      try {
        const quiet = silentLogger();
        const vaeConfig = tinyConfig(dataDir, {
          name: 'vae',
          model: 'vae',
          latentDim: 2,
          generatorHidden: [16],
          criticHidden: [16],
          batchSize: 40,
          iterations: 12,
          backend: 'cpu',
          checkpointEvery: 6,
          snapshotEvery: 6,
          milestones: [0],
          fixedSamples: 4,
        });
        const { runDir } = await train(vaeConfig, { logger: quiet, progress: false });
        const { report, dir } = await evaluateRun(
          config({ run: 'vae', runDir, out: join(root, 'eval', 'vae'), compare: ['synthetic'] }),
          { oneCycle: runOneCycle },
        );
        expect(report.run).toMatchObject({ name: 'vae', model: 'vae', loss: 'elbo', iterations: 12, latentDim: 2 });
        for (const key of ['E4', 'E5', 'E6', 'E7', 'E10'] as const) {
          expect(report[key], key).toBeNull();
          expect(report.notes[key], key).toMatch(/VAE/);
        }
        expect(report.E3.nG).toBe(countTrainable(tinyConfigSpecs().decoder));
        expect(report.E8).not.toBeNull(); // snapshots 0, 6, 12 of the decoder
        // the scored samples are 2·σ(logits) − 1 of the decoder, not its [0, 1] output
        const samples = await readFloat32(join(dir, 'samples.f32'));
        const { spec, values } = await readNetwork(join(runDir, 'checkpoints', '00000012'), 'generator');
        const decoder = Network.fromValues(spec, values);
        const z = sampleLatents(42, 300, 2).subarray(0, 100 * 2);
        const direct = (await decoder.apply(tf.tensor2d(z, [100, 2])).data()) as Float32Array;
        decoder.dispose();
        let maxErr = 0;
        direct.forEach((v, i) => (maxErr = Math.max(maxErr, Math.abs(samples[i] - (2 * v - 1)))));
        expect(maxErr).toBeLessThan(1e-6);
        expect(Math.min(...samples)).toBeLessThan(0); // a [0, 1] output taken as it is would never go below 0

        const gan = JSON.parse(await readFile(join(root, 'eval', 'synthetic', 'report.json'), 'utf8')) as Report;
        expect(report.comparison?.map((c) => [c.run, c.model, c.source])).toEqual([
          ['vae', 'vae', 'this evaluation'],
          ['synthetic', 'mlp', expect.stringMatching(/eval\/synthetic\/report\.json$/)],
        ]);
        expect(report.comparison?.[0]).toMatchObject({
          inceptionScore: report.inceptionScore.fake,
          frechet: report.frechet.fakeVsTest,
          counts: report.classHistogram.counts,
          sameClassifier: true,
        });
        expect(report.comparison?.[1]).toMatchObject({
          inceptionScore: gan.inceptionScore.fake,
          frechet: gan.frechet.fakeVsTest,
          counts: gan.classHistogram.counts,
          sameClassifier: true,
        });
        const md = await readFile(join(dir, 'report.md'), 'utf8');
        expect(md).toContain('## Comparison with other runs');
        expect(md).toMatch(/\| synthetic \| mlp \| gp \| 1000 \|/);
        expect((await readArtifact(dir, { stage: 'evaluate' })).manifest.parents.map((p) => p.stage)).toEqual([
          'train-checkpoint',
          'data-prep',
          'classifier',
          'evaluate',
        ]);
        await expect(
          evaluateRun(config({ run: 'vae', runDir, out: join(root, 'eval', 'vae2'), compare: ['nope'] })),
        ).rejects.toThrow(/no evaluation of run "nope"/);
      } finally {
        delete process.env.WGAN_ARTIFACTS;
      }
    },
    120_000,
  );
});

describe('reportSchema', () => {
  it('rejects a report with a missing answer, a NaN or an unknown key', async () => {
    const report = JSON.parse(await readFile(join(root, 'eval', 'synthetic', 'report.json'), 'utf8'));
    expect(reportSchema.safeParse(report).success).toBe(true);
    const { E1: _e1, ...noE1 } = report;
    expect(reportSchema.safeParse(noE1).success).toBe(false);
    expect(
      reportSchema.safeParse({ ...report, inceptionScore: { ...report.inceptionScore, fake: Number.NaN } }).success,
    ).toBe(false);
    expect(reportSchema.safeParse({ ...report, E5: { ...report.E5, extra: 1 } }).success).toBe(false);
    expect(
      reportSchema.safeParse({ ...report, classHistogram: { ...report.classHistogram, counts: [1, 2, 3] } }).success,
    ).toBe(false);
  });
});

describe("E4 through train's runOneCycle on a real (tiny) training run", () => {
  it('measures 5 critic updates and 1 generator update on a copy of the checkpoint', async () => {
    const artifacts = join(root, 'tiny-artifacts');
    process.env.WGAN_ARTIFACTS = artifacts;
    try {
      const data = await makeTinyData(artifacts);
      const quiet = silentLogger();
      const { runDir } = await train(tinyConfig(data, { name: 'tiny-e4', iterations: 4, backend: 'cpu' }), {
        logger: quiet,
        progress: false,
      });
      const before = await readFile(join(runDir, 'checkpoints', '00000004', 'critic.weights.bin'));
      const cycle = await runOneCycle(join(runDir, 'checkpoints', '00000004'), { seed: 7 });
      // the tiny run is a dense WGAN-GP: auto trained it on onnx-cpu, and E4 runs on the same implementation
      expect(cycle.implementation).toBe('onnx-cpu');
      expect(cycle.nCritic).toBe(5);
      expect(Number.isFinite(cycle.lossDMean) && Number.isFinite(cycle.lossG)).toBe(true);
      const delta = (a: ArrayLike<number>[], b: ArrayLike<number>[]) =>
        Math.sqrt(a.reduce((s, x, k) => s + Array.from(x).reduce((t, v, i) => t + (b[k][i] - v) ** 2, 0), 0));
      expect(delta(cycle.before.critic, cycle.after.critic)).toBeGreaterThan(0);
      expect(delta(cycle.before.generator, cycle.after.generator)).toBeGreaterThan(0);
      // the checkpoint itself is untouched
      expect((await readFile(join(runDir, 'checkpoints', '00000004', 'critic.weights.bin'))).equals(before)).toBe(true);
    } finally {
      delete process.env.WGAN_ARTIFACTS;
    }
  }, 60_000);
});
