import { describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { denseStack } from '../../models/architectures.js';
import { initialValues } from '../../models/network.js';
import type { NetworkSpec } from '../../models/spec.js';
import {
  centralDifferences,
  criticLoss,
  forward,
  generatorLoss,
  inputGradient,
  refNet,
  zeroGrads,
  type Grads,
  type RefNet,
} from '../../testing/reference.js';

/**
 * The float64 reference's closed-form gradients against central finite differences (float64): the
 * critic's input gradient, the W-loss + gradient-penalty weight gradients, and the generator gradient.
 * The fused GPU trainer is tested against this reference, so this is what ties it to the mathematics.
 */

const lrelu = { type: 'leakyRelu', alpha: 0.2 } as const;
const criticSpec: NetworkSpec = {
  role: 'critic',
  inputSize: 6,
  outputSize: 1,
  layers: denseStack([6, 5, 4, 1], lrelu, null),
  init: { scheme: 'torch-default' },
};
const reluCritic: NetworkSpec = { ...criticSpec, layers: denseStack([6, 7, 1], { type: 'relu' }, null) };
const genSpec: NetworkSpec = {
  role: 'generator',
  inputSize: 3,
  outputSize: 6,
  layers: denseStack([3, 4, 5, 6], lrelu, { type: 'tanh' }),
  init: { scheme: 'torch-default' },
};

function rows(rng: Rng, n: number, d: number, scale = 1): Float64Array[] {
  return Array.from({ length: n }, () => rng.fillUniform(new Float64Array(d), -scale, scale));
}

function relError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-8);
}

/** Central differences of f with respect to every weight and bias of `net`, compared to `grads`. */
function worstRelativeError(net: RefNet, grads: Grads, f: () => number, h = 1e-6): { worst: number; checked: number } {
  const fd = centralDifferences(net, f, h);
  let worst = 0;
  let checked = 0;
  for (const part of ['W', 'b'] as const)
    grads[part].forEach((g, l) =>
      g.forEach((gi, i) => {
        const d = fd[part][l][i];
        // Entries whose true gradient is ~0 are compared absolutely (relative error is meaningless there).
        const err = Math.abs(d) < 1e-7 && Math.abs(gi) < 1e-7 ? 0 : relError(d, gi);
        worst = Math.max(worst, err);
        checked++;
      }),
    );
  return { worst, checked };
}

describe('closed-form gradients vs float64 central finite differences', () => {
  const rng = Rng.fromSeed(11);
  const critic = refNet(criticSpec, initialValues(criticSpec, Rng.fromSeed(1)));
  const B = 4;
  const real = rows(rng, B, 6);
  const fake = rows(rng, B, 6);
  const eps = Array.from({ length: B }, () => rng.uniform());

  it('∇ₓD(x) by the backward recursion', () => {
    const x = rows(rng, 1, 6)[0];
    const g = inputGradient(critic, x);
    const h = 1e-6;
    for (let j = 0; j < 6; j++) {
      const up = Float64Array.from(x);
      const down = Float64Array.from(x);
      up[j] += h;
      down[j] -= h;
      const fd = (forward(critic, up).out[0] - forward(critic, down).out[0]) / (2 * h);
      expect(relError(fd, g[j])).toBeLessThan(1e-6);
    }
  });

  it('L_D = mean D(x̃) − mean D(x) + λ mean (‖∇D(x̂)‖ − 1)²: every weight and bias (6→5→4→1, LeakyReLU)', () => {
    const grads = zeroGrads(critic);
    const value = criticLoss(critic, real, fake, eps, 10, true, grads);
    expect(value.penalty).toBeGreaterThan(0.1); // the penalty term is really exercised
    const { worst, checked } = worstRelativeError(
      critic,
      grads,
      () => criticLoss(critic, real, fake, eps, 10, true, null).loss,
    );
    expect(checked).toBe(6 * 5 + 5 + 5 * 4 + 4 + 4 + 1);
    expect(worst).toBeLessThan(1e-3);
    // Biases get no penalty gradient; the output bias gets none at all (it cancels in the W-loss).
    expect(Math.abs(grads.b[2][0])).toBeLessThan(1e-15);
  });

  it('the penalty alone, with ReLU slopes (6→7→1)', () => {
    const net = refNet(reluCritic, initialValues(reluCritic, Rng.fromSeed(2)));
    const grads = zeroGrads(net);
    const penaltyOnly = (g: Grads | null) => {
      const withGp = criticLoss(net, real, fake, eps, 10, true, g);
      return withGp.penalty;
    };
    // Gradient of the penalty = gradient of L_D minus gradient of the W-loss.
    const wOnly = zeroGrads(net);
    criticLoss(net, real, fake, eps, 10, false, wOnly);
    penaltyOnly(grads);
    grads.W.forEach((w, l) => w.forEach((_, i) => (w[i] -= wOnly.W[l][i])));
    grads.b.forEach((b, l) => b.forEach((_, i) => (b[i] -= wOnly.b[l][i])));
    const { worst } = worstRelativeError(net, grads, () => penaltyOnly(null));
    expect(worst).toBeLessThan(1e-3);
  });

  it('L_G = −mean D(G(z)): every generator weight and bias (3→4→5→6, tanh output)', () => {
    const gen = refNet(genSpec, initialValues(genSpec, Rng.fromSeed(3)));
    const z = rows(rng, B, 3, 2);
    const grads = zeroGrads(gen);
    generatorLoss(gen, critic, z, grads);
    const { worst } = worstRelativeError(gen, grads, () => generatorLoss(gen, critic, z, null));
    expect(worst).toBeLessThan(1e-3);
  });
});
