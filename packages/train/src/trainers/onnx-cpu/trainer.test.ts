import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { denseStack } from '../../models/architectures.js';
import { Network, initialValues } from '../../models/network.js';
import type { NetworkSpec } from '../../models/spec.js';
import { BatchSampler, drawIterationInputs } from '../../sampling.js';
import { TfjsAutodiffTrainer } from '../tfjs-autodiff/trainer.js';
import type { Trainer } from '../../trainer.js';
import { loadFusedOptimizer } from './fused-optimizer.js';
import { OnnxCpuTrainer } from './trainer.js';

const fusedLoad = loadFusedOptimizer();
if (!fusedLoad.addon) console.log(`fused-optimiser cases skipped: ${fusedLoad.reason}`);
const paths = fusedLoad.addon ? (['fused', 'graph'] as const) : (['graph'] as const);

/** The onnxruntime trainer against the tfjs autodiff reference: same weights, same inputs, k iterations. */
beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

const dz = 64;
const d = 40;
const spec = (role: string, sizes: number[], last: 'tanh' | null, slope: number): NetworkSpec => ({
  role,
  inputSize: sizes[0],
  outputSize: sizes[sizes.length - 1],
  layers: denseStack(
    sizes,
    slope === 0 ? { type: 'relu' } : { type: 'leakyRelu', alpha: slope },
    last ? { type: last } : null,
  ),
  init: { scheme: 'torch-default' },
});

async function compare(
  optimizer: 'fused' | 'graph',
  loss: 'gp' | 'clip',
  gSizes: number[],
  dSizes: number[],
  slope: number,
  batchSize: number,
) {
  const gSpec = spec('generator', [dz, ...gSizes, d], 'tanh', slope);
  const cSpec = spec('critic', [d, ...dSizes, 1], null, slope);
  const rng = Rng.fromSeed(13);
  const images = rng.fillUniform(new Float32Array(96 * d), -1, 1);
  const g0 = initialValues(gSpec, rng);
  const c0 = initialValues(cSpec, rng);
  // ε = 1e-3 keeps Adam/RMSprop from amplifying float32 noise in gradients that are zero in exact arithmetic
  const opt =
    loss === 'gp'
      ? { type: 'adam' as const, lr: 1e-3, beta1: 0.5, beta2: 0.9, eps: 1e-3 }
      : { type: 'rmsprop' as const, lr: 1e-3, alpha: 0.99, eps: 1e-3 };
  const common = { loss, lambda: 10, clipValue: 0.05, nCritic: 5, batchSize, optimizerG: opt, optimizerD: opt };
  const onnxCommon = { ...common, optimizer };
  const reference: Trainer = new TfjsAutodiffTrainer({
    ...common,
    generator: Network.fromValues(gSpec, g0),
    critic: Network.fromValues(cSpec, c0),
    images,
    imageCount: 96,
    latentDim: dz,
    penalty: 'closed-form',
  });
  const onnx = await OnnxCpuTrainer.create({
    ...onnxCommon,
    generatorSpec: gSpec,
    criticSpec: cSpec,
    images,
    imageCount: 96,
    initial: {
      generator: g0,
      critic: c0,
      generatorOptimizer: { kind: opt.type, step: 0, slots: [] },
      criticOptimizer: { kind: opt.type, step: 0, slots: [] },
    },
  });
  for (const t of [reference, onnx]) {
    const r = Rng.fromSeed(5);
    const sampler = new BatchSampler(96, batchSize, 5);
    for (let i = 0; i < 5; i++) t.iteration(drawIterationInputs(r, sampler, { nCritic: 5, batchSize, latentDim: dz }));
  }
  const [a, b] = [await reference.readStats(), await onnx.readStats()];
  expect(b).toHaveLength(5);
  a.forEach((s, i) => {
    for (const [k, v] of Object.entries(s)) {
      const w = (b[i] as Record<string, number>)[k];
      if (Number.isNaN(v)) expect(Number.isNaN(w), `${k}`).toBe(true);
      else
        expect(Math.abs(w - v), `${k} at iteration ${i}: ${v} vs ${w}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(v)));
    }
  });
  const [sa, sb] = [await reference.getState(), await onnx.getState()];
  for (const net of ['generator', 'critic'] as const) {
    for (const [name, x] of sa[net]) {
      const y = sb[net].get(name) as Float32Array;
      expect(
        x.reduce((m, v, j) => Math.max(m, Math.abs(v - y[j])), 0),
        `${net} ${name}`,
      ).toBeLessThan(5e-5);
    }
  }
  expect(sb.criticOptimizer.step).toBe(25);
  expect(sb.generatorOptimizer.step).toBe(5);
  // a trainer resumed from the state continues identically to one that was never stopped
  const resumed = await OnnxCpuTrainer.create({
    ...onnxCommon,
    generatorSpec: gSpec,
    criticSpec: cSpec,
    images,
    imageCount: 96,
    initial: sb,
  });
  const r1 = Rng.fromSeed(8);
  const r2 = Rng.fromSeed(8);
  onnx.iteration(drawIterationInputs(r1, new BatchSampler(96, batchSize, 9), { nCritic: 5, batchSize, latentDim: dz }));
  resumed.iteration(
    drawIterationInputs(r2, new BatchSampler(96, batchSize, 9), { nCritic: 5, batchSize, latentDim: dz }),
  );
  expect(await resumed.readStats()).toEqual(await onnx.readStats());
  const z = Rng.fromSeed(1).fillNormal(new Float32Array(3 * dz));
  expect(await resumed.generate(z, 3)).toEqual(await onnx.generate(z, 3));
  for (const t of [reference, onnx, resumed]) t.dispose();
}

describe.each(paths)('OnnxCpuTrainer (%s optimiser) vs TfjsAutodiffTrainer (autodiff)', (path) => {
  it('WGAN-GP, LeakyReLU, 3-hidden-layer critic, B = 16: 5 iterations agree', () =>
    compare(path, 'gp', [24, 32], [32, 16, 8], 0.2, 16));
  it('WGAN-GP, ReLU, 1-hidden-layer critic, B = 12: 5 iterations agree', () => compare(path, 'gp', [24], [20], 0, 12));
  it('weight clipping, RMSprop: 5 iterations agree', () => compare(path, 'clip', [24, 32], [32, 16], 0.2, 16));
});

describe('OnnxCpuTrainer: the gradient penalty at ‖∇D‖ = 0', () => {
  // G(z) = (−5, 0) for every z (zero kernel, bias (−5, 0)); real data at x₁ = −1; the critic's hidden units
  // are h = relu(x₁·(1, 1, 1)), dead for every x₁ < 0: ∇ₓD = 0 on every real, fake and interpolated point.
  // torch's norm backward gives the penalty no gradient there; (‖g‖ − 1)/‖g‖ alone is 0/0 = NaN.
  const gSpec: NetworkSpec = {
    role: 'generator',
    inputSize: 2,
    outputSize: 2,
    layers: [{ type: 'dense', inputs: 2, units: 2 }],
    init: { scheme: 'normal', std: 1 },
  };
  const dSpec: NetworkSpec = {
    role: 'critic',
    inputSize: 2,
    outputSize: 1,
    layers: [{ type: 'dense', inputs: 2, units: 3 }, { type: 'relu' }, { type: 'dense', inputs: 3, units: 1 }],
    init: { scheme: 'normal', std: 1 },
  };
  const g0 = () =>
    new Map([
      ['0.kernel', new Float32Array(4)],
      ['0.bias', Float32Array.from([-5, 0])],
    ]);
  const c0 = () =>
    new Map([
      ['0.kernel', Float32Array.from([1, 1, 1, 0, 0, 0])],
      ['0.bias', new Float32Array(3)],
      ['2.kernel', Float32Array.from([1, -1, 0.5])],
      ['2.bias', new Float32Array(1)],
    ]);
  const images = Float32Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? -1 : (i - 8) / 8));
  const adam = { type: 'adam' as const, lr: 1e-3, beta1: 0.5, beta2: 0.9, eps: 1e-8 };
  const common = {
    loss: 'gp' as const,
    lambda: 10,
    clipValue: 0.01,
    nCritic: 1,
    batchSize: 4,
    optimizerG: adam,
    optimizerD: adam,
  };
  const inputs = () => {
    const rng = Rng.fromSeed(1);
    return {
      indices: [Uint32Array.from([0, 1, 2, 3])],
      zCritic: [rng.fillNormal(new Float32Array(8))],
      eps: [rng.fillUniform(new Float32Array(4))],
      zGen: rng.fillNormal(new Float32Array(8)),
    };
  };

  it('the weights stay finite, the penalty is λ·(0 − 1)² = λ, and they match the tfjs trainer', async () => {
    const fresh = (kind: 'adam') => ({ kind, step: 0, slots: [] });
    const onnx = await OnnxCpuTrainer.create({
      ...common,
      generatorSpec: gSpec,
      criticSpec: dSpec,
      images,
      imageCount: 8,
      initial: { generator: g0(), critic: c0(), generatorOptimizer: fresh('adam'), criticOptimizer: fresh('adam') },
    });
    const reference = new TfjsAutodiffTrainer({
      ...common,
      generator: Network.fromValues(gSpec, g0()),
      critic: Network.fromValues(dSpec, c0()),
      images,
      imageCount: 8,
      latentDim: 2,
      penalty: 'closed-form',
    });
    for (let i = 0; i < 3; i++) for (const t of [onnx, reference]) t.iteration(inputs());
    const [stats, expected] = [await onnx.readStats(), await reference.readStats()];
    expect(stats[0].gp).toBeCloseTo(10, 5);
    expect(stats[0].gradNormMean).toBe(0);
    const [state, ref] = [await onnx.getState(), await reference.getState()];
    for (const net of ['generator', 'critic'] as const) {
      for (const [name, x] of ref[net]) {
        const y = state[net].get(name) as Float32Array;
        for (const v of y) expect(Number.isFinite(v), `${net} ${name}`).toBe(true);
        expect(
          x.reduce((m, v, j) => Math.max(m, Math.abs(v - y[j])), 0),
          `${net} ${name}`,
        ).toBeLessThan(1e-6);
      }
    }
    stats.forEach((s, i) => expect(s.lossD).toBeCloseTo(expected[i].lossD, 5));
    for (const t of [onnx, reference]) t.dispose();
  });
});

describe.skipIf(!fusedLoad.addon)(
  'OnnxCpuTrainer: the fused optimiser and the in-graph optimiser give the same float32 results',
  () => {
    it.each([
      ['gp', { type: 'adam' as const, lr: 1e-3, beta1: 0.5, beta2: 0.9, eps: 1e-8 }],
      ['clip', { type: 'rmsprop' as const, lr: 5e-3, alpha: 0.99, eps: 1e-8 }],
    ] as const)('%s: 4 iterations, every statistic and weight bit for bit', async (loss, opt) => {
      const gSpec = spec('generator', [dz, 24, d], 'tanh', 0.2);
      const cSpec = spec('critic', [d, 32, 16, 1], null, 0.2);
      const rng = Rng.fromSeed(21);
      const images = rng.fillUniform(new Float32Array(96 * d), -1, 1);
      const initial = {
        generator: initialValues(gSpec, rng),
        critic: initialValues(cSpec, rng),
        generatorOptimizer: { kind: opt.type, step: 0, slots: [] },
        criticOptimizer: { kind: opt.type, step: 0, slots: [] },
      };
      const [fused, graph] = await Promise.all(
        (['fused', 'graph'] as const).map((optimizer) =>
          OnnxCpuTrainer.create({
            loss,
            lambda: 10,
            clipValue: 0.05,
            nCritic: 3,
            batchSize: 8,
            optimizerG: opt,
            optimizerD: opt,
            generatorSpec: gSpec,
            criticSpec: cSpec,
            images,
            imageCount: 96,
            initial,
            optimizer,
          }),
        ),
      );
      expect(fused.optimizerPath).toMatch(/^fused/);
      expect(graph.optimizerPath).toBe('graph');
      for (const t of [fused, graph]) {
        const r = Rng.fromSeed(5);
        const sampler = new BatchSampler(96, 8, 5);
        for (let i = 0; i < 4; i++)
          t.iteration(drawIterationInputs(r, sampler, { nCritic: 3, batchSize: 8, latentDim: dz }));
      }
      const [a, b] = [await fused.readStats(), await graph.readStats()];
      expect(a).toEqual(b);
      if (loss === 'clip') expect(a[3].clipFraction).toBeGreaterThan(0);
      expect(await fused.getState()).toEqual(await graph.getState());
      for (const t of [fused, graph]) t.dispose();
    });
  },
);
