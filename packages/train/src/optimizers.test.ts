import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@wgan/core/backend';
import { createOptimizer } from './optimizers.js';
import { useFastMatMulGradients } from './trainers/tfjs/fast-matmul.js';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

describe('RMSprop (PyTorch semantics: ε outside the root)', () => {
  it('matches a float64 hand computation over three steps, and restores its state', async () => {
    const cfg = { type: 'rmsprop' as const, lr: 0.01, alpha: 0.9, eps: 1e-8 };
    const opt = createOptimizer(cfg);
    const p = tf.variable(tf.tensor1d([1, -2]));
    const named = [{ name: 'p', variable: p }];
    const grads = [
      [0.5, -1],
      [0.1, 2],
      [-0.3, 0],
    ];
    const ref = [1, -2];
    const v = [0, 0];
    for (const g of grads) {
      const gt = tf.tensor1d(g);
      opt.apply(named, [gt]);
      gt.dispose();
      for (let i = 0; i < 2; i++) {
        v[i] = cfg.alpha * v[i] + (1 - cfg.alpha) * g[i] ** 2;
        ref[i] -= (cfg.lr * g[i]) / (Math.sqrt(v[i]) + cfg.eps);
      }
    }
    const got = await p.data();
    expect(got[0]).toBeCloseTo(ref[0], 6);
    expect(got[1]).toBeCloseTo(ref[1], 6);
    const state = await opt.getState();
    expect(state).toMatchObject({ kind: 'rmsprop', step: 3 });
    state.slots[0].values.forEach((x, i) => expect(x).toBeCloseTo(v[i], 7));
    const restored = createOptimizer(cfg);
    restored.setState(state);
    expect(await restored.getState()).toEqual(state);
    opt.dispose();
    restored.dispose();
    p.dispose();
  });

  it('does not leak tensors across steps', () => {
    const opt = createOptimizer({ type: 'adam', lr: 1e-3, beta1: 0.5, beta2: 0.9, eps: 1e-8 });
    const p = tf.variable(tf.ones([3, 3]));
    const g = tf.ones([3, 3]);
    opt.apply([{ name: 'p', variable: p }], [g]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.apply([{ name: 'p', variable: p }], [g]);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    p.dispose();
    g.dispose();
  });
});

describe('useFastMatMulGradients', () => {
  it('gives the same gradients as tfjs for plain and transposed products', async () => {
    const a = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tf.tensor2d([
      [0.5, -1],
      [2, 0.25],
      [-3, 1],
    ]);
    const w = tf.tensor2d([
      [1, -2],
      [0.5, 3],
    ]);
    const loss = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D), w));
    const lossT = (x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, false, true), w));
    const bT = tf.transpose(b);
    const stock = await Promise.all([...tf.grads(loss)([a, b]), ...tf.grads(lossT)([a, bT])].map((t) => t.array()));
    useFastMatMulGradients();
    useFastMatMulGradients(); // idempotent
    const fast = await Promise.all([...tf.grads(loss)([a, b]), ...tf.grads(lossT)([a, bT])].map((t) => t.array()));
    expect(fast).toEqual(stock);
    // ∂L/∂a = W·bᵀ by hand, first row: [1·0.5 − 2·(−1), 1·2 − 2·0.25, 1·(−3) − 2·1]
    expect((fast[0] as number[][])[0]).toEqual([2.5, 1.5, -5]);
  });
});
