import { Network } from '@wgan/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { criticGradientNorms, criticScores, gatherRows, generate, interpolate } from './device.js';
import { featureStats } from './feature-stats.js';
import { gaussianStats } from './formulas/frechet.js';
import { tinyCritic, tinyGenerator } from './fixtures.test-helpers.js';
import { sampleIndices, streamRng } from './streams.js';

beforeAll(async () => {
  await initBackend('cpu', { quiet: true });
});

/** The tiny critic D(x) = w2ᵀ leakyRelu(W1ᵀx + b1) + b2 in float64, from its weights. */
function criticFloat64(values: Map<string, Float32Array>, x: Float64Array): number {
  const w1 = values.get('0.kernel')!;
  const b1 = values.get('0.bias')!;
  const w2 = values.get('2.kernel')!;
  let out = values.get('2.bias')![0];
  for (let j = 0; j < 32; j++) {
    let h = b1[j];
    for (let i = 0; i < 784; i++) h += x[i] * w1[i * 32 + j];
    out += (h > 0 ? h : 0.2 * h) * w2[j];
  }
  return out;
}

describe('device computations', () => {
  it('criticGradientNorms matches float64 central differences of the critic', async () => {
    const rng = Rng.fromSeed(5);
    const critic = Network.create(tinyCritic(), rng);
    const values = await critic.readValues();
    const n = 3;
    const x = rng.fillUniform(new Float32Array(n * 784), -1, 1);
    const norms = await criticGradientNorms(critic, x, n);
    for (let k = 0; k < n; k++) {
      const xk = Float64Array.from(x.subarray(k * 784, (k + 1) * 784));
      let ss = 0;
      const h = 1e-4;
      for (let i = 0; i < 784; i++) {
        const orig = xk[i];
        xk[i] = orig + h;
        const up = criticFloat64(values, xk);
        xk[i] = orig - h;
        const down = criticFloat64(values, xk);
        xk[i] = orig;
        ss += ((up - down) / (2 * h)) ** 2;
      }
      expect(norms[k]).toBeCloseTo(Math.sqrt(ss), 4);
    }
    const scores = await criticScores(critic, x, n, 2);
    expect(scores[1]).toBeCloseTo(criticFloat64(values, Float64Array.from(x.subarray(784, 1568))), 4);
    critic.dispose();
  });

  it('generates the same images in batches as in one go', async () => {
    const rng = Rng.fromSeed(6);
    const g = Network.create(tinyGenerator(), rng);
    const z = rng.fillNormal(new Float32Array(7 * 8));
    const whole = await generate(g, z, 7, 100);
    const batched = await generate(g, z, 7, 3);
    expect(batched).toEqual(whole);
    expect(whole.every((v) => v >= -1 && v <= 1)).toBe(true);
    g.dispose();
  });

  it('featureStats (device Gram blocks) agrees with the float64 reference', async () => {
    const rng = Rng.fromSeed(8);
    const n = 1234;
    const d = 20;
    const f = rng.fillNormal(new Float32Array(n * d)).map((v, i) => Math.max(0, v + (i % d) * 0.1) * 3);
    const device = await featureStats(f, n, d, 500);
    const reference = gaussianStats(f, n, d);
    expect(Array.from(device.mean)).toEqual(Array.from(reference.mean));
    const diff = device.covariance.clone().sub(reference.covariance).abs().max();
    expect(diff / reference.covariance.abs().max()).toBeLessThan(1e-5);
  });

  it('gathers rows, interpolates per row and draws distinct indices', () => {
    const images = Float32Array.from({ length: 4 * 2 }, (_, i) => i);
    expect(Array.from(gatherRows(images, [2, 0], 2))).toEqual([4, 5, 0, 1]);
    const mixed = interpolate(
      Float32Array.from([1, 1, 0, 0]),
      Float32Array.from([0, 0, 2, 2]),
      Float32Array.from([0.25, 1]),
      2,
    );
    expect(Array.from(mixed)).toEqual([0.25, 0.25, 0, 0]);
    const idx = sampleIndices(streamRng(1, 'x'), 10, 10);
    expect([...idx].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(streamRng(1, 'a').nextUint32()).not.toBe(streamRng(1, 'b').nextUint32());
    expect(streamRng(1, 'a').nextUint32()).toBe(streamRng(1, 'a').nextUint32());
  });
});
