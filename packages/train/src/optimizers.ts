import { tf } from '@wgan/core/backend';
import type { NamedTensor } from './models/serialize.js';
import type { OptimizerState } from './trainer.js';

/**
 * Adam and RMSprop with PyTorch's exact update rules (so runs compare with the PyTorch anchor), written
 * with tfjs ops, their state (step count and per-parameter slots) readable and restorable for checkpoints.
 *
 * Adam (torch.optim.Adam, no weight decay, no amsgrad):
 *   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²,
 *   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * RMSprop (torch.optim.RMSprop, momentum 0, not centered):
 *   v ← α·v + (1 − α)·g²,  p ← p − lr · g / (√v + ε)
 * Note tfjs's own optimisers differ (Adam's default ε is 1e-7; its RMSprop puts ε inside the root).
 */
export type OptimizerConfig =
  | { type: 'adam'; lr: number; beta1: number; beta2: number; eps: number }
  | { type: 'rmsprop'; lr: number; alpha: number; eps: number };

export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Updates applied so far. */
  readonly step: number;
  /** Applies one update to `params` (named, in order) with `grads` (same order); disposes nothing it did not create. */
  apply(params: { name: string; variable: tf.Variable }[], grads: tf.Tensor[]): void;
  getState(): Promise<OptimizerState>;
  setState(state: OptimizerState): void;
  dispose(): void;
}

export function createOptimizer(config: OptimizerConfig): Optimizer {
  return config.type === 'adam' ? new Adam(config) : new RmsProp(config);
}

abstract class SlottedOptimizer implements Optimizer {
  step = 0;
  protected slots = new Map<string, tf.Variable>();
  constructor(
    readonly config: OptimizerConfig,
    private readonly slotNames: string[],
  ) {}

  protected slot(param: string, slot: string, like: tf.Tensor): tf.Variable {
    const key = `${param}/${slot}`;
    let v = this.slots.get(key);
    if (!v) {
      v = tf.tidy(() => tf.variable(tf.zerosLike(like), false));
      this.slots.set(key, v);
    }
    return v;
  }

  abstract apply(params: { name: string; variable: tf.Variable }[], grads: tf.Tensor[]): void;

  async getState(): Promise<OptimizerState> {
    const slots: NamedTensor[] = [];
    for (const [name, v] of [...this.slots].sort(([a], [b]) => a.localeCompare(b)))
      slots.push({ name, shape: v.shape, values: (await v.data()) as Float32Array });
    return { kind: this.config.type, step: this.step, slots };
  }

  setState(state: OptimizerState): void {
    if (state.kind !== this.config.type)
      throw new Error(`optimizer state is ${state.kind}, this optimizer is ${this.config.type}`);
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
    for (const s of state.slots) {
      const slot = s.name.split('/').pop() ?? '';
      if (!this.slotNames.includes(slot)) throw new Error(`unknown ${this.config.type} slot ${s.name}`);
      this.slots.set(
        s.name,
        tf.tidy(() => tf.variable(tf.tensor(s.values, s.shape, 'float32'), false)),
      );
    }
    this.step = state.step;
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}

class Adam extends SlottedOptimizer {
  constructor(override readonly config: Extract<OptimizerConfig, { type: 'adam' }>) {
    super(config, ['m', 'v']);
  }

  apply(params: { name: string; variable: tf.Variable }[], grads: tf.Tensor[]): void {
    this.step += 1;
    const { lr, beta1, beta2, eps } = this.config;
    const stepSize = lr / (1 - beta1 ** this.step);
    const sqrtBc2 = Math.sqrt(1 - beta2 ** this.step);
    params.forEach(({ name, variable }, i) => {
      const g = grads[i];
      const m = this.slot(name, 'm', variable);
      const v = this.slot(name, 'v', variable);
      tf.tidy(() => {
        const mNew = beta1 === 0 ? g : tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        const denom = tf.add(tf.div(tf.sqrt(vNew), sqrtBc2), eps);
        variable.assign(tf.sub(variable, tf.mul(tf.div(mNew, denom), stepSize)));
      });
    });
  }
}

class RmsProp extends SlottedOptimizer {
  constructor(override readonly config: Extract<OptimizerConfig, { type: 'rmsprop' }>) {
    super(config, ['v']);
  }

  apply(params: { name: string; variable: tf.Variable }[], grads: tf.Tensor[]): void {
    this.step += 1;
    const { lr, alpha, eps } = this.config;
    params.forEach(({ name, variable }, i) => {
      const g = grads[i];
      const v = this.slot(name, 'v', variable);
      tf.tidy(() => {
        const vNew = tf.add(tf.mul(v, alpha), tf.mul(tf.square(g), 1 - alpha));
        v.assign(vNew);
        variable.assign(tf.sub(variable, tf.mul(tf.div(g, tf.add(tf.sqrt(vNew), eps)), lr)));
      });
    });
  }
}
