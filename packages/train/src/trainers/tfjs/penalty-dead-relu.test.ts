import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import { rowNorms } from '../../losses.js';
import { Network } from '../../models/network.js';
import type { NetworkSpec } from '../../models/spec.js';
import { TfjsManualTrainer } from '../tfjs-manual/trainer.js';
import { TfjsAutodiffTrainer } from '../tfjs-autodiff/trainer.js';

/**
 * A ReLU critic that is dead on an interpolate has ∇ₓD = 0 there exactly. PyTorch's norm backward gives
 * the penalty no gradient from such a row; the plain sqrt(Σg²) gives 0·∞ = NaN in every weight.
 */
beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

describe('the gradient penalty at ‖∇D‖ = 0', () => {
  it('rowNorms: value ‖g_i‖, gradient g_i/‖g_i‖, and 0 for a zero row', () => {
    const g = tf.tensor2d([
      [3, 4],
      [0, 0],
    ]);
    const [value, grad] = tf.tidy(() => [
      rowNorms(g),
      tf.grad((x: tf.Tensor) => tf.sum(rowNorms(x as tf.Tensor2D)))(g),
    ]);
    expect([...value.dataSync()]).toEqual([5, 0]);
    const d = [...grad.dataSync()];
    expect(d[0]).toBeCloseTo(0.6, 6);
    expect(d[1]).toBeCloseTo(0.8, 6);
    expect(d.slice(2)).toEqual([0, 0]);
    tf.dispose([g, value, grad]);
  });

  // G(z) = (−5, 0) for every z (zero kernel, bias (−5, 0)); real data at x₁ = −1; the critic's hidden units
  // are h = relu(x₁·(1, 1, 1)), dead for every x₁ < 0: ∇ₓD = 0 on every real, fake and interpolated point.
  const gSpec: NetworkSpec = {
    role: 'generator',
    inputSize: 2,
    outputSize: 2,
    layers: [{ type: 'dense', inputs: 2, units: 2 }],
    init: { scheme: 'normal', std: 1 },
  };
  const dSpec: NetworkSpec = {
    role: 'critic',
    inputSize: 2,
    outputSize: 1,
    layers: [{ type: 'dense', inputs: 2, units: 3 }, { type: 'relu' }, { type: 'dense', inputs: 3, units: 1 }],
    init: { scheme: 'normal', std: 1 },
  };
  const build = () => ({
    generator: Network.fromValues(
      gSpec,
      new Map([
        ['0.kernel', new Float32Array(4)],
        ['0.bias', Float32Array.from([-5, 0])],
      ]),
    ),
    critic: Network.fromValues(
      dSpec,
      new Map([
        ['0.kernel', Float32Array.from([1, 1, 1, 0, 0, 0])],
        ['0.bias', new Float32Array(3)],
        ['2.kernel', Float32Array.from([1, -1, 0.5])],
        ['2.bias', new Float32Array(1)],
      ]),
    ),
  });
  const images = Float32Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? -1 : (i - 8) / 8));
  const adam = { type: 'adam' as const, lr: 1e-3, beta1: 0.5, beta2: 0.9, eps: 1e-8 };
  const inputs = () => {
    const rng = Rng.fromSeed(1);
    return {
      indices: [Uint32Array.from([0, 1, 2, 3])],
      zCritic: [rng.fillNormal(new Float32Array(8))],
      eps: [rng.fillUniform(new Float32Array(4))],
      zGen: rng.fillNormal(new Float32Array(8)),
    };
  };

  for (const make of ['tfjs-manual', 'tfjs-autodiff closed-form', 'tfjs-autodiff autodiff'] as const) {
    it(`${make}: the critic step stays finite and the penalty is λ·(0 − 1)² = λ`, async () => {
      const { generator, critic } = build();
      const common = {
        generator,
        critic,
        images,
        imageCount: 8,
        loss: 'gp' as const,
        lambda: 10,
        clipValue: 0.01,
        nCritic: 1,
        batchSize: 4,
        latentDim: 2,
        optimizerG: adam,
        optimizerD: adam,
      };
      const trainer =
        make === 'tfjs-manual'
          ? new TfjsManualTrainer(common)
          : new TfjsAutodiffTrainer({ ...common, penalty: make.endsWith('closed-form') ? 'closed-form' : 'autodiff' });
      trainer.iteration(inputs());
      const [stats] = await trainer.readStats();
      expect(stats.gp).toBeCloseTo(10, 5);
      expect(stats.gradNormMean).toBe(0);
      for (const v of [...critic.trainable(), ...generator.trainable()])
        for (const w of (await v.data()) as Float32Array) expect(Number.isFinite(w)).toBe(true);
      trainer.dispose();
      generator.dispose();
      critic.dispose();
    });
  }
});
