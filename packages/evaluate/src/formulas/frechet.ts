import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/**
 * Fréchet distance between two Gaussians fitted to feature sets (FID's formula, here on the MNIST
 * classifier's 512 penultimate features instead of Inception's):
 *
 *   FD = ‖μ₁ − μ₂‖² + tr(Σ₁) + tr(Σ₂) − 2 tr((Σ₁Σ₂)^½)
 *
 * with the unbiased covariance (N − 1, numpy's np.cov, as in the PyTorch anchor). tr((Σ₁Σ₂)^½) is
 * computed from symmetric matrices only: Σ₁Σ₂ is similar to A = Σ₁^½ Σ₂ Σ₁^½ (symmetric, positive
 * semi-definite), so tr((Σ₁Σ₂)^½) = Σ_i √λ_i(A), with Σ₁^½ = V diag(√λ) Vᵀ from Σ₁'s eigendecomposition.
 * Everything in float64; eigenvalues that round to slightly below 0 are clamped to 0.
 */
export interface GaussianStats {
  count: number;
  dim: number;
  mean: Float64Array;
  /** [dim, dim] */
  covariance: Matrix;
}

/** Mean and unbiased covariance of features [count, dim] (row-major). */
export function gaussianStats(features: ArrayLike<number>, count: number, dim: number): GaussianStats {
  if (features.length !== count * dim)
    throw new RangeError(`gaussianStats: ${features.length} values is not [${count}, ${dim}]`);
  if (count < 2) throw new RangeError('gaussianStats needs at least two feature vectors');
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mean[j] += features[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= count;
  const centered = new Matrix(count, dim);
  for (let i = 0; i < count; i++) {
    const row = new Float64Array(dim);
    for (let j = 0; j < dim; j++) row[j] = features[i * dim + j] - mean[j];
    centered.setRow(i, row);
  }
  const covariance = centered.gram().div(count - 1);
  return { count, dim, mean, covariance };
}

/**
 * Gaussian stats from a float64 mean and the centred Gram matrix Σ_i (x_i − μ)(x_i − μ)ᵀ ([dim, dim],
 * row-major), however it was accumulated (features.ts sums it on the device in row blocks).
 */
export function gaussianStatsFromGram(count: number, mean: Float64Array, gram: Float64Array): GaussianStats {
  const dim = mean.length;
  if (gram.length !== dim * dim) throw new RangeError(`gram has ${gram.length} values, expected ${dim}×${dim}`);
  const covariance = new Matrix(dim, dim);
  for (let i = 0; i < dim; i++)
    for (let j = 0; j < dim; j++) covariance.set(i, j, (gram[i * dim + j] + gram[j * dim + i]) / 2 / (count - 1));
  return { count, dim, mean, covariance };
}

/** Σ^½ of a symmetric positive semi-definite matrix. */
export function sqrtPsd(s: Matrix): Matrix {
  const evd = new EigenvalueDecomposition(s, { assumeSymmetric: true });
  const v = evd.eigenvectorMatrix;
  const roots = evd.realEigenvalues.map((l) => Math.sqrt(Math.max(l, 0)));
  return v.mmulByTranspose(roots);
}

/** tr((Σ₁Σ₂)^½) via the symmetric A = Σ₁^½ Σ₂ Σ₁^½, given Σ₁^½. */
export function traceSqrtProductWithRoot(sqrtS1: Matrix, s2: Matrix): number {
  const a = sqrtS1.mmul(s2).mmul(sqrtS1);
  const sym = a.add(a.transpose()).div(2);
  const evd = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  return evd.realEigenvalues.reduce((s, l) => s + Math.sqrt(Math.max(l, 0)), 0);
}

export function traceSqrtProduct(s1: Matrix, s2: Matrix): number {
  return traceSqrtProductWithRoot(sqrtPsd(s1), s2);
}

/**
 * A reference set (the real test features) with its Σ^½ computed once, so that scoring many generated
 * sets (every checkpoint of a run) costs one eigendecomposition each instead of two. The trace term is
 * symmetric in the two sets (Σ₁Σ₂ and Σ₂Σ₁ have the same eigenvalues).
 */
export interface FrechetReference {
  stats: GaussianStats;
  sqrtCovariance: Matrix;
}

export function frechetReference(stats: GaussianStats): FrechetReference {
  return { stats, sqrtCovariance: sqrtPsd(stats.covariance) };
}

export function frechetDistanceTo(reference: FrechetReference, other: GaussianStats): number {
  const a = reference.stats;
  if (a.dim !== other.dim) throw new RangeError(`frechetDistance: ${a.dim}- vs ${other.dim}-dimensional features`);
  let meanTerm = 0;
  for (let j = 0; j < a.dim; j++) meanTerm += (a.mean[j] - other.mean[j]) ** 2;
  return (
    meanTerm +
    a.covariance.trace() +
    other.covariance.trace() -
    2 * traceSqrtProductWithRoot(reference.sqrtCovariance, other.covariance)
  );
}

export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  return frechetDistanceTo(frechetReference(a), b);
}

/** FD straight from two feature sets [nA, dim] and [nB, dim]. */
export function frechetDistanceOfFeatures(
  a: ArrayLike<number>,
  nA: number,
  b: ArrayLike<number>,
  nB: number,
  dim: number,
): number {
  return frechetDistance(gaussianStats(a, nA, dim), gaussianStats(b, nB, dim));
}
