import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { countTrainable, paramSpecs } from '@wgan/train';
import type { DigitClassifier } from './classify.js';
import { ganVsWganSchema } from './config.js';
import { modeHistogram, seed004Critic, seed004Generator, trainMethod } from './gan-vs-wgan.js';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

describe('seed 004 networks', () => {
  it('are the generic MLPs: z(64) → 100 → 100 → 784 and 784 → 100 → 100 → 1, ReLU, linear outputs, normal init', () => {
    const g = seed004Generator(64, 100, 0.1);
    const d = seed004Critic(100, 0.1, 'critic');
    expect(
      paramSpecs(g)
        .filter((p) => p.name.endsWith('kernel'))
        .map((p) => p.shape),
    ).toEqual([
      [64, 100],
      [100, 100],
      [100, 784],
    ]);
    expect(g.layers.map((l) => l.type)).toEqual(['dense', 'relu', 'dense', 'relu', 'dense']);
    expect(d.layers.at(-1)?.type).toBe('dense');
    expect(countTrainable(d)).toBe(784 * 100 + 100 + 100 * 100 + 100 + 100 + 1);
    expect(g.init).toEqual({ scheme: 'normal', std: 0.1 });
  });
});

describe('modeHistogram', () => {
  const classifier = (digits: number[], answer: (i: number) => [number, number]): DigitClassifier => ({
    kind: 'cached',
    digits,
    source: 'test',
    classify: async (_images, count) => {
      const out = { digits: new Uint8Array(count), confidence: new Float32Array(count) };
      for (let i = 0; i < count; i++) [out.digits[i], out.confidence[i]] = answer(i);
      return out;
    },
    dispose: () => {},
  });

  it('counts shares per digit, outside the subset, low confidence, and the modes with ≥ 10%', async () => {
    // 10 samples: six 3s, three 0s (one unsure), one 8
    const answers: [number, number][] = [
      [3, 1],
      [3, 1],
      [3, 1],
      [3, 1],
      [3, 1],
      [3, 1],
      [0, 0.95],
      [0, 0.95],
      [0, 0.6],
      [8, 0.99],
    ];
    const h = await modeHistogram(
      classifier([...Array(10).keys()], (i) => answers[i]),
      new Float32Array(10 * 784),
      10,
      [0, 3],
    );
    expect(h.shares['3']).toBeCloseTo(0.6, 6);
    expect(h.shares['0']).toBeCloseTo(0.3, 6);
    expect(h.outsideShare).toBeCloseTo(0.1, 6);
    expect(h.lowConfidenceShare).toBeCloseTo(0.1, 6);
    expect(h.modesCovered).toEqual([0, 3]);
  });

  it('reports a generator that produced NaN as covering nothing', async () => {
    const h = await modeHistogram(
      classifier([0, 3], () => [0, 1]),
      Float32Array.from({ length: 784 }, () => NaN),
      1,
      [0, 3],
    );
    expect(h.modesCovered).toEqual([]);
  });
});

describe('trainMethod', () => {
  const data = Rng.fromSeed(1).fillUniform(new Float32Array(300 * 784));
  const config = ganVsWganSchema.parse({ hidden: 8, latentDim: 4, histogramSamples: 20, readEvery: 2 });

  it(
    'trains the WGAN with n_critic critic steps per iteration and ' +
      'records −L_D, samples and no histogram without a classifier',
    async () => {
      const run = await trainMethod(config, 'wgan', [3], data, { iterations: 3, nCritic: 2 }, null);
      expect(run.curve.map((c) => c.iteration)).toEqual([1, 2, 3]);
      expect(run.grid).toHaveLength(9 * 784);
      expect(run.histogram).toBeNull();
      expect(run.finite).toBe(true);
    },
  );

  it(
    'trains the standard GAN (BCE, saturating G loss): L_G = ' +
      'E[log(1 − D(G(z)))] is ≤ 0 and L_D ≈ 2·log 2 at the start',
    async () => {
      const run = await trainMethod(config, 'gan', [3], data, { iterations: 2, nCritic: 1 }, null);
      expect(run.curve).toHaveLength(2);
      for (const c of run.curve) expect(c.lossG).toBeLessThanOrEqual(0);
      expect(run.curve[0].lossD).toBeCloseTo(2 * Math.log(2), 1); // D ≈ 1/2 everywhere with N(0, 0.01²) weights
    },
  );
});

describe('saturatedFrom', () => {
  it('finds where both GAN losses drop to zero for good, or null when they do not', async () => {
    const { saturatedFrom } = await import('./gan-vs-wgan.js');
    const c = (pairs: [number, number][]) => pairs.map(([lossD, lossG], i) => ({ iteration: i + 1, lossD, lossG }));
    expect(
      saturatedFrom(
        c([
          [1.4, -0.7],
          [0, 0],
          [0.2, -0.1],
          [0, 0],
          [0, -1e-9],
        ]),
      ),
    ).toBe(4);
    expect(
      saturatedFrom(
        c([
          [1.4, -0.7],
          [0, 0],
          [0.2, -0.1],
        ]),
      ),
    ).toBeNull();
  });
});
