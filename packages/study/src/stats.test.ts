import { describe, expect, it } from 'vitest';
import { summarize, tCdf, tQuantile, welchTest } from './stats.js';

describe('Student t', () => {
  it('has the textbook 97.5% quantiles', () => {
    // two-sided 95% critical values (any t table)
    const table: [number, number][] = [
      [1, 12.706],
      [2, 4.303],
      [3, 3.182],
      [4, 2.776],
      [5, 2.571],
      [10, 2.228],
      [30, 2.042],
      [120, 1.98],
    ];
    for (const [df, q] of table) expect(tQuantile(0.975, df)).toBeCloseTo(q, 3);
    expect(tQuantile(0.975, 1e6)).toBeCloseTo(1.96, 3);
  });

  it('CDF and quantile invert each other, symmetric about 0', () => {
    for (const df of [1.5, 3, 7.3, 50]) {
      for (const p of [0.01, 0.2, 0.5, 0.9, 0.999]) expect(tCdf(tQuantile(p, df), df)).toBeCloseTo(p, 9);
      expect(tCdf(-1.3, df)).toBeCloseTo(1 - tCdf(1.3, df), 12);
    }
    expect(tCdf(1, 1)).toBeCloseTo(0.75, 12); // Cauchy: 1/2 + atan(1)/π
  });
});

describe('summaries and Welch', () => {
  it('gives mean, sample std and the t-interval', () => {
    const s = summarize([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    const half = 3.182446305284263 * (Math.sqrt(5 / 3) / 2);
    expect(s.ci95![0]).toBeCloseTo(2.5 - half, 6);
    expect(s.ci95![1]).toBeCloseTo(2.5 + half, 6);
    expect(summarize([7])).toEqual({ n: 1, mean: 7, std: null, ci95: null });
  });

  it("matches SciPy's Welch test", () => {
    const a = [19.8, 20.4, 19.6, 17.8, 18.5, 18.9, 18.3, 18.9, 19.5, 22.0];
    const b = [
      28.2, 26.6, 20.1, 23.3, 25.2, 22.1, 17.7, 27.6, 20.6, 13.7, 23.2, 17.5, 20.6, 18.0, 23.9, 21.6, 24.3, 20.4, 23.9,
      13.3,
    ];
    const w = welchTest(a, b)!;
    // scipy.stats.ttest_ind(a, b, equal_var=False): t = -2.225512039969852, df = 24.524634944257343,
    // p = 0.035484530830010394
    expect(w.t).toBeCloseTo(-2.225512039969852, 9);
    expect(w.df).toBeCloseTo(24.524634944257343, 9);
    expect(w.p).toBeCloseTo(0.035484530830010394, 7);
    expect(welchTest([1], [2, 3])).toBeNull();
  });
});
