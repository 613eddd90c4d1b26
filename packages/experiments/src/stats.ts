/** Small float64 statistics used by the experiments' reports (pure functions of plain arrays). */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1 in the denominator, as numpy's std(ddof=1) and torch.std); 0 for one value. */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return xs.length === 1 ? 0 : NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Pearson correlation of two equally long series; NaN when either is constant. */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new RangeError(`pearson: ${xs.length} x values, ${ys.length} y values`);
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** Least-squares slope of y = κ·x through the origin: κ = Σxy / Σx². */
export function slopeThroughOrigin(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new RangeError(`slopeThroughOrigin: ${xs.length} x values, ${ys.length} y values`);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += xs[i] * ys[i];
    sxx += xs[i] * xs[i];
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

/** n evenly spaced values from a to b inclusive (numpy.linspace). */
export function linspace(a: number, b: number, n: number): number[] {
  if (n === 1) return [a];
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

/** Rounds for reports (keeps JSON readable without hiding precision that matters). */
export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * User + system CPU seconds of this process since `start` (process.cpuUsage()): a measure of work that machine load
 * does not inflate as much as wall time.
 */
export function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}
