import { mean } from './stats.js';

/**
 * E5 (seed 000): batch means of the critic's raw scores on the same step, and their difference,
 * the empirical Wasserstein gap Ŵ₁ = E[D(x_real)] − E[D(G(z))].
 */
export interface E5 {
  batchSize: number;
  dReal: number;
  dFake: number;
  wassersteinGap: number;
}

export function e5WassersteinGap(dReal: ArrayLike<number>, dFake: ArrayLike<number>): E5 {
  const r = mean(dReal);
  const f = mean(dFake);
  return { batchSize: dReal.length, dReal: r, dFake: f, wassersteinGap: r - f };
}

/**
 * E10 (seed 000): critic ordering accuracy on K pairs (x_real⁽ᵏ⁾, G(z)⁽ᵏ⁾):
 * a = (1/K) Σ 1{D(x_real⁽ᵏ⁾) > D(G(z)⁽ᵏ⁾)} (ties count as wrong, the inequality is strict).
 */
export interface E10 {
  pairs: number;
  correct: number;
  accuracy: number;
}

export function e10OrderingAccuracy(dReal: ArrayLike<number>, dFake: ArrayLike<number>): E10 {
  if (dReal.length !== dFake.length || dReal.length === 0)
    throw new RangeError(`E10 needs K > 0 pairs, got ${dReal.length} real and ${dFake.length} fake scores`);
  let correct = 0;
  for (let k = 0; k < dReal.length; k++) if (dReal[k] > dFake[k]) correct++;
  return { pairs: dReal.length, correct, accuracy: correct / dReal.length };
}
