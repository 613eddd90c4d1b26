import { describe, expect, it } from 'vitest';
import { fixLatent, linspace, meanIntensities, pearson, sampleLatents, traversalLatents } from './sampling.js';

describe('sampleLatents', () => {
  it('is reproducible by seed, prefix-stable across counts, and different across seeds', () => {
    const a = sampleLatents(7, 4, 3);
    expect(sampleLatents(7, 4, 3)).toEqual(a);
    expect(sampleLatents(7, 2, 3)).toEqual(a.slice(0, 6));
    expect(sampleLatents(8, 4, 3)).not.toEqual(a);
  });

  it('draws standard normals (mean ≈ 0, variance ≈ 1 over 20,000 values)', () => {
    const z = sampleLatents(1, 200, 100);
    const mean = z.reduce((s, v) => s + v, 0) / z.length;
    const variance = z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});

describe('traversal', () => {
  it("linspace(−2, 2, 10) is E9's sweep", () => {
    const v = linspace(-2, 2, 10);
    expect(v).toHaveLength(10);
    expect(v[0]).toBe(-2);
    expect(v[9]).toBe(2);
    expect(v[1] - v[0]).toBeCloseTo(4 / 9, 12);
    expect(linspace(0.5, 3, 1)).toEqual([0.5]);
  });

  it('keeps every coordinate of the base vector but the swept one', () => {
    const base = sampleLatents(3, 2, 5);
    const z = traversalLatents(3, 2, 5, 1, [-1, 0, 1]);
    expect(z.length).toBe(2 * 3 * 5);
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < 5; i++) expect(z[(r * 3 + c) * 5 + i]).toBe(i === 1 ? [-1, 0, 1][c] : base[r * 5 + i]);
      }
    }
  });

  it('fixLatent sets one coordinate in every row', () => {
    expect(Array.from(fixLatent(new Float32Array([1, 2, 3, 4, 5, 6]), 3, 2, 9))).toEqual([1, 2, 9, 4, 5, 9]);
  });

  it('meanIntensities and pearson match hand values', () => {
    expect(meanIntensities(new Float32Array([1, 3, -1, -1]), 2)).toEqual([2, -1]);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // x = [1, 2, 3, 4], y = [1, 3, 2, 4]: sxy = 4, sxx = syy = 5 → r = 0.8
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(pearson([1, 2], [5, 5])).toBeNaN();
  });
});
