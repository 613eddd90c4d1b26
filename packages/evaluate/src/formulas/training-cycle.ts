import { l2Distance, mean } from './stats.js';

/**
 * E4 (seed 000): one training cycle, exactly n_critic = 5 critic updates then 1 generator update.
 * L̄_D = mean of the 5 critic losses; Δ_D = ‖θ_D^after − θ_D^before‖₂, Δ_G likewise, over the
 * concatenated trainable parameters (same order before and after).
 */
export interface E4 {
  lossD: number[];
  lossDMean: number;
  deltaD: number;
  deltaG: number;
}

export interface CycleParameters {
  critic: readonly ArrayLike<number>[];
  generator: readonly ArrayLike<number>[];
}

export function e4CycleDeltas(lossD: readonly number[], before: CycleParameters, after: CycleParameters): E4 {
  return { lossD: [...lossD], lossDMean: mean(lossD), deltaD: l2Distance(before.critic, after.critic), deltaG: l2Distance(before.generator, after.generator) };
}
