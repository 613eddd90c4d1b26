import { classCounts, e1FromCounts, e2FromBatch, type E1 as DataE1, type E2 as DataE2 } from '@wgan/data-prep';

/**
 * E1 and E2 (seed 000, "OPPE WGAN"): the dataset checks. The formulas live in data-prep (which reports
 * them when it writes the data artifact); evaluate recomputes them from the artifact with the same code
 * so both stages print the same numbers.
 *
 * E1: Total = Σ c_k, Δ = max c_k − min c_k, Imbalance = Δ / (Total / 10) × 100 %.
 * E2: on the first post-transform batch X: μ, σ (unbiased, N − 1, as torch.std), min, max,
 *     p = #{|X| ≤ 0.5} / #X.
 */
export type E1 = DataE1;
export type E2 = DataE2;

/** E1 from training labels (uint8 class ids). */
export function e1FromLabels(labels: Uint8Array, numClasses = 10): E1 {
  return e1FromCounts(classCounts(labels, numClasses));
}

export { e1FromCounts, e2FromBatch };
