import { tf } from '@wgan/core/backend';
import type { Network } from '../../models/network.js';
import type { Optimizer } from '../../optimizers.js';
import type { StatsRecord, TrainerState } from '../../trainer.js';

/**
 * Pieces shared by the tfjs trainers: the queue of per-iteration statistics kept on the device until
 * the loop reads them (one transfer per logEvery iterations), the GAN statistics record, and the
 * trainer state read from / written to Networks and Optimizers.
 */
export class StatsQueue {
  private pending: tf.Tensor1D[] = [];

  constructor(private readonly fields: readonly string[]) {}

  /** Keeps one iteration's statistics vector (its length = fields.length); the queue owns it. */
  push(record: tf.Tensor1D): void {
    this.pending.push(record);
  }

  /** Every pending iteration's statistics, oldest first, in one device→host transfer. */
  async read<S extends StatsRecord>(): Promise<S[]> {
    if (this.pending.length === 0) return [];
    const all = tf.stack(this.pending);
    const values = (await all.data()) as Float32Array;
    tf.dispose([all, ...this.pending]);
    const n = this.pending.length;
    this.pending = [];
    const k = this.fields.length;
    return Array.from(
      { length: n },
      (_, i) => Object.fromEntries(this.fields.map((f, j) => [f, values[i * k + j]])) as S,
    );
  }

  dispose(): void {
    tf.dispose(this.pending);
    this.pending = [];
  }
}

/**
 * One GAN iteration's statistics in STAT_FIELDS order from the critic steps' vectors
 * [lossD, dReal, dFake, gp, normMean, normStd] (each kept), the generator loss and the clip fraction:
 * lossD and gp averaged over the critic steps, the rest of the last critic step. Disposes its inputs.
 */
export function ganIterationRecord(steps: tf.Tensor1D[], lossG: tf.Scalar, clipFraction: tf.Scalar): tf.Tensor1D {
  const record = tf.tidy(() => {
    const all = steps.length ? tf.stack(steps) : tf.fill([1, 6], NaN);
    const mean = tf.mean(all, 0);
    const last = all.slice([all.shape[0] - 1, 0], [1, 6]).reshape([6]);
    return tf.stack([
      mean.gather(0),
      lossG,
      last.gather(1),
      last.gather(2),
      mean.gather(3),
      last.gather(4),
      last.gather(5),
      clipFraction,
    ]) as tf.Tensor1D;
  });
  tf.dispose([...steps, lossG, clipFraction]);
  return record;
}

/** The fraction of `params`' values with |w| = c exactly (E7's f), as a scalar. */
export function clipFraction(params: tf.Variable[], c: number, count: number): tf.Scalar {
  return tf.tidy(
    () => tf.div(tf.addN(params.map((v) => tf.sum(tf.cast(tf.equal(tf.abs(v), c), 'float32')))), count) as tf.Scalar,
  );
}

export async function readTrainerState(
  generator: Network,
  critic: Network,
  optG: Optimizer,
  optD: Optimizer,
): Promise<TrainerState> {
  return {
    generator: await generator.readValues(),
    critic: await critic.readValues(),
    generatorOptimizer: await optG.getState(),
    criticOptimizer: await optD.getState(),
  };
}

export function applyTrainerState(
  state: TrainerState,
  generator: Network,
  critic: Network,
  optG: Optimizer,
  optD: Optimizer,
): void {
  generator.assign(state.generator);
  critic.assign(state.critic);
  optG.setState(state.generatorOptimizer);
  optD.setState(state.criticOptimizer);
}

/** G(z) in inference mode: z [n, d_z] → values [n, outputSize]. */
export async function generateWith(
  apply: (z: tf.Tensor2D) => tf.Tensor,
  z: Float32Array,
  n: number,
  latentDim: number,
): Promise<Float32Array> {
  const out = tf.tidy(() => apply(tf.tensor2d(z, [n, latentDim])));
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}
