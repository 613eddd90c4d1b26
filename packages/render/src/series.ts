/**
 * Pure helpers that prepare numbers for plots: smoothing of noisy training curves, thinning of long
 * series, and histogram bins. No plotting here, so each can be tested against a direct reference.
 */

export interface Point {
  x: number;
  y: number;
}

/**
 * Centred moving average: out[i] = mean of the finite y[j] for j in [i − ⌊(w−1)/2⌋, i + ⌈(w−1)/2⌉],
 * the window clipped at both ends. Centred, so a feature of the curve stays at the iteration where it
 * happened (a trailing average would draw it w/2 iterations late). Non-finite values keep their place
 * but count for nothing; an output is NaN only if its whole window is. window = 1 returns the input. O(n).
 */
export function movingAverage(values: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1)
    throw new RangeError(`movingAverage: window must be a positive integer, got ${window}`);
  const before = Math.floor((window - 1) / 2);
  const after = window - 1 - before;
  // prefix sums of the finite values and of their count
  const sum = new Float64Array(values.length + 1);
  const count = new Uint32Array(values.length + 1);
  for (let i = 0; i < values.length; i++) {
    const finite = Number.isFinite(values[i]);
    sum[i + 1] = sum[i] + (finite ? values[i] : 0);
    count[i + 1] = count[i] + (finite ? 1 : 0);
  }
  return values.map((_, i) => {
    const lo = Math.max(0, i - before);
    const hi = Math.min(values.length, i + after + 1);
    const n = count[hi] - count[lo];
    return n > 0 ? (sum[hi] - sum[lo]) / n : NaN;
  });
}

/** The same smoothing applied to the y of points (x untouched). */
export function smoothPoints(points: readonly Point[], window: number): Point[] {
  const ys = movingAverage(
    points.map((p) => p.y),
    window,
  );
  return points.map((p, i) => ({ x: p.x, y: ys[i] }));
}

/**
 * The window used when smoothing is "auto": none for short series (< 50 points), else about 2% of the
 * series (at least 5 points), so a 20,000-iteration run is averaged over 400 iterations.
 */
export function autoWindow(length: number): number {
  return length < 50 ? 1 : Math.max(5, Math.round(length / 50));
}

/**
 * Thins a series to at most ~maxPoints points for drawing (non-finite points dropped; short series come
 * back unchanged). 'minmax' keeps each bucket's minimum and maximum in x order, so the envelope of a
 * noisy curve survives where striding would alias it; 'stride' keeps evenly spaced points plus the last,
 * for curves that are already smooth (min/max of those would draw a sawtooth).
 */
export function decimate(points: readonly Point[], maxPoints: number, mode: 'minmax' | 'stride' = 'minmax'): Point[] {
  const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (finite.length <= maxPoints || maxPoints < 4) return finite;
  if (mode === 'stride') {
    const step = (finite.length - 1) / (maxPoints - 1);
    return Array.from({ length: maxPoints }, (_, k) => finite[Math.round(k * step)]);
  }
  const buckets = Math.floor(maxPoints / 2);
  const size = finite.length / buckets;
  const out: Point[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(finite.length, Math.floor((b + 1) * size));
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (finite[i].y < finite[lo].y) lo = i;
      if (finite[i].y > finite[hi].y) hi = i;
    }
    if (lo === hi) out.push(finite[lo]);
    else out.push(finite[Math.min(lo, hi)], finite[Math.max(lo, hi)]);
  }
  return out;
}

export interface Bin {
  /** [x0, x1): the last bin also holds its right edge. */
  x0: number;
  x1: number;
  count: number;
}

/**
 * Equal-width histogram of the finite values over [min, max] (or the given range; values outside it
 * are not counted). A single distinct value gets one bin of width 1 centred on it.
 */
export function histogramBins(values: readonly number[], bins: number, range?: [number, number]): Bin[] {
  if (!Number.isInteger(bins) || bins < 1)
    throw new RangeError(`histogramBins: bins must be a positive integer, got ${bins}`);
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return [];
  let [lo, hi] = range ?? extent(finite);
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
    bins = 1;
  }
  const width = (hi - lo) / bins;
  const out: Bin[] = Array.from({ length: bins }, (_, k) => ({
    x0: lo + k * width,
    x1: k === bins - 1 ? hi : lo + (k + 1) * width,
    count: 0,
  }));
  for (const v of finite) {
    if (v < lo || v > hi) continue;
    const k = Math.min(bins - 1, Math.floor((v - lo) / width));
    out[k].count++;
  }
  return out;
}

/** [min, max] of finite values (a loop: spreading 10⁵ values into Math.min overflows the stack). */
export function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
