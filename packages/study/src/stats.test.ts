import { describe, expect, it } from 'vitest';
import {
  bootstrapSpread,
  fCdf,
  fisherExact,
  oneWayAnova,
  percentileInterval,
  seededUniform,
  spreadOfMeans,
  summarize,
  tCdf,
  tQuantile,
  welchTest,
  wilsonInterval,
} from './stats.js';

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
    // p < 0.05, so the 95% interval of the difference (negative here) excludes 0; a pair with p > 0.05 spans it
    expect(w.ci95[1]).toBeLessThan(0);
    expect(w.ci95[0]).toBeLessThan(w.ci95[1]);
    const close = welchTest([1, 2, 3, 4], [1.5, 2.5, 3.5, 4.5])!;
    expect(close.p).toBeGreaterThan(0.05);
    expect(close.ci95[0]).toBeLessThan(0);
    expect(close.ci95[1]).toBeGreaterThan(0);
    expect(welchTest([1], [2, 3])).toBeNull();
  });
});

describe('grid sensitivity statistics', () => {
  it('one-way ANOVA and the F CDF match SciPy', () => {
    // scipy.stats.f_oneway([1,2,3],[2,3,5],[6,7,9.5]) → F 11.253164556962036, p 0.009324592606724686
    const r = oneWayAnova([
      [1, 2, 3],
      [2, 3, 5],
      [6, 7, 9.5],
    ])!;
    expect(r.f).toBeCloseTo(11.253164556962036, 10);
    expect(r.dfBetween).toBe(2);
    expect(r.dfWithin).toBe(6);
    expect(r.p).toBeCloseTo(0.009324592606724686, 8);
    expect(fCdf(2.5, 3, 10)).toBeCloseTo(0.8809604373417219, 10); // scipy.stats.f.cdf(2.5, 3, 10)
    expect(oneWayAnova([[1], [2]])).toBeNull(); // no replicates: no within-cell spread to test against
  });

  it("Fisher's exact test matches SciPy's two-sided p", () => {
    // scipy.stats.fisher_exact([[11, 16], [4, 23]]) → 0.06638580845504555; [[3, 0], [0, 3]] → 0.1
    expect(fisherExact(11, 27, 4, 27)).toBeCloseTo(0.06638580845504555, 10);
    expect(fisherExact(3, 3, 0, 3)).toBeCloseTo(0.1, 12);
    expect(fisherExact(2, 4, 2, 4)).toBeCloseTo(1, 12);
  });

  it('Wilson interval: inside [0, 1], around the share, wider for fewer runs', () => {
    const [lo, hi] = wilsonInterval(11, 27)!;
    // (k + z²/2) / (n + z²) ± z·√(k(n − k)/n + z²/4) / (n + z²) at k = 11, n = 27, z = 1.96
    expect(lo).toBeCloseTo(0.2451, 3);
    expect(hi).toBeCloseTo(0.5927, 3);
    expect(wilsonInterval(0, 27)![0]).toBe(0);
    const narrow = wilsonInterval(40, 100)!;
    expect(narrow[1] - narrow[0]).toBeLessThan(hi - lo);
  });

  it('bootstrap of the spread across cells: seeded, and collapses when seeds agree', () => {
    const groups = [
      [0.1, 0.2, 0.15],
      [0.9, 0.8, 0.85],
      [0.5, 0.45, 0.55],
    ];
    const a = bootstrapSpread(groups, 500, seededUniform(7));
    expect(bootstrapSpread(groups, 500, seededUniform(7))).toEqual(a);
    const [lo, hi] = percentileInterval(a);
    expect(lo).toBeLessThanOrEqual(spreadOfMeans(groups));
    expect(hi).toBeGreaterThanOrEqual(spreadOfMeans(groups));
    const constant = bootstrapSpread(
      [
        [1, 1],
        [3, 3],
      ],
      50,
      seededUniform(1),
    );
    expect(new Set(constant.map((v) => v.toFixed(12))).size).toBe(1);
    expect(percentileInterval([1, 2, 3, 4, 5], 0.5, 0.5)).toEqual([3, 3]);
  });
});
