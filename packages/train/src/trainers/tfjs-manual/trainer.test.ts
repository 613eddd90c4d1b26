import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { denseStack } from '../../models/architectures.js';
import { Network } from '../../models/network.js';
import type { NetworkSpec } from '../../models/spec.js';
import { BatchSampler, drawIterationInputs } from '../../sampling.js';
import { TfjsAutodiffTrainer } from '../tfjs-autodiff/trainer.js';
import { TfjsManualTrainer, supportsManualMlp } from './trainer.js';
import type { Trainer } from '../../trainer.js';

/**
 * The hand-written backward (TfjsManualTrainer) against the autodiff reference (TfjsAutodiffTrainer), step for step.
 */
beforeAll(async () => {
  await initBackend('wasm');
});

const dz = 64;
const d = 20;
const gSpec = (hidden: number[]): NetworkSpec => ({
  role: 'generator',
  inputSize: dz,
  outputSize: d,
  layers: denseStack([dz, ...hidden, d], { type: 'leakyRelu', alpha: 0.2 }, { type: 'tanh' }),
  init: { scheme: 'torch-default' },
});
const dSpec = (hidden: number[]): NetworkSpec => ({
  role: 'critic',
  inputSize: d,
  outputSize: 1,
  layers: denseStack([d, ...hidden, 1], { type: 'leakyRelu', alpha: 0.2 }, null),
  init: { scheme: 'torch-default' },
});

async function parity(loss: 'gp' | 'clip', gHidden: number[], dHidden: number[]) {
  const rng = Rng.fromSeed(77);
  const images = rng.fillUniform(new Float32Array(40 * d), -1, 1);
  const g0 = await Network.create(gSpec(gHidden), rng).readValues();
  const d0 = await Network.create(dSpec(dHidden), rng).readValues();
  // ε = 1e-3 damps Adam's/RMSprop's amplification of gradients that are zero up to float32 noise (a hidden
  // unit's bias can get ~1e-9), which would otherwise move weights by ±lr at random in either trainer.
  const opt =
    loss === 'gp'
      ? { type: 'adam' as const, lr: 1e-3, beta1: 0.5, beta2: 0.9, eps: 1e-3 }
      : { type: 'rmsprop' as const, lr: 1e-3, alpha: 0.99, eps: 1e-3 };
  const make = (kind: 'auto' | 'manual'): { trainer: Trainer; g: Network; c: Network } => {
    const g = Network.fromValues(gSpec(gHidden), g0);
    const c = Network.fromValues(dSpec(dHidden), d0);
    const o = {
      generator: g,
      critic: c,
      images,
      imageCount: 40,
      loss,
      lambda: 10,
      clipValue: 0.05,
      nCritic: 5,
      batchSize: 8,
      latentDim: dz,
      optimizerG: opt,
      optimizerD: opt,
    };
    return {
      trainer: kind === 'auto' ? new TfjsAutodiffTrainer({ ...o, penalty: 'closed-form' }) : new TfjsManualTrainer(o),
      g,
      c,
    };
  };
  const a = make('auto');
  const b = make('manual');
  const sa = new BatchSampler(40, 8, 3);
  const sb = new BatchSampler(40, 8, 3);
  const ra = Rng.fromSeed(9);
  const rb = Rng.fromSeed(9);
  for (let i = 0; i < 4; i++) {
    a.trainer.iteration(drawIterationInputs(ra, sa, { nCritic: 5, batchSize: 8, latentDim: dz }));
    b.trainer.iteration(drawIterationInputs(rb, sb, { nCritic: 5, batchSize: 8, latentDim: dz }));
  }
  const statsA = await a.trainer.readStats();
  const statsB = await b.trainer.readStats();
  statsA.forEach((s, i) => {
    for (const [k, v] of Object.entries(s)) {
      const w = (statsB[i] as unknown as Record<string, number>)[k];
      if (Number.isNaN(v)) expect(Number.isNaN(w), k).toBe(true);
      else expect(Math.abs(w - v), `${k} at iteration ${i}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(v)));
    }
  });
  for (const [netA, netB] of [
    [a.g, b.g],
    [a.c, b.c],
  ]) {
    const va = await netA.readValues();
    const vb = await netB.readValues();
    for (const [name, x] of va) {
      const y = vb.get(name) as Float32Array;
      const maxDiff = x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
      expect(maxDiff, name).toBeLessThan(2e-5);
    }
  }
  a.trainer.dispose();
  b.trainer.dispose();
}

describe('TfjsManualTrainer (hand-written backward) vs TfjsAutodiffTrainer (autodiff)', () => {
  it('applies to dense LeakyReLU chains only', () => {
    const rng = Rng.fromSeed(1);
    expect(supportsManualMlp(Network.create(gSpec([16]), rng), Network.create(dSpec([16]), rng))).toBe(true);
    const sigmoidCritic: NetworkSpec = { ...dSpec([16]), layers: [...dSpec([16]).layers, { type: 'sigmoid' }] };
    expect(supportsManualMlp(Network.create(gSpec([16]), rng), Network.create(sigmoidCritic, rng))).toBe(false);
  });

  it('agrees over 4 iterations of WGAN-GP with a 3-hidden-layer critic', () => parity('gp', [16, 24], [16, 12, 8]));
  it('agrees over 4 iterations of WGAN-GP with a 1-hidden-layer critic', () => parity('gp', [16], [12]));
  it('agrees over 4 iterations of weight clipping', () => parity('clip', [16, 24], [16, 12]));
});
