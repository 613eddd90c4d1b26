import { describe, expect, it } from 'vitest';
import { linspace, mean, pearson, slopeThroughOrigin, std } from './stats.js';

describe('stats', () => {
  it.each([
    [[1, 2, 3, 4], 2.5, Math.sqrt(5 / 3)],
    [[2], 2, 0],
  ])('mean and sample std of %j', (xs, m, s) => {
    expect(mean(xs)).toBeCloseTo(m, 12);
    expect(std(xs)).toBeCloseTo(s, 12);
  });

  it('Pearson r: 1 for a line, −1 for a falling line, the textbook value otherwise, NaN for a constant', () => {
    expect(pearson([1, 2, 3], [5, 7, 9])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // x = 1..5, y = 2, 4, 5, 4, 5 (mean 4): Sxy = 6, Sxx = 10, Syy = 6 → r = 6/√60
    expect(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(6 / Math.sqrt(60), 12);
    expect(pearson([1, 2, 3], [4, 4, 4])).toBeNaN();
  });

  it('κ of y = κ·x through the origin by least squares', () => {
    expect(slopeThroughOrigin([1, 2, 3], [2, 4, 6])).toBeCloseTo(2, 12);
    // Σxy = 1·1 + 2·3 = 7, Σx² = 5
    expect(slopeThroughOrigin([1, 2], [1, 3])).toBeCloseTo(7 / 5, 12);
  });

  it('linspace(−1, 1, 21) as numpy', () => {
    const t = linspace(-1, 1, 21);
    expect(t).toHaveLength(21);
    expect(t[0]).toBe(-1);
    expect(t[20]).toBe(1);
    expect(t[10]).toBeCloseTo(0, 15);
    expect(t[11] - t[10]).toBeCloseTo(0.1, 12);
  });
});
