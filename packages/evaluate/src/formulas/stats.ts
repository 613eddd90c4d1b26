/**
 * Small float64 statistics shared by the E-formulas. Inputs are any array of numbers (Float32Array from
 * the device, plain arrays in tests); sums are accumulated in float64.
 */
export function mean(x: ArrayLike<number>): number {
  if (x.length === 0) throw new RangeError('mean of an empty array');
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/**
 * Population standard deviation √(Σ(x − x̄)² / N): the seed's E6 s_g (its worked example, g = {0.8, 1.2,
 * 1.0, 0.6} → 0.224, is the population value; the sample value would be 0.258).
 */
export function populationStd(x: ArrayLike<number>): number {
  const m = mean(x);
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i] - m) ** 2;
  return Math.sqrt(ss / x.length);
}

/**
 * Pearson correlation r = Σ(x − x̄)(y − ȳ) / (√Σ(x − x̄)² · √Σ(y − ȳ)²) (the seed's E9). Null when either
 * series is constant (r is undefined there, not 0).
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  if (x.length !== y.length) throw new RangeError(`pearson: ${x.length} x values, ${y.length} y values`);
  if (x.length < 2) throw new RangeError('pearson needs at least two points');
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / (Math.sqrt(sxx) * Math.sqrt(syy));
}

/** `count` evenly spaced values from `lo` to `hi` inclusive (numpy's linspace). */
export function linspace(lo: number, hi: number, count: number): number[] {
  if (count < 2) throw new RangeError('linspace needs at least two points');
  return Array.from({ length: count }, (_, i) => lo + ((hi - lo) * i) / (count - 1));
}

/** ‖a − b‖₂ over concatenated parameter vectors (same order in both). */
export function l2Distance(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  if (a.length !== b.length) throw new RangeError(`l2Distance: ${a.length} vs ${b.length} tensors`);
  let ss = 0;
  for (let t = 0; t < a.length; t++) {
    const x = a[t];
    const y = b[t];
    if (x.length !== y.length) throw new RangeError(`l2Distance: tensor ${t} has ${x.length} vs ${y.length} values`);
    for (let i = 0; i < x.length; i++) ss += (x[i] - y[i]) ** 2;
  }
  return Math.sqrt(ss);
}
