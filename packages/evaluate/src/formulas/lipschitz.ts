import { e6FromNorms, e7FromWeights } from '@wgan/train';

/**
 * E6 and E7 as the evaluation report stores them. The formulas have one home, train's diagnostics.ts
 * (e6FromNorms, e7FromWeights), which train's epoch-end diagnostics use too:
 *  - E6 (WGAN-GP runs): over N interpolates x̂ = εx + (1 − ε)x̃, ε ~ U[0, 1], g_i = ‖∇_x̂ D(x̂_i)‖₂:
 *    ḡ = mean g, s_g = population std of g, GP = λ · (1/N) Σ (g_i − 1)².
 *  - E7 (weight-clipping runs): over every critic weight w and the bound c: f = #{|w| = c} / #w (|w| ≥
 *    float32(c)), mean |w|, r_max = max |w| / float32(c).
 */
export interface E6 {
  n: number;
  lambda: number;
  gradNormMean: number;
  gradNormStd: number;
  gradientPenalty: number;
}

export function e6PenaltyStats(gradNorms: ArrayLike<number>, lambda: number): E6 {
  const e = e6FromNorms(gradNorms, lambda);
  return { n: e.samples, lambda, gradNormMean: e.gradNormMean, gradNormStd: e.gradNormStd, gradientPenalty: e.gp };
}

export interface E7 {
  clipValue: number;
  weights: number;
  fracAtBound: number;
  meanAbsWeight: number;
  maxAbsRatio: number;
}

export function e7ClipUtilization(weights: readonly ArrayLike<number>[], clipValue: number): E7 {
  const e = e7FromWeights(weights, clipValue);
  return {
    clipValue,
    weights: e.weights,
    fracAtBound: e.clipFraction,
    meanAbsWeight: e.meanAbsWeight,
    maxAbsRatio: e.maxRatio,
  };
}
