import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError, readFloat32, Rng, silentLogger } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import { resolveTrainConfig } from './config.js';
import { readCheckpoint, resolveCheckpoint } from './checkpoint.js';
import { modelSpecs } from './factory.js';
import {
  bceDiscriminatorLoss,
  bceGeneratorLoss,
  bceSaturatingGeneratorLoss,
  bceWithLogits,
  gradientPenalty,
  lsganDiscriminatorLoss,
  lsganGeneratorLoss,
  rowNorms,
} from './losses.js';
import { dcganDiscriminator, dcganGenerator, seed002Discriminator, seed002Generator } from './models/architectures.js';
import { Network, type BatchStat } from './models/network.js';
import { countTrainable, type NetworkSpec } from './models/spec.js';
import { criticInputGradientAutodiff } from './trainers/tfjs/penalty.js';
import { BatchSampler, drawIterationInputs } from './sampling.js';
import { train } from './loop.js';
import { TfjsAutodiffTrainer } from './trainers/tfjs-autodiff/trainer.js';
import { makeTinyData, tinyDcganCritic } from './testing/index.js';

let root: string;
let data: string;
let smallData: string;
const quiet = silentLogger();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gan-family-'));
  process.env.WGAN_ARTIFACTS = root;
  data = await makeTinyData(root);
  smallData = await makeTinyData(join(root, 'small'), 16);
  await initBackend('wasm');
});
afterAll(async () => {
  delete process.env.WGAN_ARTIFACTS;
  await rm(root, { recursive: true, force: true });
});

/** The seed's rel_error: max |x − y| / max(1e-8, |x| + |y|). */
const relError = (x: number, y: number) => Math.abs(x - y) / Math.max(1e-8, Math.abs(x) + Math.abs(y));
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
/** Float64 references written from the seed's formulas with σ and log, not the stable form the code uses. */
const sigmoid = (s: number) => 1 / (1 + Math.exp(-s));
const refBce = (logits: number[], y: 0 | 1) =>
  mean(logits.map((s) => -(y * Math.log(sigmoid(s)) + (1 - y) * Math.log(1 - sigmoid(s)))));
const refD = (real: number[], fake: number[]) => refBce(real, 1) + refBce(fake, 0);
const refG = (fake: number[]) => refBce(fake, 1);
const refLsD = (real: number[], fake: number[]) =>
  0.5 * mean(real.map((s) => (s - 1) ** 2)) + 0.5 * mean(fake.map((s) => s ** 2));
const refLsG = (fake: number[]) => 0.5 * mean(fake.map((s) => (s - 1) ** 2));
const value = async (t: tf.Tensor) => {
  const v = (await t.data())[0];
  t.dispose();
  return v;
};
const col = (a: number[]) => tf.tensor2d(a, [a.length, 1]);

describe('the seed-002 losses on tiny logits', () => {
  // σ(ln 3) = 3/4 and σ(−ln 3) = 1/4, so every term is a logarithm of a simple fraction
  const ln3 = Math.log(3);
  it.each([
    ['logits 0: BCE = ln 2 each', [0, 0], [0, 0], 2 * Math.LN2, Math.LN2],
    [
      'σ = 3/4 on real, 1/4 on fake: −ln(3/4) − ln(1 − 1/4); G: −ln(1/4)',
      [ln3, ln3],
      [-ln3, -ln3],
      2 * Math.log(4 / 3),
      Math.log(4),
    ],
    [
      'mixed: D = ½(ln 2 + ln(4/3)) + ½(ln 2 + ln 4)',
      [0, ln3],
      [0, ln3],
      0.5 * (Math.LN2 + Math.log(4 / 3)) + 0.5 * (Math.LN2 + Math.log(4)),
      0.5 * (Math.LN2 + Math.log(4 / 3)),
    ],
  ])('BCE (vanilla GAN, non-saturating G): %s', async (_label, real, fake, dHand, gHand) => {
    // the float64 reference itself equals the hand value to the seed's 1e-8 ("errors less than 1e-8")
    expect(relError(refD(real, fake), dHand)).toBeLessThan(1e-8);
    expect(relError(refG(fake), gHand)).toBeLessThan(1e-8);
    // tfjs (float32) against the float64 value
    expect(relError(await value(bceDiscriminatorLoss(col(real), col(fake))), dHand)).toBeLessThan(1e-6);
    expect(relError(await value(bceGeneratorLoss(col(fake))), gHand)).toBeLessThan(1e-6);
  });

  it.each([
    ['perfect scores: 0 and ½', [1, 1], [0, 0], 0, 0.5],
    ['½·mean((1, 3) − 1)² + ½·mean((0, 2)²) = 1 + 1; G ½·mean((−1, 1)²) = ½', [1, 3], [0, 2], 2, 0.5],
    ['½·mean((−1)²) + ½·mean(0.5²); G ½·(0.5 − 1)²', [0], [0.5], 0.625, 0.125],
  ])('least squares (LSGAN): %s', async (_label, real, fake, dHand, gHand) => {
    expect(relError(refLsD(real, fake), dHand)).toBeLessThan(1e-8);
    expect(relError(refLsG(fake), gHand)).toBeLessThan(1e-8);
    expect(relError(await value(lsganDiscriminatorLoss(col(real), col(fake))), dHand)).toBeLessThan(1e-7);
    expect(relError(await value(lsganGeneratorLoss(col(fake))), gHand)).toBeLessThan(1e-7);
  });

  it('match the float64 formulas on random logits, large ones included (the stable BCE form does not overflow)', async () => {
    const rng = Rng.fromSeed(3);
    const real = Array.from({ length: 16 }, () => Math.fround(rng.normal() * 3));
    const fake = Array.from({ length: 16 }, () => Math.fround(rng.normal() * 3));
    expect(relError(await value(bceDiscriminatorLoss(col(real), col(fake))), refD(real, fake))).toBeLessThan(1e-6);
    expect(relError(await value(bceGeneratorLoss(col(fake))), refG(fake))).toBeLessThan(1e-6);
    expect(
      relError(await value(bceSaturatingGeneratorLoss(col(fake))), mean(fake.map((s) => Math.log(1 - sigmoid(s))))),
    ).toBeLessThan(1e-6);
    expect(relError(await value(lsganDiscriminatorLoss(col(real), col(fake))), refLsD(real, fake))).toBeLessThan(1e-6);
    expect(relError(await value(lsganGeneratorLoss(col(fake))), refLsG(fake))).toBeLessThan(1e-6);
    // logits of ±100: the naive float64 log(σ) gives Infinity for the wrong class; the stable form gives ≈ 100
    expect(await value(bceWithLogits(col([100, -100]), 1))).toBeCloseTo(50, 4);
    expect(await value(bceWithLogits(col([100, -100]), 0))).toBeCloseTo(50, 4);
  });
});

describe('the seed-002 networks', () => {
  const traceOf = (spec: NetworkSpec) => {
    const net = Network.create(spec, Rng.fromSeed(1));
    const trace: number[][] = [];
    const y = tf.tidy(() => net.apply(tf.zeros([2, spec.inputSize]), { trace }));
    const shape = y.shape;
    y.dispose();
    net.dispose();
    return { trace, shape };
  };

  it("DCGAN generator (InfoGAN): shape after every layer, and the seed's parameter count test_generator(6580801)", () => {
    const { trace, shape } = traceOf(dcganGenerator(10));
    expect(trace).toEqual([
      [1024],
      [1024],
      [1024],
      [6272],
      [6272],
      [6272],
      [7, 7, 128],
      [14, 14, 64],
      [14, 14, 64],
      [14, 14, 64],
      [28, 28, 1],
      [28, 28, 1],
    ]);
    expect(shape).toEqual([2, 784]);
    // the seed's count is for the test's noise_dim = 4 (CS231n's test builds the generator with 4):
    // FC 4·1024 + 1024, BN 2·1024, FC 1024·6272 + 6272, BN 2·6272, ConvT 128·64·16 + 64, BN 2·64, ConvT 64·16 + 1
    expect(countTrainable(dcganGenerator(4))).toBe(6_580_801);
    expect(countTrainable(dcganGenerator(10))).toBe(6_580_801 + 6 * 1024);
  });

  it("DCGAN discriminator: shape after every layer, and the seed's test_discriminator(1102721)", () => {
    const { trace, shape } = traceOf(dcganDiscriminator());
    expect(trace).toEqual([
      [28, 28, 1],
      [24, 24, 32],
      [24, 24, 32],
      [12, 12, 32],
      [8, 8, 64],
      [8, 8, 64],
      [4, 4, 64],
      [1024],
      [1024],
      [1024],
      [1],
    ]);
    expect(shape).toEqual([2, 1]);
    expect(countTrainable(dcganDiscriminator())).toBe(1_102_721); // 832 + 51,264 + 1,049,600 + 1,025
  });

  it('vanilla-GAN MLPs: 784 → 256 → 256 → 1 and d_z → 1024 → 1024 → 784', () => {
    expect(countTrainable(seed002Discriminator())).toBe(784 * 256 + 256 + 256 * 256 + 256 + 256 + 1); // 267,009
    expect(countTrainable(seed002Generator(4))).toBe(1_858_320); // CS231n's test_generator(1858320), noise_dim 4
    expect(
      seed002Discriminator()
        .layers.filter((l) => l.type === 'leakyRelu')
        .map((l) => (l as { alpha: number }).alpha),
    ).toEqual([0.01, 0.01]);
    expect(seed002Generator(10).layers.map((l) => l.type)).toEqual(['dense', 'relu', 'dense', 'relu', 'dense', 'tanh']);
  });
});

describe('config for the seed-002 families', () => {
  it("applies each family's seed defaults beneath the flags", () => {
    const vanilla = resolveTrainConfig({ overrides: { model: 'gan-mlp' } });
    expect(vanilla).toMatchObject({
      loss: 'bce',
      latentDim: 10,
      noise: 'uniform',
      batchSize: 128,
      nCritic: 1,
      generatorHidden: [1024, 1024],
      criticHidden: [256, 256],
      iterations: 4680,
    });
    expect(vanilla.optimizerD).toEqual({ type: 'adam', lr: 1e-3, beta1: 0.5, beta2: 0.999, eps: 1e-8 });
    expect(resolveTrainConfig({ overrides: { model: 'gan-mlp', loss: 'lsgan' } })).toMatchObject({
      loss: 'lsgan',
      nCritic: 1,
      latentDim: 10,
    });
    expect(resolveTrainConfig({ overrides: { model: 'dcgan' } })).toMatchObject({
      loss: 'bce',
      latentDim: 10,
      noise: 'uniform',
      batchSize: 128,
      nCritic: 1,
      iterations: 2340,
    });
    // the DCGAN as a WGAN-GP: the WGAN's optimiser and n_critic, nested autodiff for the conv critic's penalty
    const wgan = resolveTrainConfig({ overrides: { model: 'dcgan', loss: 'gp' } });
    expect(wgan).toMatchObject({ nCritic: 5, penalty: 'autodiff', optimizerD: { lr: 2e-4, beta1: 0, beta2: 0.9 } });
    // the seed's printed β₂ = 0.4999 is one flag away; flags beat family defaults
    expect(
      resolveTrainConfig({
        overrides: { model: 'gan-mlp', optimizerD: { beta2: 0.4999 }, batchSize: 64, latentDim: 96, noise: 'normal' },
      }),
    ).toMatchObject({ batchSize: 64, latentDim: 96, noise: 'normal', optimizerD: { beta2: 0.4999, beta1: 0.5 } });
    // the WGAN defaults are untouched
    expect(resolveTrainConfig({})).toMatchObject({
      model: 'mlp',
      loss: 'gp',
      latentDim: 100,
      noise: 'normal',
      batchSize: 64,
      nCritic: 5,
      iterations: 2000,
    });
  });

  it('refuses MLP widths for the DCGAN, naming the key', () => {
    expect(() => resolveTrainConfig({ overrides: { model: 'dcgan', criticHidden: [8] } })).toThrow(PipelineError);
    expect(() => resolveTrainConfig({ overrides: { model: 'dcgan', criticHidden: [8] } })).toThrow(
      /criticHidden does not apply to the dcgan/,
    );
  });

  it('names the second network by its loss: a discriminator (logits) for bce/lsgan, a critic for the WGANs', () => {
    expect(modelSpecs(resolveTrainConfig({ overrides: { model: 'dcgan' } })).critic.role).toBe('discriminator');
    expect(modelSpecs(resolveTrainConfig({ overrides: { model: 'dcgan', loss: 'gp' } })).critic.role).toBe('critic');
    expect(modelSpecs(resolveTrainConfig({})).critic.role).toBe('critic');
  });

  it('draws U(−1, 1) latents for the seed-002 families', () => {
    const inputs = drawIterationInputs(Rng.fromSeed(1), new BatchSampler(64, 8, 1), {
      nCritic: 1,
      batchSize: 8,
      latentDim: 10,
      noise: 'uniform',
    });
    const z = [...inputs.zCritic[0], ...inputs.zGen];
    expect(Math.min(...z)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...z)).toBeLessThan(1);
    expect(Math.abs(mean(z))).toBeLessThan(0.15);
  });
});

/** A small DCGAN-shaped generator with all three BatchNorm kinds (1d on features, 1d before a reshape, 2d). */
function smallBnGenerator(latentDim: number): NetworkSpec {
  return {
    role: 'generator',
    inputSize: latentDim,
    outputSize: 784,
    layers: [
      { type: 'dense', inputs: latentDim, units: 16 },
      { type: 'relu' },
      { type: 'batchNorm', features: 16, epsilon: 1e-5, momentum: 0.1 },
      { type: 'dense', inputs: 16, units: 7 * 7 * 4 },
      { type: 'relu' },
      { type: 'batchNorm', features: 7 * 7 * 4, epsilon: 1e-5, momentum: 0.1 },
      { type: 'reshape', shape: [7, 7, 4] },
      { type: 'convTranspose2d', inChannels: 4, filters: 3, kernel: 4, stride: 2, padding: 1 },
      { type: 'relu' },
      { type: 'batchNorm', features: 3, epsilon: 1e-5, momentum: 0.1 },
      { type: 'convTranspose2d', inChannels: 3, filters: 1, kernel: 4, stride: 2, padding: 1 },
      { type: 'tanh' },
    ],
    init: { scheme: 'torch-default' },
  };
}

describe('BatchNorm in the training step', () => {
  const adam = { type: 'adam' as const, lr: 1e-3, beta1: 0.5, beta2: 0.999, eps: 1e-8 };
  const setup = (seed: number, loss: 'bce' | 'gp' = 'bce') => {
    const rng = Rng.fromSeed(seed);
    const generator = Network.create(smallBnGenerator(6), rng);
    const critic = Network.create(tinyDcganCritic(8), rng);
    const images = rng.fillUniform(new Float32Array(32 * 784), -1, 1);
    const trainer = new TfjsAutodiffTrainer({
      generator,
      critic,
      images,
      imageCount: 32,
      loss,
      lambda: 10,
      clipValue: 0.01,
      nCritic: 1,
      batchSize: 4,
      latentDim: 6,
      penalty: 'autodiff',
      optimizerG: adam,
      optimizerD: adam,
    });
    return { rng, generator, critic, trainer, sampler: new BatchSampler(32, 4, seed) };
  };

  it(
    'updates the running statistics twice per iteration (the ' +
      "fakes of the D step, then the G step), PyTorch's momentum rule",
    async () => {
      const { rng, generator, trainer, sampler } = setup(2);
      const copy = Network.fromValues(generator.spec, await generator.readValues(), 'copy');
      const inputs = drawIterationInputs(rng, sampler, { nCritic: 1, batchSize: 4, latentDim: 6, noise: 'uniform' });
      // the batch statistics both forwards see (G's weights change only after both)
      const statsOf = async (z: Float32Array) => {
        const stats: BatchStat[] = [];
        tf.tidy(() => copy.apply(tf.tensor2d(z, [4, 6]), { training: true, batchStats: stats }));
        const out = await Promise.all(
          stats.map(async (s) => ({
            layer: s.layer,
            count: s.count,
            mean: await s.mean.data(),
            variance: await s.variance.data(),
          })),
        );
        tf.dispose(stats.flatMap((s) => [s.mean, s.variance]));
        return out;
      };
      const first = await statsOf(inputs.zCritic[0]);
      const second = await statsOf(inputs.zGen);
      expect(first.map((s) => [s.layer, s.count])).toEqual([
        [2, 4],
        [5, 4],
        [9, 4 * 14 * 14],
      ]);
      trainer.iteration(inputs);
      await trainer.readStats();
      for (const [k, layer] of [2, 5, 9].entries()) {
        const m = 0.1;
        const unbiased = (v: number, n: number) => (v * n) / (n - 1);
        const runMean = Array.from(first[k].mean, (mu, j) => (1 - m) * (m * mu) + m * second[k].mean[j]);
        const runVar = Array.from(
          first[k].variance,
          (v, j) =>
            (1 - m) * ((1 - m) * 1 + m * unbiased(v, first[k].count)) +
            m * unbiased(second[k].variance[j], first[k].count),
        );
        const gotMean = await generator.get(`${layer}.movingMean`).data();
        const gotVar = await generator.get(`${layer}.movingVariance`).data();
        runMean.forEach((v, j) => expect(gotMean[j]).toBeCloseTo(v, 5));
        runVar.forEach((v, j) => expect(gotVar[j]).toBeCloseTo(v, 4));
      }
      // generate() (snapshots) runs in inference mode: the running statistics, not the batch's
      const z = drawIterationInputs(rng, sampler, { nCritic: 0, batchSize: 4, latentDim: 6 }).zGen;
      copy.assign(await generator.readValues());
      const inference = await tf.tidy(() => copy.apply(tf.tensor2d(z, [4, 6]))).data();
      const training = await tf.tidy(() => copy.apply(tf.tensor2d(z, [4, 6]), { training: true })).data();
      const generated = await trainer.generate(z, 4);
      expect(Array.from(generated)).toEqual(Array.from(inference));
      expect(Array.from(generated)).not.toEqual(Array.from(training));
      copy.dispose();
      trainer.dispose();
    },
  );

  it("keeps tf.memory().numTensors flat with BatchNorm, conv layers and the conv critic's nested-autodiff penalty", async () => {
    for (const loss of ['bce', 'gp'] as const) {
      const { rng, trainer, sampler } = setup(4, loss);
      const run = async (n: number) => {
        for (let i = 0; i < n; i++) {
          trainer.iteration(
            drawIterationInputs(rng, sampler, { nCritic: 1, batchSize: 4, latentDim: 6, noise: 'uniform' }),
          );
          await trainer.readStats();
        }
      };
      await run(2);
      const after = tf.memory().numTensors;
      await run(6);
      expect(tf.memory().numTensors, loss).toBe(after);
      trainer.dispose();
    }
  });
});

describe('the gradient penalty of a conv critic (nested autodiff through conv2d and maxPool)', () => {
  it('has the weight gradient of finite differences of the penalty', async () => {
    const rng = Rng.fromSeed(9);
    const critic = Network.create(tinyDcganCritic(8), rng);
    const x = tf.tensor2d(rng.fillUniform(new Float32Array(3 * 784), -1, 1), [3, 784]);
    const penalty = () => gradientPenalty(rowNorms(criticInputGradientAutodiff(critic, x)), 10);
    const names = critic.trainableNames();
    const { value, grads } = tf.variableGrads(penalty, critic.trainable());
    value.dispose();
    // a few entries of the first conv kernel, the second conv's bias and the first dense kernel
    for (const [name, index] of [
      ['1.kernel', 0],
      ['1.kernel', 17],
      ['4.kernel', 31],
      ['4.bias', 2],
      ['8.kernel', 100],
    ] as const) {
      expect(names).toContain(name);
      const v = critic.get(name);
      const original = await v.data();
      const at = (delta: number) => {
        const shifted = Float32Array.from(original);
        shifted[index] += delta;
        v.assign(tf.tensor(shifted, v.shape));
        return tf.tidy(() => penalty().dataSync()[0]);
      };
      // small steps: ∇ₓD jumps where a pooling window's argmax switches, which a large step can cross
      const h = 5e-4;
      const fd = (at(h) - at(-h)) / (2 * h);
      v.assign(tf.tensor(original, v.shape));
      const auto = (await grads[v.name].data())[index];
      expect(Math.abs(auto - fd), `${name}[${index}]: autodiff ${auto}, finite differences ${fd}`).toBeLessThan(
        1e-2 * Math.max(1, Math.abs(fd)),
      );
    }
    tf.dispose([x, ...Object.values(grads)]);
    critic.dispose();
  });
});

describe('train() with the new families (tiny runs)', () => {
  const tiny = {
    data,
    batchSize: 8,
    backend: 'wasm',
    logEvery: 2,
    snapshotEvery: 0,
    checkpointEvery: 3,
    milestones: [0],
    diagnosticsSamples: 8,
    fixedSamples: 4,
  };

  it.each([
    ['gan-mlp', 'bce', { generatorHidden: [16], criticHidden: [8], iterations: 20 }],
    ['gan-mlp', 'lsgan', { generatorHidden: [16], criticHidden: [8], iterations: 20 }],
    // 16 images: an epoch of 2 batches, so the epoch-end diagnostics run on the conv critic; checkpoints
    // (≈ 90 MB each with Adam's state) only at the start and the end
    ['dcgan', 'bce', { iterations: 3, checkpointEvery: 3, small: true }],
  ] as const)(
    '%s with %s: metrics, eval-mode snapshots from checkpointed BatchNorm statistics, E5 at epoch ends',
    async (model, loss, extra) => {
      const name = `${model}-${loss}`;
      const { small, ...rest } = { small: false, ...extra };
      const config = resolveTrainConfig({
        overrides: { ...tiny, data: small ? smallData : data, name, model, loss, ...rest },
      });
      expect(config.latentDim).toBe(10);
      const result = await train(config, { logger: quiet, progress: false });
      const lines = (await readFile(join(result.runDir, 'metrics.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(config.iterations);
      for (const l of lines) {
        expect(Number.isFinite(l.lossD) && Number.isFinite(l.lossG)).toBe(true);
        expect(l.gp).toBe(0);
        expect(l.gradNormMean).toBeNull();
      }
      const ckpt = await readCheckpoint(await resolveCheckpoint(result.runDir));
      expect(ckpt.specs.critic.role).toBe('discriminator');
      expect(ckpt.trainer.criticOptimizer.step).toBe(config.iterations); // n_critic = 1
      // the final snapshot is G(z_fixed) in inference mode, reproducible from the checkpoint alone
      const generator = Network.fromValues(ckpt.specs.generator, ckpt.trainer.generator, 'check');
      const zFixed = await readFloat32(join(result.runDir, 'z_fixed.f32'));
      expect(Math.min(...zFixed)).toBeGreaterThanOrEqual(-1); // U(−1, 1)
      const fromCheckpoint = await tf.tidy(() => generator.apply(tf.tensor2d(zFixed, [4, 10]))).data();
      const snapshot = await readFloat32(
        join(result.runDir, 'snapshots', `iter-${String(config.iterations).padStart(8, '0')}.f32`),
      );
      expect(Array.from(snapshot)).toEqual(Array.from(fromCheckpoint));
      if (model === 'dcgan') {
        const running = ckpt.trainer.generator.get('2.movingMean')!;
        expect(running.some((v) => v !== 0)).toBe(true); // moved off its initial 0 and saved
      }
      const stats = JSON.parse(await readFile(join(result.runDir, 'train-stats.json'), 'utf8'));
      expect(stats.epochs.length).toBeGreaterThan(0); // 128 / 8 = 16 (16 / 8 = 2) iterations per epoch
      // E5 for a BCE / least-squares discriminator: its mean logits (scores) on real and generated images
      expect(stats.epochs[0].E5.wassersteinGap).toBeCloseTo(stats.epochs[0].E5.dReal - stats.epochs[0].E5.dFake, 6);
      expect(stats.epochs[0].E6).toBeNull();
      expect(stats.epochs[0].E7).toBeNull();
      expect(stats.E4.deltaD).toBeGreaterThan(0);
      generator.dispose();
    },
    120_000,
  );

  it('dcgan with gp (the WGAN-GP conv critic): 5 critic steps with the nested-autodiff penalty', async () => {
    const config = resolveTrainConfig({
      overrides: {
        ...tiny,
        data,
        name: 'dcgan-gp',
        model: 'dcgan',
        loss: 'gp',
        iterations: 1,
        batchSize: 4,
        checkpointEvery: 1,
      },
    });
    const result = await train(config, { logger: quiet, progress: false });
    const [line] = (await readFile(join(result.runDir, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(line.gp).toBeGreaterThan(0);
    expect(line.gradNormMean).toBeGreaterThan(0);
    const ckpt = await readCheckpoint(await resolveCheckpoint(result.runDir));
    expect(ckpt.specs.critic.role).toBe('critic');
    expect(ckpt.trainer.criticOptimizer.step).toBe(5);
  }, 120_000);
});
