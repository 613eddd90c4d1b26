import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@wgan/core/backend';
import { RmsProp } from './rmsprop.js';
import { registerFastMatMulGradient } from './matmul-gradient.js';

beforeAll(async () => {
  await initBackend('cpu', { quiet: true });
});

describe('RmsProp (PyTorch semantics)', () => {
  it('matches a float64 hand computation over three steps', async () => {
    const cfg = { lr: 0.01, alpha: 0.9, eps: 1e-8 };
    const opt = new RmsProp(cfg);
    const p = tf.variable(tf.tensor1d([1, -2]));
    const gradsSeq = [[0.5, -1], [0.1, 2], [-0.3, 0]];
    // After one step RMSprop has moved each weight by lr / √(1 − α) against the gradient's sign.
    const first = new RmsProp(cfg);
    const q = tf.variable(tf.tensor1d([1, -2]));
    first.apply([q], [tf.tensor1d(gradsSeq[0])]);
    const q1 = await q.data();
    expect(q1[0]).toBeCloseTo(1 - 0.01 / Math.sqrt(0.1), 6);
    expect(q1[1]).toBeCloseTo(-2 + 0.01 / Math.sqrt(0.1), 6);
    first.dispose();
    q.dispose();
    const ref = [1, -2];
    const v = [0, 0];
    for (const g of gradsSeq) {
      const gt = tf.tensor1d(g);
      opt.apply([p], [gt]);
      gt.dispose();
      for (let i = 0; i < 2; i++) {
        v[i] = cfg.alpha * v[i] + (1 - cfg.alpha) * g[i] ** 2;
        ref[i] -= (cfg.lr * g[i]) / (Math.sqrt(v[i]) + cfg.eps);
      }
    }
    const got = await p.data();
    expect(got[0]).toBeCloseTo(ref[0], 6);
    expect(got[1]).toBeCloseTo(ref[1], 6);
    expect(opt.step).toBe(3);
    opt.dispose();
    p.dispose();
  });

  it('does not leak tensors across steps', () => {
    const opt = new RmsProp({ lr: 1e-3, alpha: 0.9, eps: 1e-8 });
    const p = tf.variable(tf.ones([3, 3]));
    const g = tf.ones([3, 3]);
    opt.apply([p], [g]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.apply([p], [g]);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    p.dispose();
    g.dispose();
  });
});

describe('registerFastMatMulGradient', () => {
  it('gives the same gradients as tfjs for plain and transposed matMuls', async () => {
    const a = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const b = tf.tensor2d([[0.5, -1], [2, 0.25], [-3, 1]]);
    const w = tf.tensor2d([[1, -2], [0.5, 3]]);
    const loss = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D), w));
    const lossT = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, false, true), w));
    const bT = tf.transpose(b);
    const stock = tf.grads(loss)([a, b]);
    const stockT = tf.grads(lossT)([a, bT]);
    const stockValues = await Promise.all([...stock, ...stockT].map((t) => t.array()));
    registerFastMatMulGradient();
    registerFastMatMulGradient();
    const fast = tf.grads(loss)([a, b]);
    const fastT = tf.grads(lossT)([a, bT]);
    const fastValues = await Promise.all([...fast, ...fastT].map((t) => t.array()));
    expect(fastValues).toEqual(stockValues);
    // ∂L/∂a = W·bᵀ by hand for the first row: [1·0.5 − 2·(−1), 1·2 − 2·0.25, 1·(−3) − 2·1].
    expect((fastValues[0] as number[][])[0]).toEqual([2.5, 1.5, -5]);
  });
});
