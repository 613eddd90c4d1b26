import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import { Network, type NetworkSpec } from '@wgan/train';
import {
  estimateWasserstein,
  plottingCriticSpec,
  sampleTestRV,
  SEED004_CRITIC_TRAINING,
  trainWassersteinCritic,
  wassersteinCurve,
} from './wdistance.js';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

describe('P_θ = (θ, Z), Z ~ U[0, 1]', () => {
  it('has first coordinate θ and second uniform on [0, 1)', () => {
    const x = sampleTestRV(0.3, 5000, Rng.fromSeed(1));
    let mean = 0;
    for (let i = 0; i < 5000; i++) {
      expect(x[2 * i]).toBeCloseTo(0.3, 6);
      expect(x[2 * i + 1]).toBeGreaterThanOrEqual(0);
      expect(x[2 * i + 1]).toBeLessThan(1);
      mean += x[2 * i + 1] / 5000;
    }
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });
});

describe('the κ·W estimator on two known distributions', () => {
  it('gives E_P0[f] − E_Pθ[f] = −θ exactly for the linear critic f(x) = x₁', async () => {
    const spec: NetworkSpec = {
      role: 'critic',
      inputSize: 2,
      outputSize: 1,
      layers: [{ type: 'dense', inputs: 2, units: 1 }],
      init: { scheme: 'normal', std: 1 },
    };
    const f = Network.fromValues(
      spec,
      new Map([
        ['0.kernel', Float32Array.from([1, 0])],
        ['0.bias', Float32Array.from([0.25])],
      ]),
    );
    const rng = Rng.fromSeed(2);
    for (const theta of [-1, -0.4, 0, 0.7]) {
      expect(await estimateWasserstein(f, sampleTestRV(0, 1000, rng), sampleTestRV(theta, 1000, rng))).toBeCloseTo(
        -theta,
        4,
      );
    }
    f.dispose();
  });

  it(
    "after the seed's 500 clipped RMSprop steps: ≈ 0 for P_0 " +
      'vs P_0, proportional to |θ| otherwise, weights within ±c',
    async () => {
      const estimate = async (theta: number, seed: number) => {
        const rng = Rng.fromSeed(seed);
        const critic = Network.create(plottingCriticSpec(0.5), rng);
        await trainWassersteinCritic(
          critic,
          (n) => sampleTestRV(0, n, rng),
          (n) => sampleTestRV(theta, n, rng),
          SEED004_CRITIC_TRAINING,
        );
        for (const v of critic.trainable()) {
          const values = (await v.data()) as Float32Array;
          for (const w of values) expect(Math.abs(w)).toBeLessThanOrEqual(0.5 + 1e-7);
        }
        const e = await estimateWasserstein(critic, sampleTestRV(0, 1000, rng), sampleTestRV(theta, 1000, rng));
        critic.dispose();
        return e;
      };
      const [e0, eHalf, e1, eMinus1] = [
        await estimate(0, 1),
        await estimate(0.5, 2),
        await estimate(1, 3),
        await estimate(-1, 4),
      ];
      expect(e1).toBeGreaterThan(0.3); // κ ≈ 0.62 for this critic (10 sigmoid units, |w| ≤ 0.5)
      expect(Math.abs(e0)).toBeLessThan(0.02 * e1);
      expect(eHalf / e1).toBeGreaterThan(0.4);
      expect(eHalf / e1).toBeLessThan(0.6);
      expect(eMinus1 / e1).toBeCloseTo(1, 1); // W(P_−1, P_0) = W(P_1, P_0)
    },
  );
});

describe('wassersteinCurve', () => {
  it('returns the θ grid, one estimate per θ, κ from the least-squares fit and r with |θ|, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const c = await wassersteinCurve({
      count: 3,
      thetaMin: -1,
      thetaMax: 1,
      trueTheta: 0,
      training: { ...SEED004_CRITIC_TRAINING, steps: 300 },
      evalSamples: 500,
      seed: 5,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(c.thetas).toEqual([-1, 0, 1]);
    expect(c.estimates).toHaveLength(3);
    expect(c.kappa).toBeCloseTo((c.estimates[0] + c.estimates[2]) / 2, 10);
    expect(c.pearsonR).toBeGreaterThan(0.95);
  });
});
