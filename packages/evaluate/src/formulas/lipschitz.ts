import { mean, populationStd } from './stats.js';

/**
 * E6 (seed 000, WGAN-GP runs): statistics of g_i = ‖∇_x̂ D(x̂_i)‖₂ over N interpolates
 * x̂ = εx + (1 − ε)x̃, ε ~ U[0, 1]:  ḡ = mean g, s_g = std g (population, see populationStd),
 * GP = λ · (1/N) Σ (g_i − 1)².
 */
export interface E6 {
  n: number;
  lambda: number;
  gradNormMean: number;
  gradNormStd: number;
  gradientPenalty: number;
}

export function e6PenaltyStats(gradNorms: ArrayLike<number>, lambda: number): E6 {
  let ss = 0;
  for (let i = 0; i < gradNorms.length; i++) ss += (gradNorms[i] - 1) ** 2;
  return { n: gradNorms.length, lambda, gradNormMean: mean(gradNorms), gradNormStd: populationStd(gradNorms), gradientPenalty: (lambda * ss) / gradNorms.length };
}

/**
 * E7 (seed 000, weight-clipping runs): over every critic weight w (all trainable parameters, as clipping
 * clips them all) and the bound c:  f = #{|w| = c} / #w,  mean |w|,  r_max = max |w| / c.
 * Clipped weights hold exactly float32(c), so "= c" is tested as |w| ≥ float32(c) (nothing exceeds it
 * after a clip).
 */
export interface E7 {
  clipValue: number;
  weights: number;
  fracAtBound: number;
  meanAbsWeight: number;
  maxAbsRatio: number;
}

export function e7ClipUtilization(weights: readonly ArrayLike<number>[], clipValue: number): E7 {
  if (!(clipValue > 0)) throw new RangeError(`E7 needs a positive clip bound, got ${clipValue}`);
  const bound = Math.fround(clipValue);
  let count = 0;
  let atBound = 0;
  let sumAbs = 0;
  let maxAbs = 0;
  for (const w of weights) {
    for (let i = 0; i < w.length; i++) {
      const a = Math.abs(w[i]);
      count++;
      sumAbs += a;
      if (a >= bound) atBound++;
      if (a > maxAbs) maxAbs = a;
    }
  }
  if (count === 0) throw new RangeError('E7: the critic has no weights');
  return { clipValue, weights: count, fracAtBound: atBound / count, meanAbsWeight: sumAbs / count, maxAbsRatio: maxAbs / clipValue };
}
