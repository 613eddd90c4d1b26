import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@wgan/core/backend';
import { Rng } from '@wgan/core';
import { denseStack } from './models/architectures.js';
import { Network } from './models/network.js';
import type { NetworkSpec } from './models/spec.js';
import { TfjsAutodiffTrainer } from './trainers/tfjs-autodiff/trainer.js';
import { e7Clipping } from './diagnostics.js';
import { finiteDifferences, forwardRef, inputGradientRef, refChain, type RefNet } from './testing/reference.js';

/**
 * One critic step and one generator step on a 2-layer toy (G: 2 → 3 → 4 tanh, D: 4 → 3 → 1), compared
 * with a float64 reference computed here by hand: loss gradients by central finite differences of the
 * float64 losses, then PyTorch's Adam update written out.
 */
beforeAll(async () => {
  await initBackend('wasm');
});

const B = 3;
const dz = 2;
const gSpec: NetworkSpec = {
  role: 'generator',
  inputSize: dz,
  outputSize: 4,
  layers: denseStack([dz, 3, 4], { type: 'leakyRelu', alpha: 0.2 }, { type: 'tanh' }),
  init: { scheme: 'torch-default' },
};
const dSpec: NetworkSpec = {
  role: 'critic',
  inputSize: 4,
  outputSize: 1,
  layers: denseStack([4, 3, 1], { type: 'leakyRelu', alpha: 0.2 }, null),
  init: { scheme: 'torch-default' },
};

const rng = Rng.fromSeed(2024);
const images = rng.fillUniform(new Float32Array(6 * 4), -1, 1);
const gInit = Network.create(gSpec, rng);
const dInit = Network.create(dSpec, rng);
const inputs = {
  indices: [Uint32Array.of(0, 2, 5)],
  zCritic: [rng.fillNormal(new Float32Array(B * dz))],
  eps: [rng.fillUniform(new Float32Array(B))],
  zGen: rng.fillNormal(new Float32Array(B * dz)),
};

/** The tfjs kernel layout [in, out] flattened per layer: kernel then bias. */
async function flat(net: Network): Promise<number[]> {
  const values = await net.readValues();
  return net.trainableNames().flatMap((n) => Array.from(values.get(n) as Float32Array));
}

function toRef(theta: number[], sizes: number[], out: 'none' | 'tanh'): RefNet {
  return refChain(sizes, theta, 0.2, out);
}

function rows(a: Float32Array | number[], width: number): number[][] {
  return Array.from({ length: a.length / width }, (_, i) => Array.from(a.slice(i * width, (i + 1) * width)));
}

/** PyTorch Adam, step t, on θ with gradient g (float64). */
function adamStep(theta: number[], g: number[], t: number, lr = 2e-4, beta1 = 0, beta2 = 0.9, eps = 1e-8): number[] {
  return theta.map((p, i) => {
    const m = (1 - beta1) * g[i];
    const v = (1 - beta2) * g[i] * g[i];
    return p - ((lr / (1 - beta1 ** t)) * m) / (Math.sqrt(v) / Math.sqrt(1 - beta2 ** t) + eps);
  });
}

/**
 * Adam's first step moves each weight by ≈ lr·g/(|g| + ε'): for a gradient that is zero in exact
 * arithmetic (the critic's output bias gets +1/B − 1/B from the two means) float32 rounding noise
 * decides the sign, in PyTorch as here. Such coordinates are only checked to move by at most lr.
 */
function expectAdamMatch(ours: number[], reference: number[], before: number[], grad: number[]): void {
  let checked = 0;
  ours.forEach((v, i) => {
    if (Math.abs(grad[i]) > 1e-5) {
      expect(Math.abs(v - reference[i])).toBeLessThan(2e-6);
      checked++;
    } else expect(Math.abs(v - before[i])).toBeLessThanOrEqual(2e-4 * 1.0001);
  });
  expect(checked).toBeGreaterThan(ours.length - 3);
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

describe('one 1+1 cycle of WGAN-GP with Adam on a toy', () => {
  it('matches the float64 hand-computed critic and generator updates', async () => {
    const generator = Network.fromValues(gSpec, await gInit.readValues(), 'g');
    const critic = Network.fromValues(dSpec, await dInit.readValues(), 'd');
    const theta0G = await flat(generator);
    const theta0D = await flat(critic);
    const trainer = new TfjsAutodiffTrainer({
      generator,
      critic,
      images,
      imageCount: 6,
      loss: 'gp',
      lambda: 10,
      clipValue: 0.01,
      nCritic: 1,
      batchSize: B,
      latentDim: dz,
      penalty: 'closed-form',
      optimizerG: { type: 'adam', lr: 2e-4, beta1: 0, beta2: 0.9, eps: 1e-8 },
      optimizerD: { type: 'adam', lr: 2e-4, beta1: 0, beta2: 0.9, eps: 1e-8 },
    });
    trainer.iteration(inputs);
    const [stats] = await trainer.readStats();

    // --- float64 reference of the critic step
    const G0 = toRef(theta0G, [dz, 3, 4], 'tanh');
    const real = Array.from(inputs.indices[0]).map((k) => Array.from(images.slice(k * 4, k * 4 + 4)));
    const fake = rows(inputs.zCritic[0], dz).map((z) => forwardRef(G0, z));
    const eps = Array.from(inputs.eps[0]);
    const xhat = real.map((x, i) => x.map((v, j) => eps[i] * v + (1 - eps[i]) * fake[i][j]));
    const lossD = (theta: number[]) => {
      const D = toRef(theta, [4, 3, 1], 'none');
      const gp = mean(xhat.map((x) => (Math.hypot(...inputGradientRef(D, x)) - 1) ** 2));
      return mean(fake.map((x) => forwardRef(D, x)[0])) - mean(real.map((x) => forwardRef(D, x)[0])) + 10 * gp;
    };
    expect(stats.lossD).toBeCloseTo(lossD(theta0D), 4);
    const gradD = finiteDifferences(lossD, theta0D);
    const theta1D = adamStep(theta0D, gradD, 1);
    const ours1D = await flat(critic);
    expectAdamMatch(ours1D, theta1D, theta0D, gradD);

    // --- float64 reference of the generator step (against the critic as updated, noise included)
    const D1 = toRef(ours1D, [4, 3, 1], 'none');
    const lossG = (theta: number[]) =>
      -mean(rows(inputs.zGen, dz).map((z) => forwardRef(D1, forwardRef(toRef(theta, [dz, 3, 4], 'tanh'), z))[0]));
    expect(stats.lossG).toBeCloseTo(lossG(theta0G), 4);
    const gradG = finiteDifferences(lossG, theta0G);
    const theta1G = adamStep(theta0G, gradG, 1);
    expectAdamMatch(await flat(generator), theta1G, theta0G, gradG);
    trainer.dispose();
  });

  it('leaves the critic unchanged in the generator step and the generator unchanged in critic steps', async () => {
    const generator = Network.fromValues(gSpec, await gInit.readValues(), 'g');
    const critic = Network.fromValues(dSpec, await dInit.readValues(), 'd');
    const trainer = new TfjsAutodiffTrainer({
      generator,
      critic,
      images,
      imageCount: 6,
      loss: 'gp',
      lambda: 10,
      clipValue: 0.01,
      nCritic: 0,
      batchSize: B,
      latentDim: dz,
      penalty: 'closed-form',
      optimizerG: { type: 'adam', lr: 1e-2, beta1: 0, beta2: 0.9, eps: 1e-8 },
      optimizerD: { type: 'adam', lr: 1e-2, beta1: 0, beta2: 0.9, eps: 1e-8 },
    });
    const d0 = await flat(critic);
    const g0 = await flat(generator);
    trainer.iteration({ indices: [], zCritic: [], eps: [], zGen: inputs.zGen }); // generator step only
    expect(await flat(critic)).toEqual(d0);
    expect(await flat(generator)).not.toEqual(g0);
    trainer.dispose();

    const g1 = await flat(generator);
    // a critic step (with its generator forward for the fakes) must not move G: run one through the private path
    const trainer2 = new TfjsAutodiffTrainer({
      generator,
      critic,
      images,
      imageCount: 6,
      loss: 'gp',
      lambda: 10,
      clipValue: 0.01,
      nCritic: 1,
      batchSize: B,
      latentDim: dz,
      penalty: 'closed-form',
      optimizerG: { type: 'adam', lr: 1e-2, beta1: 0, beta2: 0.9, eps: 1e-8 },
      optimizerD: { type: 'adam', lr: 1e-2, beta1: 0, beta2: 0.9, eps: 1e-8 },
    });
    (trainer2 as unknown as { criticStep: (i: Uint32Array, z: Float32Array, e: Float32Array) => tf.Tensor })
      .criticStep(inputs.indices[0], inputs.zCritic[0], inputs.eps[0])
      .dispose();
    expect(await flat(generator)).toEqual(g1);
    expect(await flat(critic)).not.toEqual(d0);
    trainer2.dispose();
  });
});

describe('weight clipping', () => {
  it('keeps every critic weight in [−c, c] and E7 counts the weights at the bound exactly', async () => {
    const generator = Network.fromValues(gSpec, await gInit.readValues(), 'g');
    const critic = Network.fromValues(dSpec, await dInit.readValues(), 'd');
    const c = 0.05;
    const trainer = new TfjsAutodiffTrainer({
      generator,
      critic,
      images,
      imageCount: 6,
      loss: 'clip',
      lambda: 0,
      clipValue: c,
      nCritic: 5,
      batchSize: B,
      latentDim: dz,
      penalty: 'closed-form',
      optimizerG: { type: 'rmsprop', lr: 5e-3, alpha: 0.99, eps: 1e-8 },
      optimizerD: { type: 'rmsprop', lr: 5e-3, alpha: 0.99, eps: 1e-8 },
    });
    const r = Rng.fromSeed(5);
    for (let it = 0; it < 3; it++) {
      trainer.iteration({
        indices: Array.from({ length: 5 }, () => Uint32Array.from({ length: B }, () => r.below(6))),
        zCritic: Array.from({ length: 5 }, () => r.fillNormal(new Float32Array(B * dz))),
        eps: Array.from({ length: 5 }, () => r.fillUniform(new Float32Array(B))),
        zGen: r.fillNormal(new Float32Array(B * dz)),
      });
    }
    const stats = await trainer.readStats();
    const values = await critic.readValues();
    const all = critic.trainableNames().flatMap((n) => Array.from(values.get(n) as Float32Array));
    const cf = Math.fround(c);
    expect(all.every((w) => Math.abs(w) <= cf)).toBe(true);
    const atBound = all.filter((w) => Math.abs(w) === cf).length;
    expect(atBound).toBeGreaterThan(0);
    const e7 = e7Clipping(dSpec, values, c);
    expect(e7.clipFraction).toBe(atBound / all.length);
    expect(stats[2].clipFraction).toBeCloseTo(atBound / all.length, 6);
    expect(e7.maxRatio).toBeCloseTo(1, 6);
    expect(e7.meanAbsWeight).toBeCloseTo(all.reduce((s, w) => s + Math.abs(w), 0) / all.length, 9);
    trainer.dispose();
  });
});
