import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError, readArtifact, readFloat32, Rng, sha256File, silentLogger } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import { listCheckpoints, readCheckpoint, resolveCheckpoint } from '../checkpoint.js';
import { resolveTrainConfig } from '../config.js';
import { modelSpecs } from '../factory.js';
import { train } from '../loop.js';
import { Network } from '../models/network.js';
import { outputRange } from '../models/spec.js';
import { BatchSampler, drawIterationInputs } from '../sampling.js';
import { makeTinyData, tinyConfig } from '../testing/index.js';
import { VaeTrainer } from './trainer.js';

let root: string;
let data: string;
const quiet = silentLogger();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'train-vae-'));
  process.env.WGAN_ARTIFACTS = root;
  data = await makeTinyData(root);
  await initBackend('wasm', { quiet: true });
});
afterAll(async () => {
  delete process.env.WGAN_ARTIFACTS;
  await rm(root, { recursive: true, force: true });
});

/** A tiny VAE on the tiny data (128 training images: 16 batches of 8 per epoch). */
const tinyVae = (overrides: Record<string, unknown> = {}) =>
  tinyConfig(data, { model: 'vae', latentDim: 2, generatorHidden: [8], criticHidden: [8], ...overrides });

describe('config for --model vae', () => {
  it("applies seed 002's settings beneath the user's", () => {
    const c = resolveTrainConfig({ overrides: { model: 'vae' } });
    expect(c).toMatchObject({
      model: 'vae',
      loss: 'elbo',
      latentDim: 20,
      batchSize: 128,
      nCritic: 1,
      iterations: 9360,
      generatorHidden: [400, 600, 800],
      criticHidden: [512, 256, 128],
      logCCoefficient: 0,
    });
    expect(c.optimizerG).toEqual({ type: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    expect(c.optimizerD).toEqual(c.optimizerG);
    expect(
      resolveTrainConfig({ overrides: { model: 'vae', latentDim: 2, iterations: 50, optimizerG: { lr: 5e-4 } } }),
    ).toMatchObject({ latentDim: 2, iterations: 50, optimizerG: { lr: 5e-4, beta1: 0.9 } });
    expect(resolveTrainConfig({}).latentDim).toBe(100); // the GAN's defaults are untouched
  });

  it.each([
    [{ model: 'vae', loss: 'gp' }, 'loss', /GAN loss/],
    [{ loss: 'elbo' }, 'loss', /VAE's objective/],
    [{ model: 'vae', nCritic: 5 }, 'nCritic', /one batch per iteration/],
    [{ model: 'vae', implementation: 'tfjs-manual' }, 'implementation', /GANs only/],
    [{ model: 'vae', logCCoefficient: -1 }, 'logCCoefficient', /./],
  ])('rejects %j naming %s', (overrides, key, message) => {
    let err: unknown;
    try {
      resolveTrainConfig({ overrides });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).where).toBe(`flags: ${key}`);
    expect((err as PipelineError).message).toMatch(message);
  });
});

describe('VaeTrainer', () => {
  it('lowers the negative ELBO on a fixed batch, keeps tf.memory() flat and updates both networks', async () => {
    const config = tinyVae({ latentDim: 3 });
    const specs = modelSpecs(config);
    const rng = Rng.fromSeed(2);
    const decoder = Network.create(specs.generator, rng);
    const encoder = Network.create(specs.critic, rng);
    const images = rng.fillUniform(new Float32Array(16 * 784), -1, 1).map((v) => (v > 0.3 ? 1 : -1));
    const trainer = new VaeTrainer({
      encoder,
      decoder,
      images,
      imageCount: 16,
      batchSize: 8,
      latentDim: 3,
      logCCoefficient: 1,
      optimizerDecoder: config.optimizerG,
      optimizerEncoder: config.optimizerD,
    });
    const sampler = new BatchSampler(16, 8, 1);
    const before = await trainer.getState();
    const losses: number[] = [];
    let tensors = 0;
    for (let i = 0; i < 60; i++) {
      trainer.iteration(drawIterationInputs(rng, sampler, { nCritic: 1, batchSize: 8, latentDim: 3 }));
      if (i % 10 === 9) {
        losses.push(...(await trainer.readStats()).map((s) => s.loss));
        if (i === 19) tensors = tf.memory().numTensors;
      }
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(losses.length).toBe(60);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) - 10);
    const after = await trainer.getState();
    expect(after.generatorOptimizer.step).toBe(60);
    expect(after.criticOptimizer.step).toBe(60);
    expect(after.generator.get('0.kernel')).not.toEqual(before.generator.get('0.kernel'));
    expect(after.critic.get('0.kernel')).not.toEqual(before.critic.get('0.kernel'));
    const samples = await trainer.generate(rng.fillNormal(new Float32Array(5 * 3)), 5);
    expect(samples.length).toBe(5 * 784);
    for (const v of samples) expect(v >= -1 && v <= 1).toBe(true);
    trainer.dispose();
    encoder.dispose();
    decoder.dispose();
  }, 60_000);
});

describe('train() with --model vae', () => {
  it('writes loss/recon/kl metrics, per-epoch VAE diagnostics and checkpoints export and evaluate can read', async () => {
    const result = await train(tinyVae({ name: 'vae', iterations: 40, checkpointEvery: 20, snapshotEvery: 20 }), {
      logger: quiet,
      progress: false,
    });
    const dir = result.runDir;
    const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.iteration)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // one batch per iteration, 16 per epoch
    expect(lines.map((l) => l.epoch)).toEqual(Array.from({ length: 40 }, (_, i) => Math.floor(i / 16)));
    for (const l of lines) {
      for (const f of ['loss', 'recon', 'kl', 'bce', 'logC', 'lossRunning', 'reconRunning', 'klRunning', 'bceRunning'])
        expect(Number.isFinite(l[f]), f).toBe(true);
      expect(l.loss).toBeCloseTo(l.recon + l.kl, 3);
      expect(l.recon).toBeCloseTo(l.bce, 4); // coefficient 0: the reconstruction term is the BCE
      expect(l).not.toHaveProperty('lossD');
    }
    expect(lines[16].lossRunning).toBe(lines[16].loss); // a new epoch starts the running means afresh

    const stats = JSON.parse(await readFile(join(dir, 'train-stats.json'), 'utf8'));
    expect(stats.E4).toBeNull();
    expect(stats.epochs.map((e: { epoch: number; iteration: number }) => [e.epoch, e.iteration])).toEqual([
      [0, 16],
      [1, 32],
    ]);
    const e0 = stats.epochs[0];
    expect(e0.train.loss).toBeCloseTo(lines.slice(0, 16).reduce((s, l) => s + l.loss, 0) / 16, 3);
    expect(e0.test.count).toBe(16);
    expect(e0.test.loss).toBeCloseTo(e0.test.recon + e0.test.kl, 3);
    for (const f of [
      'test-batch.f32',
      'test-labels.u8',
      'reconstructions-epoch-001.f32',
      'reconstructions-epoch-001.png',
      'latent-means-epoch-001.f32',
      'manifold-epoch-001.f32',
      'manifold-epoch-001.png',
    ]) {
      expect(existsSync(join(dir, 'vae', f)), f).toBe(true);
    }
    expect((await readFloat32(join(dir, 'vae', 'latent-means-epoch-001.f32'))).length).toBe(16 * 2);
    const manifold = await readFloat32(join(dir, 'vae', 'manifold-epoch-001.f32'));
    expect(manifold.length).toBe(400 * 784);
    for (const v of manifold) expect(v >= -1 && v <= 1).toBe(true);

    const sealed = await readArtifact(dir, { stage: 'train' });
    expect(Object.keys(sealed.manifest.files)).toContain('vae/manifold-epoch-001.png');
    expect(await listCheckpoints(dir)).toEqual([0, 20, 40]);
    const ckpt = await readCheckpoint(await resolveCheckpoint(dir));
    expect(ckpt.artifact.manifest.meta).toMatchObject({ iteration: 40, model: 'vae', loss: 'elbo', latentDim: 2 });
    expect(ckpt.specs.generator.role).toBe('decoder');
    expect(outputRange(ckpt.specs.generator)).toEqual([0, 1]);
    expect(ckpt.specs.critic).toMatchObject({ role: 'encoder', inputSize: 784, outputSize: 4 });
    expect(ckpt.trainer.generatorOptimizer.step).toBe(40);
    expect(ckpt.trainer.criticOptimizer.step).toBe(40);
    const snapshot = await readFloat32(join(dir, 'snapshots', 'iter-00000040.f32'));
    expect(snapshot.length).toBe(4 * 784);
    // the snapshot is the decoder's output in the pipeline's scale: 2·σ − 1
    const decoder = Network.fromValues(ckpt.specs.generator, ckpt.trainer.generator);
    const zFixed = await readFloat32(join(dir, 'z_fixed.f32'));
    const direct = (await decoder.apply(tf.tensor2d(zFixed, [4, 2])).data()) as Float32Array;
    direct.forEach((v, i) => expect(snapshot[i]).toBeCloseTo(2 * v - 1, 5));
    decoder.dispose();
  }, 120_000);

  it('resumes exactly: 20 + 20 iterations give the same weights and optimiser state as 40', async () => {
    await train(tinyVae({ name: 'vae-straight', iterations: 40, checkpointEvery: 20 }), {
      logger: quiet,
      progress: false,
    });
    await train(tinyVae({ name: 'vae-resumed', iterations: 20, checkpointEvery: 20 }), {
      logger: quiet,
      progress: false,
    });
    await train(tinyVae({ name: 'vae-resumed', iterations: 40, checkpointEvery: 20 }), {
      logger: quiet,
      progress: false,
      resume: true,
    });
    const file = (run: string, f: string) => sha256File(join(root, 'runs', run, 'checkpoints', '00000040', f));
    for (const f of [
      'generator.weights.bin',
      'critic.weights.bin',
      'optimizer-generator.weights.bin',
      'optimizer-critic.weights.bin',
    ]) {
      expect(await file('vae-resumed', f), f).toBe(await file('vae-straight', f));
    }
  }, 120_000);
});
