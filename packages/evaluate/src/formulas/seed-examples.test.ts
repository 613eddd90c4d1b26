import { describe, expect, it } from 'vitest';
import { e1FromCounts, e2FromBatch, e1FromLabels } from './dataset.js';
import { e3ModelSize } from './model-size.js';
import { e4CycleDeltas } from './training-cycle.js';
import { e5WassersteinGap, e10OrderingAccuracy } from './critic.js';
import { e6PenaltyStats, e7ClipUtilization } from './lipschitz.js';
import { driftIterations, e8FixedNoiseDrift, meanAbsDifference } from './drift.js';
import { e9TraversalCorrelation, traversalValues } from './traversal.js';
import { linspace, pearson, populationStd } from './stats.js';

/** The worked examples of seed 000 ("OPPE WGAN", Implementation-Agnostic Numerical Questions E1–E10). */
const round3 = (x: number) => Math.round(x * 1000) / 1000;

describe('E1 dataset size and imbalance', () => {
  it('gives the seed example: Total 60000, Δ 350, Imbalance 5.833 %', () => {
    const e1 = e1FromCounts([6000, 5900, 6050, 5950, 6100, 5800, 6150, 6000, 5900, 6150]);
    expect(e1.total).toBe(60000);
    expect(e1.delta).toBe(350);
    expect(round3(e1.imbalancePct)).toBe(5.833);
  });

  it('counts classes from labels', () => {
    const labels = Uint8Array.from([0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9]);
    const e1 = e1FromLabels(labels);
    expect(e1.counts).toEqual([3, 1, 2, 1, 1, 1, 1, 1, 1, 1]);
    expect(e1.delta).toBe(2);
    expect(e1.imbalancePct).toBeCloseTo((2 / 1.3) * 100, 12);
  });
});

describe('E2 normalisation check', () => {
  it('computes μ, σ (unbiased), min, max and the fraction |x| ≤ 0.5 on a hand-made batch', () => {
    const x = [-1, -0.5, 0, 0.5, 1, 0.6];
    const e2 = e2FromBatch(x, 1);
    const mu = 0.6 / 6;
    const sigma = Math.sqrt(x.reduce((s, v) => s + (v - mu) ** 2, 0) / 5);
    expect(e2.mean).toBeCloseTo(mu, 12);
    expect(e2.std).toBeCloseTo(sigma, 12);
    expect([e2.min, e2.max]).toEqual([-1, 1]);
    expect(e2.fracAbsLeHalf).toBeCloseTo(3 / 6, 12);
  });
});

describe('E3 model size', () => {
  it('gives the seed example MB = 4.272 and the exact ratio', () => {
    const e3 = e3ModelSize(973_313, 94_721);
    expect(round3(e3.sizeMb)).toBe(4.272);
    // The seed prints r = 10.279; 973,313 / 94,721 = 10.2756 (an arithmetic slip in the seed's example).
    expect(round3(e3.ratio)).toBe(10.276);
  });
});

describe('E4 one training cycle', () => {
  it('gives the seed example L̄_D = 0.584 and the L2 norms of the parameter changes', () => {
    const before = { critic: [[0, 0], [1]], generator: [[1, 1, 1]] };
    const after = { critic: [[3, 0], [1 + 4]], generator: [[1, 1, 1.5]] };
    const e4 = e4CycleDeltas({ nCritic: 5, lossD: [0.62, 0.58, 0.55, 0.6, 0.57] }, before, after);
    expect(round3(e4.lossDMean)).toBe(0.584);
    expect(e4.deltaD).toBeCloseTo(5, 12);
    expect(e4.deltaG).toBeCloseTo(0.5, 12);
  });

  it('refuses parameter lists of different shapes', () => {
    expect(() =>
      e4CycleDeltas({ nCritic: 1, lossD: [1] }, { critic: [[1, 2]], generator: [] }, { critic: [[1]], generator: [] }),
    ).toThrow(/values/);
  });
});

describe('E5 empirical Wasserstein gap', () => {
  it('gives the seed example (0.820, −0.430, 1.250)', () => {
    const e5 = e5WassersteinGap([0.82, 0.72, 0.92], [-0.43, -0.33, -0.53]);
    expect(round3(e5.dReal)).toBe(0.82);
    expect(round3(e5.dFake)).toBe(-0.43);
    expect(round3(e5.wassersteinGap)).toBe(1.25);
    expect(e5.batchSize).toBe(3);
  });
});

describe('E6 gradient-penalty statistics', () => {
  it('gives the seed example ḡ 0.900, s_g 0.224 (population std), GP 0.600', () => {
    const e6 = e6PenaltyStats([0.8, 1.2, 1.0, 0.6], 10);
    expect(round3(e6.gradNormMean)).toBe(0.9);
    expect(round3(e6.gradNormStd)).toBe(0.224);
    expect(round3(e6.gradientPenalty)).toBe(0.6);
    // The sample std would print 0.258: the seed's s_g is the population std.
    expect(round3(Math.sqrt((0.01 + 0.09 + 0.01 + 0.09) / 3))).toBe(0.258);
  });
});

describe('E7 clipping utilisation', () => {
  it('gives the seed example (0.180, 0.0065, 1.000) on a weight vector built to match it', () => {
    const c = 0.01;
    // 100 weights: 18 at ±c (float32, as a clip leaves them), 82 with |w| chosen so mean |w| = 0.0065.
    const clipped = Array.from({ length: 18 }, (_, i) => Math.fround(i % 2 ? c : -c));
    const restAbs = (0.0065 * 100 - 18 * Math.fround(c)) / 82;
    const rest = Array.from({ length: 82 }, (_, i) => (i % 2 ? restAbs : -restAbs));
    const e7 = e7ClipUtilization([Float32Array.from(clipped), Float64Array.from(rest)], c);
    expect(e7.weights).toBe(100);
    expect(round3(e7.fracAtBound)).toBe(0.18);
    expect(e7.meanAbsWeight).toBeCloseTo(0.0065, 9);
    expect(round3(e7.maxAbsRatio)).toBe(1);
  });

  it('does not count weights just inside the bound', () => {
    const e7 = e7ClipUtilization([Float32Array.from([0.009999, -0.005, Math.fround(0.01)])], 0.01);
    expect(e7.fracAtBound).toBeCloseTo(1 / 3, 12);
  });
});

describe('E8 fixed-noise drift', () => {
  it('gives the seed example d12 = 12544/50176 = 0.250, d23 = 10035/50176 = 0.200', () => {
    const pixels = 64 * 28 * 28;
    expect(pixels).toBe(50176);
    const g1 = new Float32Array(pixels);
    const g2 = new Float32Array(pixels);
    const g3 = new Float32Array(pixels);
    // Total absolute difference S12 = 12544: 12544 pixels change by 1; S23 = 10035: 10035 pixels by 1.
    for (let i = 0; i < 12544; i++) g2[i] = 1;
    g3.set(g2);
    for (let i = 20000; i < 20000 + 10035; i++) g3[i] = -1;
    const e8 = e8FixedNoiseDrift([
      { iteration: 10000, images: g3 },
      { iteration: 0, images: g1 },
      { iteration: 2000, images: g2 },
    ]);
    expect(e8.iterations).toEqual([0, 2000, 10000]);
    expect(round3(e8.d12)).toBe(0.25);
    expect(round3(e8.d23)).toBe(0.2);
    expect(e8.d23).toBeCloseTo(10035 / 50176, 12);
    expect(e8.drifts.map((d) => [d.from, d.to])).toEqual([
      [0, 2000],
      [2000, 10000],
    ]);
  });

  it('is the mean absolute difference', () => {
    expect(meanAbsDifference([1, -1, 0.5], [0, 0, 0])).toBeCloseTo(2.5 / 3, 12);
  });

  it.each([
    { available: [0, 500, 1000, 1500, 2000, 2500, 10000, 12000], expected: [0, 2000, 10000, 12000] },
    { available: [0, 2000, 10000], expected: [0, 2000, 10000] },
    { available: [0, 500, 1000, 1500], expected: [0, 500, 1500] },
    { available: [0, 100, 200, 300, 400, 500], expected: [0, 200, 500] },
    { available: [0, 500], expected: [0, 500] },
  ])('picks the milestones 0 / 2k / 10k / final from $available', ({ available, expected }) => {
    expect(driftIterations(available)).toEqual(expected);
  });
});

describe('E9 latent traversal correlation', () => {
  it('sweeps 10 evenly spaced values in [−2, 2]', () => {
    const v = traversalValues();
    expect(v).toHaveLength(10);
    expect(v[0]).toBe(-2);
    expect(v[9]).toBe(2);
    expect(v[1] - v[0]).toBeCloseTo(4 / 9, 12);
  });

  it('gives r = 1 when mean intensity rises linearly with z_i, and −1 when it falls', () => {
    const values = traversalValues();
    const pixels = 4;
    const rising = new Float32Array(values.length * pixels);
    values.forEach((z, j) => rising.fill(0.1 * z - 0.3, j * pixels, (j + 1) * pixels));
    const e9 = e9TraversalCorrelation(3, values, rising, pixels);
    expect(e9.r).toBeCloseTo(1, 6);
    expect(e9.meanIntensity[0]).toBeCloseTo(-0.5, 6);
    const falling = rising.map((x) => -x);
    expect(e9TraversalCorrelation(3, values, falling, pixels).r).toBeCloseTo(-1, 6);
  });

  it('computes Pearson r against a hand-worked case, and null for a constant series', () => {
    // x = 1..4, y = 2, 4, 5, 9: x̄ = 2.5, ȳ = 5; Σdxdy = 11, Σdx² = 5, Σdy² = 26.
    expect(pearson([1, 2, 3, 4], [2, 4, 5, 9])).toBeCloseTo(11 / Math.sqrt(5 * 26), 12);
    expect(pearson([1, 2, 3], [7, 7, 7])).toBeNull();
  });

  it('linspace and population std', () => {
    expect(linspace(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(populationStd([2, 4, 4, 4, 5, 5, 7, 9])).toBe(2);
  });
});

describe('E10 critic ordering accuracy', () => {
  it('gives the seed example 52 of 64 → 0.8125', () => {
    const real = Array.from({ length: 64 }, () => 1);
    const fake = Array.from({ length: 64 }, (_, k) => (k < 52 ? 0 : 2));
    const e10 = e10OrderingAccuracy(real, fake);
    expect(e10).toEqual({ pairs: 64, correct: 52, accuracy: 0.8125 });
  });

  it('counts ties as wrong (strict inequality)', () => {
    expect(e10OrderingAccuracy([1, 1], [1, 0]).accuracy).toBe(0.5);
  });
});
