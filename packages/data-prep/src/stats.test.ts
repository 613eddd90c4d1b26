import { describe, expect, it } from 'vitest';
import { classCounts, e1FromCounts, e2FromBatch } from './stats.js';

describe('E1 (dataset size and imbalance)', () => {
  it("reproduces the seed's worked example: (60000, 350, 5.833%)", () => {
    const e1 = e1FromCounts([6000, 5900, 6050, 5950, 6100, 5800, 6150, 6000, 5900, 6150]);
    expect(e1.total).toBe(60000);
    expect(e1.delta).toBe(350);
    expect(e1.imbalancePct.toFixed(3)).toBe('5.833');
  });

  it('counts classes and ignores classes absent from a digit subset', () => {
    expect(classCounts(Uint8Array.of(0, 3, 3, 9))).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 0, 1]);
    const e1 = e1FromCounts([0, 0, 0, 60, 0, 0, 0, 0, 0, 40]);
    expect(e1).toMatchObject({ total: 100, delta: 20 });
    expect(e1.imbalancePct).toBeCloseTo(40, 12); // 20 / (100 / 2) × 100
  });
});

describe('E2 (normalisation check of a batch)', () => {
  it('computes mean, unbiased std, min, max and the share with |x| ≤ 0.5', () => {
    const x = Float32Array.of(-1, -0.5, 0, 0.5, 1, 1);
    const e2 = e2FromBatch(x, 1);
    const mean = 1 / 6;
    const std = Math.sqrt([-1, -0.5, 0, 0.5, 1, 1].reduce((s, v) => s + (v - mean) ** 2, 0) / 5);
    expect(e2.mean).toBeCloseTo(mean, 12);
    expect(e2.std).toBeCloseTo(std, 12);
    expect(e2).toMatchObject({ min: -1, max: 1, fracAbsLeHalf: 0.5, batchSize: 1 });
  });
});
