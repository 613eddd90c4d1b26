import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@wgan/core/backend';
import { Rng } from '@wgan/core';
import { denseStack } from '../../models/architectures.js';
import { Network } from '../../models/network.js';
import type { NetworkSpec } from '../../models/spec.js';
import { criticInputGradient, criticInputGradientAutodiff, supportsClosedForm } from './penalty.js';
import { gradientPenalty, interpolate, rowNorms, wassersteinCriticLoss } from '../../losses.js';
import {
  finiteDifferences,
  flattenRef,
  forwardRef,
  inputGradientRef,
  randomRefNet,
  relativeError,
  unflattenRef,
  type RefNet,
} from '../../testing/reference.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const sizes = [6, 5, 4, 1];
const spec: NetworkSpec = {
  role: 'critic',
  inputSize: 6,
  outputSize: 1,
  layers: denseStack(sizes, { type: 'leakyRelu', alpha: 0.2 }, null),
  init: { scheme: 'torch-default' },
};

function toNetwork(ref: RefNet): Network {
  const values = new Map<string, Float32Array>();
  for (const l of ref) {
    values.set(`${l.name}.kernel`, Float32Array.from(l.W));
    values.set(`${l.name}.bias`, Float32Array.from(l.b));
  }
  return Network.fromValues(spec, values);
}

const rng = Rng.fromSeed(11);
const rand = () => rng.uniform();
const B = 5;
const ref = randomRefNet(sizes, rand, 0.2, 'none', 2);
const real = Array.from({ length: B }, () => Array.from({ length: 6 }, () => rand() * 2 - 1));
const fake = Array.from({ length: B }, () => Array.from({ length: 6 }, () => rand() * 2 - 1));
const eps = Array.from({ length: B }, () => rand());
const xhat = real.map((x, i) => x.map((v, j) => eps[i] * v + (1 - eps[i]) * fake[i][j]));
const lambda = 10;

/** Float64 L_D = E[D(x̃)] − E[D(x)] + λ E[(‖∇D(x̂)‖ − 1)²] with the chain-rule input gradient. */
function lossRef(net: RefNet): number {
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const w = mean(fake.map((x) => forwardRef(net, x)[0])) - mean(real.map((x) => forwardRef(net, x)[0]));
  const gp = mean(xhat.map((x) => (Math.hypot(...inputGradientRef(net, x)) - 1) ** 2));
  return w + lambda * gp;
}

describe('the float64 reference itself', () => {
  it('has an input gradient that matches finite differences of D', () => {
    const x = xhat[0];
    const fd = finiteDifferences((v) => forwardRef(ref, v)[0], x);
    expect(relativeError(inputGradientRef(ref, x), fd)).toBeLessThan(1e-8);
  });
});

describe('∇ₓD for the gradient penalty', () => {
  it('closed form matches the float64 chain rule (and D(x) the forward pass)', async () => {
    const critic = toNetwork(ref);
    expect(supportsClosedForm(critic)).toBe(true);
    const x = tf.tensor2d(xhat);
    const { gradient, scores } = criticInputGradient(critic, x);
    const g = (await gradient.array()) as number[][];
    g.forEach((row, i) => expect(relativeError(row, inputGradientRef(ref, xhat[i]))).toBeLessThan(1e-5));
    const s = (await scores.array()) as number[][];
    s.forEach((row, i) => expect(row[0]).toBeCloseTo(forwardRef(ref, xhat[i])[0], 5));
  });

  it('nested autodiff gives the same gradient', async () => {
    const critic = toNetwork(ref);
    const g = (await criticInputGradientAutodiff(critic, tf.tensor2d(xhat)).array()) as number[][];
    g.forEach((row, i) => expect(relativeError(row, inputGradientRef(ref, xhat[i]))).toBeLessThan(1e-5));
  });

  it.each(['closed-form', 'autodiff'] as const)(
    '%s: the critic loss with penalty has weight gradients equal to float64 finite differences',
    async (method) => {
      const critic = toNetwork(ref);
      const { grads, value } = tf.variableGrads(() => {
        const x = tf.tensor2d(real);
        const xf = tf.tensor2d(fake);
        const xh = interpolate(x, xf, tf.tensor1d(eps));
        const g =
          method === 'closed-form' ? criticInputGradient(critic, xh).gradient : criticInputGradientAutodiff(critic, xh);
        return tf.add(
          wassersteinCriticLoss(critic.apply(x), critic.apply(xf)),
          gradientPenalty(rowNorms(g), lambda),
        ) as tf.Scalar;
      }, critic.trainable());
      expect((await value.data())[0]).toBeCloseTo(lossRef(ref), 4);
      const ours: number[] = [];
      for (const name of critic.trainableNames()) ours.push(...(await grads[critic.get(name).name].data()));
      const fd = finiteDifferences((theta) => lossRef(unflattenRef(ref, theta)), flattenRef(ref));
      expect(relativeError(ours, fd)).toBeLessThan(1e-3);
    },
  );
});
