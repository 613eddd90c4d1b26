/**
 * Interval statistics over training seeds: mean, sample standard deviation, the 95% Student-t interval
 * of the mean, and Welch's unequal-variance t-test between two cells. The t distribution's CDF is the
 * regularised incomplete beta function (Lentz's continued fraction, as in Numerical Recipes §6.4); its
 * quantile is found by bisection on that CDF, so no table is involved.
 */

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), relative error < 1e-13 for x > 0
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** I_x(a, b), the regularised incomplete beta function. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom (df may be fractional, as Welch's). */
export function tCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom, by bisection on tCdf (|error| < 1e-10). */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`tQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`tQuantile: df must be positive, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-10 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); null for n < 2. */
  std: number | null;
  /** 95% t-interval of the mean; null for n < 2. */
  ci95: [number, number] | null;
}

export function summarize(values: number[]): Summary {
  const n = values.length;
  if (n === 0) return { n, mean: Number.NaN, std: null, ci95: null };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { n, mean, std: null, ci95: null };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  const std = Math.sqrt(variance);
  const half = tQuantile(0.975, n - 1) * (std / Math.sqrt(n));
  return { n, mean, std, ci95: [mean - half, mean + half] };
}

export interface WelchResult {
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value. */
  p: number;
  /** 95% Welch interval of mean(a) − mean(b): it excludes 0 exactly when p < 0.05. */
  ci95: [number, number];
}

/** Welch's t-test of equal means; null when either side has fewer than 2 values or both have zero variance. */
export function welchTest(a: number[], b: number[]): WelchResult | null {
  const sa = summarize(a);
  const sb = summarize(b);
  if (sa.std === null || sb.std === null) return null;
  const va = sa.std ** 2 / sa.n;
  const vb = sb.std ** 2 / sb.n;
  if (va + vb === 0) return null;
  const t = (sa.mean - sb.mean) / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (sa.n - 1) + vb ** 2 / (sb.n - 1));
  const p = 2 * (1 - tCdf(Math.abs(t), df));
  const difference = sa.mean - sb.mean;
  const half = tQuantile(0.975, df) * Math.sqrt(va + vb);
  return { t, df, p: Math.min(1, Math.max(0, p)), ci95: [difference - half, difference + half] };
}

/** P(F ≤ f) for Fisher's F with (d1, d2) degrees of freedom: I_{d1 f / (d1 f + d2)}(d1/2, d2/2). */
export function fCdf(f: number, d1: number, d2: number): number {
  if (f <= 0) return 0;
  return incompleteBeta((d1 * f) / (d1 * f + d2), d1 / 2, d2 / 2);
}

export interface AnovaResult {
  /** Between-group mean square ÷ within-group mean square. */
  f: number;
  dfBetween: number;
  dfWithin: number;
  /** P(F ≥ f) under equal group means. */
  p: number;
}

/**
 * One-way ANOVA of equal means over groups (here: the cells of one grid, the seeds as replicates): does
 * the setting matter beyond seed-to-seed noise? Null with fewer than 2 groups, no within-group degrees
 * of freedom, or no within-group spread.
 */
export function oneWayAnova(groups: number[][]): AnovaResult | null {
  const gs = groups.filter((g) => g.length > 0);
  const k = gs.length;
  const n = gs.reduce((s, g) => s + g.length, 0);
  if (k < 2 || n - k < 1) return null;
  const grand = gs.flat().reduce((s, v) => s + v, 0) / n;
  let between = 0;
  let within = 0;
  for (const g of gs) {
    const m = g.reduce((s, v) => s + v, 0) / g.length;
    between += g.length * (m - grand) ** 2;
    for (const v of g) within += (v - m) ** 2;
  }
  if (within === 0) return null;
  const f = between / (k - 1) / (within / (n - k));
  return { f, dfBetween: k - 1, dfWithin: n - k, p: Math.min(1, Math.max(0, 1 - fCdf(f, k - 1, n - k))) };
}

/** The Wilson score 95% interval of a proportion `successes / n` (sensible at 0 and n, unlike the Wald one). */
export function wilsonInterval(successes: number, n: number, z = 1.959963984540054): [number, number] | null {
  if (n === 0) return null;
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/**
 * Fisher's exact two-sided test of a 2 × 2 table (a successes of n1 against b successes of n2): the sum of
 * the hypergeometric probabilities of every table with the same margins no more likely than the observed
 * one (SciPy's `fisher_exact` rule, with its 1e-7 relative tolerance).
 */
export function fisherExact(a: number, n1: number, b: number, n2: number): number {
  const successes = a + b;
  const total = n1 + n2;
  const prob = (x: number) => Math.exp(logChoose(n1, x) + logChoose(n2, successes - x) - logChoose(total, successes));
  const observed = prob(a);
  let p = 0;
  for (let x = Math.max(0, successes - n2); x <= Math.min(n1, successes); x++) {
    const q = prob(x);
    if (q <= observed * (1 + 1e-7)) p += q;
  }
  return Math.min(1, p);
}

/** A small seeded generator (mulberry32) for the bootstrap: the same report from the same results. */
export function seededUniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sample standard deviation (n − 1); 0 for fewer than 2 values. */
export function sampleStd(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = xs.reduce((s, v) => s + v, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / (xs.length - 1));
}

/** The std across groups of the group means: how much the setting moves the metric. */
export function spreadOfMeans(groups: number[][]): number {
  return sampleStd(groups.filter((g) => g.length).map((g) => g.reduce((s, v) => s + v, 0) / g.length));
}

/**
 * Bootstrap replicates of spreadOfMeans: each resamples every group's values (the seeds of a cell) with
 * replacement, keeping the groups (the cells) fixed.
 */
export function bootstrapSpread(groups: number[][], replicates: number, uniform: () => number): number[] {
  const gs = groups.filter((g) => g.length);
  const out: number[] = [];
  for (let r = 0; r < replicates; r++) {
    out.push(spreadOfMeans(gs.map((g) => g.map(() => g[Math.floor(uniform() * g.length)]))));
  }
  return out;
}

/** The (lo, hi) percentile interval of bootstrap replicates, e.g. 0.025 and 0.975. */
export function percentileInterval(values: number[], lo = 0.025, hi = 0.975): [number, number] {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const i = q * (s.length - 1);
    const j = Math.floor(i);
    return j + 1 < s.length ? s[j] + (i - j) * (s[j + 1] - s[j]) : s[j];
  };
  return [at(lo), at(hi)];
}
