/**
 * Classifier inception score (seed 002, "VAE" notebook, after Barratt & Sharma 2018, eq. 1):
 *
 *   p(y) = (1/N) Σ_x p(y|x),   IS = exp( (1/N) Σ_x KL(p(y|x) ‖ p(y)) ),
 *   KL = Σ_y p(y|x) (log(p(y|x) + ε) − log(p(y) + ε)),  ε = 1e-12 (the PyTorch anchor's; the seed uses 1e-10).
 *
 * probs: [N, K] row-major softmax outputs. Bounds: 1 (every x gets the same p(y|x)) ≤ IS ≤ K (confident
 * and balanced over K classes). Accumulated in float64.
 */
export const INCEPTION_EPS = 1e-12;

export function inceptionScore(probs: ArrayLike<number>, classes = 10): number {
  const n = probs.length / classes;
  if (!Number.isInteger(n) || n === 0)
    throw new RangeError(`inceptionScore: ${probs.length} values is not [N, ${classes}]`);
  const py = new Float64Array(classes);
  for (let i = 0; i < n; i++) for (let k = 0; k < classes; k++) py[k] += probs[i * classes + k];
  for (let k = 0; k < classes; k++) py[k] /= n;
  const logPy = py.map((p) => Math.log(p + INCEPTION_EPS));
  let klSum = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < classes; k++) {
      const p = probs[i * classes + k];
      if (p > 0) klSum += p * (Math.log(p + INCEPTION_EPS) - logPy[k]);
    }
  }
  return Math.exp(klSum / n);
}
