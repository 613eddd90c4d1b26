import { tf } from '@wgan/core/backend';

/**
 * RMSprop with PyTorch's update rule (torch.optim.RMSprop, momentum 0, not centred), for the MNIST
 * classifier (seed 002: lr 1e-3, α 0.9; PyTorch's ε 1e-8):
 *
 *   v ← α·v + (1 − α)·g²,   p ← p − lr · g / (√v + ε)
 *
 * tfjs's own tf.train.rmsprop puts ε inside the root (and adds momentum terms), so it is not used.
 * Kept small and private to this package on purpose: when train's optimisers are merged, this file can
 * be replaced by them.
 */
export interface RmsPropConfig {
  lr: number;
  alpha: number;
  eps: number;
}

export class RmsProp {
  /** Updates applied so far. */
  step = 0;
  private readonly squares = new Map<tf.Variable, tf.Variable>();

  constructor(readonly config: RmsPropConfig) {}

  /** One update of `params` with `grads` (same order). Disposes nothing it did not create. */
  apply(params: readonly tf.Variable[], grads: readonly tf.Tensor[]): void {
    if (params.length !== grads.length) throw new Error(`RmsProp.apply: ${params.length} parameters, ${grads.length} gradients`);
    const { lr, alpha, eps } = this.config;
    tf.tidy(() => {
      params.forEach((p, i) => {
        let v = this.squares.get(p);
        if (!v) {
          v = tf.variable(tf.zerosLike(p), false);
          this.squares.set(p, v);
        }
        const g = grads[i];
        v.assign(tf.add(tf.mul(v, alpha), tf.mul(tf.square(g), 1 - alpha)));
        p.assign(tf.sub(p, tf.mul(tf.div(g, tf.add(tf.sqrt(v), eps)), lr)));
      });
    });
    this.step++;
  }

  dispose(): void {
    for (const v of this.squares.values()) v.dispose();
    this.squares.clear();
  }
}
