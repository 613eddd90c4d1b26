import { describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { denseStack } from '../../models/architectures.js';
import { Network, initialValues } from '../../models/network.js';
import type { NetworkSpec } from '../../models/spec.js';
import { BatchSampler, drawIterationInputs } from '../../sampling.js';
import { MlpTrainer } from '../tfjs-manual/trainer.js';
import { TfjsTrainer } from '../tfjs-autodiff/trainer.js';
import type { Trainer } from '../../trainer.js';
import { device } from './gpu.test-helpers.js';
import { FusedMlpTrainer } from './trainer.js';

/**
 * The fused WebGPU path against the tfjs paths (autodiff reference and hand-written backward) on the
 * same WebGPU device, the same seed and the same inputs: statistics and weights after k iterations.
 * Runs on Mesa's llvmpipe where no GPU exists; skipped (with the reason printed) where WebGPU cannot start.
 */
const dz = 64;
const d = 48;
const gSpec: NetworkSpec = { role: 'generator', inputSize: dz, outputSize: d, layers: denseStack([dz, 24, 32, d], { type: 'leakyRelu', alpha: 0.2 }, { type: 'tanh' }), init: { scheme: 'torch-default' } };
const cSpec: NetworkSpec = { role: 'critic', inputSize: d, outputSize: 1, layers: denseStack([d, 32, 16, 1], { type: 'leakyRelu', alpha: 0.2 }, null), init: { scheme: 'torch-default' } };

describe.skipIf(!device)('fused WebGPU trainer vs the tfjs trainers (same device, same inputs)', () => {
  it.each(['gp', 'clip'] as const)('%s: 5 iterations agree in losses, statistics and weights', async (loss) => {
    const rng = Rng.fromSeed(31);
    const images = rng.fillUniform(new Float32Array(96 * d), -1, 1);
    const g0 = initialValues(gSpec, rng);
    const c0 = initialValues(cSpec, rng);
    // ε = 1e-3 keeps Adam/RMSprop from amplifying float32 noise in gradients that are exactly zero
    const opt = loss === 'gp' ? { type: 'adam' as const, lr: 1e-3, beta1: 0, beta2: 0.9, eps: 1e-3 } : { type: 'rmsprop' as const, lr: 1e-3, alpha: 0.99, eps: 1e-3 };
    const common = { images, imageCount: 96, loss, lambda: 10, clipValue: 0.05, nCritic: 5, batchSize: 16, latentDim: dz, optimizerG: opt, optimizerD: opt };
    const reference = { g: Network.fromValues(gSpec, g0), c: Network.fromValues(cSpec, c0) };
    const manual = { g: Network.fromValues(gSpec, g0), c: Network.fromValues(cSpec, c0) };
    const trainers: Record<string, Trainer> = {
      autodiff: new TfjsTrainer({ ...common, generator: reference.g, critic: reference.c, penalty: 'closed-form' }),
      manual: new MlpTrainer({ ...common, generator: manual.g, critic: manual.c }),
      fused: await FusedMlpTrainer.create({
        device: device!,
        generatorSpec: gSpec,
        criticSpec: cSpec,
        initial: { generator: g0, critic: c0, generatorOptimizer: { kind: opt.type, step: 0, slots: [] }, criticOptimizer: { kind: opt.type, step: 0, slots: [] } },
        trainImages: images,
        loss,
        lambda: 10,
        clipValue: 0.05,
        nCritic: 5,
        batchSize: 16,
        generatorOptimizer: opt,
        criticOptimizer: opt,
      }),
    };
    for (const t of Object.values(trainers)) {
      const r = Rng.fromSeed(5);
      const sampler = new BatchSampler(96, 16, 5);
      for (let i = 0; i < 5; i++) t.iteration(drawIterationInputs(r, sampler, { nCritic: 5, batchSize: 16, latentDim: dz }));
    }
    const stats = Object.fromEntries(await Promise.all(Object.entries(trainers).map(async ([k, t]) => [k, await t.readStats()] as const)));
    const states = Object.fromEntries(await Promise.all(Object.entries(trainers).map(async ([k, t]) => [k, await t.getState()] as const)));
    for (const other of ['manual', 'fused']) {
      stats.autodiff.forEach((s, i) => {
        for (const key of ['lossD', 'lossG', 'dReal', 'dFake', 'gp', 'gradNormMean', 'clipFraction'] as const) {
          const a = s[key];
          const b = stats[other][i][key];
          if (loss === 'clip' && (key === 'gp' || key === 'gradNormMean')) continue; // not applicable
          if (loss === 'gp' && key === 'clipFraction') continue;
          expect(Math.abs(a - b), `${other} ${key} at iteration ${i}: ${a} vs ${b}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(a)));
        }
      });
      for (const net of ['generator', 'critic'] as const) {
        for (const [name, ref] of states.autodiff[net]) {
          const v = states[other][net].get(name) as Float32Array;
          const maxDiff = ref.reduce((m, x, j) => Math.max(m, Math.abs(x - v[j])), 0);
          expect(maxDiff, `${other} ${net} ${name}`).toBeLessThan(5e-5);
        }
      }
    }
    for (const t of Object.values(trainers)) t.dispose();
  }, 120_000);
});
