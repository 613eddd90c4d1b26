import { describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { cyclicLabels, gridLabels, oneHot, withOneHot } from './conditional.js';
import { denseStack } from './models/architectures.js';
import { initialValues } from './models/network.js';
import type { NetworkSpec } from './models/spec.js';
import {
  centralDifferences,
  criticLoss,
  forward,
  inputGradient,
  refNet,
  zeroGrads,
  type RefNet,
} from './testing/reference.js';

describe('one-hot conditioning', () => {
  it('puts each row before its one-hot label columns', () => {
    const v = Float32Array.of(1, 2, 3, 4);
    expect(Array.from(withOneHot(v, 2, [2, 0], 3))).toEqual([1, 2, 0, 0, 1, 3, 4, 1, 0, 0]);
    expect(() => oneHot([3], 3)).toThrow(/label 3 at row 0 is outside 0..2/);
    expect(() => withOneHot(v, 3, [0], 3)).toThrow(RangeError);
  });

  it('labels a grid so that row k is class k, and cycles for overall samples', () => {
    expect(Array.from(gridLabels(3, 2, 10))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(Array.from(cyclicLabels(5, 3))).toEqual([0, 1, 2, 0, 1]);
  });
});

/**
 * The penalty of a conditional critic D(x, y) = D([x | onehot(y)]) is taken with respect to the image x
 * for the fixed label: the reference's ∇ₓD is checked against central differences in the image
 * coordinates, and the penalty's weight gradients against central differences of the loss.
 */
describe('conditional penalty vs float64 central finite differences', () => {
  const d = 6;
  const K = 3;
  const spec: NetworkSpec = {
    role: 'critic',
    inputSize: d + K,
    outputSize: 1,
    layers: denseStack([d + K, 7, 5, 1], { type: 'leakyRelu', alpha: 0.2 }, null),
    init: { scheme: 'torch-default' },
  };
  const critic = refNet(spec, initialValues(spec, Rng.fromSeed(3)));
  const rng = Rng.fromSeed(17);
  const B = 5;
  const labels = [0, 2, 1, 2, 0];
  const row = (y: number) => Float64Array.from([...rng.fillUniform(new Float64Array(d), -1, 1), ...oneHot([y], K)]);
  const real = labels.map(row);
  const fake = labels.map(row);
  const eps = Float64Array.from({ length: B }, () => rng.uniform());

  it('∇ₓD(x̂, y) is the image columns of the input gradient', () => {
    const h = 1e-6;
    for (const x of real) {
      const g = inputGradient(critic, x);
      for (let j = 0; j < d; j++) {
        const up = x.slice();
        const down = x.slice();
        up[j] += h;
        down[j] -= h;
        const fd = (forward(critic, up).out[0] - forward(critic, down).out[0]) / (2 * h);
        expect(Math.abs(fd - g[j])).toBeLessThan(1e-7);
      }
    }
  });

  it("the penalty's weight gradients match finite differences of the loss, and leave the label columns out", () => {
    const lambda = 10;
    const grads = zeroGrads(critic);
    const withGrads = criticLoss(critic, real, fake, eps, lambda, true, grads, d);
    expect(withGrads.penalty).toBeGreaterThan(0);
    // the penalty over the image columns differs from one over every input column (the restriction matters)
    const allColumns = criticLoss(critic, real, fake, eps, lambda, true, null, d + K);
    expect(Math.abs(allColumns.penalty - withGrads.penalty)).toBeGreaterThan(1e-6);
    // x̂ keeps each row's label: the label columns of real and fake are equal, so they are copied
    const loss = (net: RefNet) => criticLoss(net, real, fake, eps, lambda, true, null, d).loss;
    const fd = centralDifferences(critic, () => loss(critic));
    let worst = 0;
    for (const part of ['W', 'b'] as const)
      grads[part].forEach((g, l) =>
        g.forEach((gi, i) => (worst = Math.max(worst, Math.abs(fd[part][l][i] - gi) / Math.max(1, Math.abs(gi))))),
      );
    expect(worst).toBeLessThan(1e-6);
  });
});
