/**
 * The generated class histogram (predicted class = argmax p(y|x)) and Pearson's chi-square test of it
 * against the uniform distribution: χ² = Σ_k (o_k − e)² / e with e = N / K, K − 1 degrees of freedom,
 * p-value = Q((K − 1)/2, χ²/2) (the regularised upper incomplete gamma function). A mode-collapsed
 * generator shows up as a large χ² and a p-value near 0. MNIST's own test labels give χ² = 35.04 (its
 * classes are not exactly balanced), so compare with the real test set's figure, not with 0.
 */
export function classHistogram(probs: ArrayLike<number>, classes = 10): number[] {
  const n = probs.length / classes;
  if (!Number.isInteger(n)) throw new RangeError(`classHistogram: ${probs.length} values is not [N, ${classes}]`);
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probs[i * classes + k] > probs[i * classes + best]) best = k;
    counts[best]++;
  }
  return counts;
}

export interface ChiSquare {
  chiSquare: number;
  degreesOfFreedom: number;
  pValue: number;
}

export function chiSquareUniform(counts: readonly number[]): ChiSquare {
  const total = counts.reduce((s, c) => s + c, 0);
  if (counts.length < 2 || total === 0)
    throw new RangeError('chiSquareUniform needs at least two classes and one observation');
  const expected = total / counts.length;
  const chiSquare = counts.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
  const degreesOfFreedom = counts.length - 1;
  return { chiSquare, degreesOfFreedom, pValue: regularizedGammaQ(degreesOfFreedom / 2, chiSquare / 2) };
}

/**
 * Q(a, x) = Γ(a, x) / Γ(a): the series of P for x < a + 1, Lentz's continued fraction otherwise
 * (Numerical Recipes, §6.2), to ~1e-14 relative.
 */
export function regularizedGammaQ(a: number, x: number): number {
  if (a <= 0 || x < 0) throw new RangeError(`regularizedGammaQ(${a}, ${x})`);
  if (x === 0) return 1;
  const lnPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lnPrefix));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(lnPrefix) * h;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~1e-15 relative). */
export function logGamma(x: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}
