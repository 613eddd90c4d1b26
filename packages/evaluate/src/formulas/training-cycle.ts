import { l2Distance, mean } from './stats.js';

/**
 * E4 (seed 000): one training cycle, exactly n_critic = 5 critic updates then 1 generator update.
 * L̄_D = mean of the 5 critic losses; Δ_D = ‖θ_D^after − θ_D^before‖₂, Δ_G likewise, over the
 * concatenated trainable parameters (same order before and after).
 */
export interface E4 {
  /** n_critic of the cycle (absent in reports written before it was recorded). */
  nCritic?: number;
  /** Each critic step's L_D, where the run's implementation reports them one by one. */
  lossD?: number[];
  lossDMean: number;
  deltaD: number;
  deltaG: number;
}

export interface CycleParameters {
  critic: readonly ArrayLike<number>[];
  generator: readonly ArrayLike<number>[];
}

/** L̄_D as the trainer reported it (the mean of its critic losses), or the mean of the per-step losses given. */
export function e4CycleDeltas(
  losses: { nCritic: number; lossDMean?: number; lossD?: readonly number[] },
  before: CycleParameters,
  after: CycleParameters,
): E4 {
  const lossDMean = losses.lossD ? mean(losses.lossD) : losses.lossDMean;
  if (lossDMean === undefined) throw new Error("E4 needs the cycle's critic losses (lossD) or their mean (lossDMean)");
  return {
    nCritic: losses.nCritic,
    ...(losses.lossD ? { lossD: [...losses.lossD] } : {}),
    lossDMean,
    deltaD: l2Distance(before.critic, after.critic),
    deltaG: l2Distance(before.generator, after.generator),
  };
}
