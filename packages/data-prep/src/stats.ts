/**
 * The seed's dataset diagnostics (OPPE WGAN, E1 and E2).
 *
 * E1: c_k = training samples of class k; Total = Σ c_k; Δ = max c_k − min c_k;
 *     Imbalance = Δ / (Total / 10) × 100 %.
 * E2: on the first post-transform training batch X: μ = mean, σ = std (unbiased, N − 1, as torch.std),
 *     m = min, M = max, p = #{|X| ≤ 0.5} / #X.
 */
export interface E1 {
  counts: number[];
  total: number;
  delta: number;
  imbalancePct: number;
}

export interface E2 {
  batchSize: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  fracAbsLeHalf: number;
}

export function classCounts(labels: Uint8Array, numClasses = 10): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

/** E1 from class counts. Classes absent from a digit subset are left out of max/min and the mean. */
export function e1FromCounts(allCounts: number[]): E1 {
  const counts = allCounts.filter((c) => c > 0);
  const total = counts.reduce((s, c) => s + c, 0);
  const delta = counts.length ? Math.max(...counts) - Math.min(...counts) : 0;
  return { counts: allCounts, total, delta, imbalancePct: counts.length ? (delta / (total / counts.length)) * 100 : 0 };
}

export function e2FromBatch(x: ArrayLike<number>, batchSize: number): E2 {
  const n = x.length;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let small = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (Math.abs(v) <= 0.5) small++;
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i] - mean) ** 2;
  return { batchSize, mean, std: Math.sqrt(ss / (n - 1)), min, max, fracAbsLeHalf: small / n };
}
