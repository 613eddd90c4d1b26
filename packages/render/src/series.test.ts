import { describe, expect, it } from 'vitest';
import { autoWindow, decimate, extent, histogramBins, movingAverage } from './series.js';

/** Direct O(n·w) reference: mean of the finite values in the centred window around i. */
function referenceAverage(values: number[], w: number): number[] {
  const before = Math.floor((w - 1) / 2);
  return values.map((_, i) => {
    const win = values.slice(Math.max(0, i - before), i - before + w).filter(Number.isFinite);
    return win.length ? win.reduce((a, b) => a + b, 0) / win.length : NaN;
  });
}

describe('movingAverage', () => {
  it.each([
    { values: [1, 2, 3, 4, 5], window: 3, expected: [1.5, 2, 3, 4, 4.5] },
    { values: [1, 2, 3, 4, 5], window: 2, expected: [1.5, 2.5, 3.5, 4.5, 5] },
    { values: [1, 2, 3, 4, 5], window: 1, expected: [1, 2, 3, 4, 5] },
    { values: [4, NaN, 8, 2], window: 3, expected: [4, 6, 5, 5] },
    { values: [NaN, NaN, NaN, 2], window: 3, expected: [NaN, NaN, 2, 2] },
  ])('window $window over $values', ({ values, window, expected }) => {
    expect(movingAverage(values, window)).toEqual(expected);
  });

  it('matches the direct windowed mean on a long noisy series with gaps', () => {
    const values = Array.from({ length: 500 }, (_, i) => (i % 37 === 5 ? NaN : Math.sin(i * 1.7) * 3 + i / 50));
    for (const w of [2, 3, 10, 64, 501]) {
      const got = movingAverage(values, w);
      referenceAverage(values, w).forEach((r, i) => expect(got[i]).toBeCloseTo(r, 10));
    }
  });

  it('does not lag: a step is averaged symmetrically around where it happens', () => {
    const step = Array.from({ length: 21 }, (_, i) => (i < 10 ? 0 : 1));
    const out = movingAverage(step, 5);
    expect([out[7], out[8], out[9], out[10], out[11], out[12]]).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('rejects a window that is not a positive integer', () => {
    expect(() => movingAverage([1], 0)).toThrow(/positive integer/);
    expect(() => movingAverage([1], 2.5)).toThrow(/positive integer/);
  });

  it('auto window: none below 50 points, ~2% above', () => {
    expect([autoWindow(20), autoWindow(49), autoWindow(100), autoWindow(20_000)]).toEqual([1, 1, 5, 400]);
  });
});

describe('decimate', () => {
  it('stride mode keeps evenly spaced points including both ends', () => {
    const pts = Array.from({ length: 101 }, (_, i) => ({ x: i, y: i * i }));
    expect(decimate(pts, 11, 'stride').map((p) => p.x)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it('keeps short series (finite points only) and thins long ones keeping every bucket extreme', () => {
    expect(
      decimate(
        [
          { x: 0, y: 1 },
          { x: 1, y: NaN },
          { x: 2, y: 3 },
        ],
        10,
      ),
    ).toEqual([
      { x: 0, y: 1 },
      { x: 2, y: 3 },
    ]);
    const pts = Array.from({ length: 10_000 }, (_, i) => ({ x: i, y: Math.sin(i * 0.9) + (i === 7777 ? 50 : 0) }));
    const out = decimate(pts, 1000);
    expect(out.length).toBeLessThanOrEqual(1000);
    expect(out.length).toBeGreaterThan(900);
    expect(out.some((p) => p.x === 7777 && p.y > 49)).toBe(true); // a spike survives
    expect(out.map((p) => p.x)).toEqual([...out.map((p) => p.x)].sort((a, b) => a - b)); // x order kept
    expect(Math.max(...out.map((p) => p.y))).toBe(Math.max(...pts.map((p) => p.y)));
    expect(Math.min(...out.map((p) => p.y))).toBe(Math.min(...pts.map((p) => p.y)));
  });
});

describe('histogramBins', () => {
  it('counts values into equal-width bins, the maximum in the last bin', () => {
    const bins = histogramBins([0, 0.1, 0.5, 0.99, 1, NaN], 2);
    expect(bins).toEqual([
      { x0: 0, x1: 0.5, count: 2 },
      { x0: 0.5, x1: 1, count: 3 },
    ]);
  });

  it('agrees with a direct count and ignores values outside a given range', () => {
    const values = Array.from({ length: 1000 }, (_, i) => Math.cos(i * 12.9898) * 2);
    const bins = histogramBins(values, 7, [-1, 1]);
    for (const b of bins) {
      const last = b === bins[bins.length - 1];
      expect(b.count).toBe(values.filter((v) => v >= b.x0 && (last ? v <= b.x1 : v < b.x1)).length);
    }
    expect(bins.reduce((a, b) => a + b.count, 0)).toBe(values.filter((v) => v >= -1 && v <= 1).length);
  });

  it('gives one unit-wide bin to a constant series and nothing to an empty one', () => {
    expect(histogramBins([3, 3, 3], 10)).toEqual([{ x0: 2.5, x1: 3.5, count: 3 }]);
    expect(histogramBins([NaN], 10)).toEqual([]);
  });

  it('extent skips non-finite values and copes with 10⁶ values', () => {
    const big = Array.from({ length: 1_000_000 }, (_, i) => i % 1000);
    expect(extent([NaN, 2, -Infinity, -1])).toEqual([-1, 2]);
    expect(extent(big)).toEqual([0, 999]);
  });
});
