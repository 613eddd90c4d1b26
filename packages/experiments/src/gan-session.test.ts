import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import { TfjsManualTrainer, TfjsAutodiffTrainer } from '@wgan/train';
import { GanSession, type GanSessionOptions } from './gan-session.js';
import { ringSpecs } from './ring.js';
import { sampleRing } from './ring-data.js';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

const adam = { type: 'adam' as const, lr: 1e-3, beta1: 0.5, beta2: 0.9, eps: 1e-8 };
const data = sampleRing(256, Rng.fromSeed(1));
const options = (o: Partial<GanSessionOptions> = {}): GanSessionOptions => ({
  ...ringSpecs({ latentDim: 2, hidden: [16, 8] }),
  data,
  loss: 'clip',
  clipValue: 0.05,
  nCritic: 5,
  batchSize: 32,
  optimizerG: adam,
  optimizerD: adam,
  seed: 1,
  ...o,
});

describe("GanSession: the experiments on train's GAN step", () => {
  it('uses the hand-written dense trainer for WGANs and the autodiff one for the BCE GAN', async () => {
    const wgan = await GanSession.create(options());
    const gan = await GanSession.create(options({ loss: 'bce-saturating' }));
    expect(wgan.trainer).toBeInstanceOf(TfjsManualTrainer);
    expect(gan.trainer).toBeInstanceOf(TfjsAutodiffTrainer);
    wgan.dispose();
    gan.dispose();
  });

  it('clips every critic parameter to ±c, reports one stats record per iteration, and counts iterations', async () => {
    const s = await GanSession.create(options());
    const seen: number[] = [];
    await s.train(7, {
      readEvery: 3,
      onStats: (i, st) => {
        seen.push(i);
        expect(Number.isFinite(st.lossD) && Number.isFinite(st.lossG)).toBe(true);
      },
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(s.iterations).toBe(7);
    for (const v of s.critic.trainable())
      for (const w of (await v.data()) as Float32Array) expect(Math.abs(w)).toBeLessThanOrEqual(0.05 + 1e-7);
    s.dispose();
  });

  it('is reproducible from its seed, samples from a fixed z, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const run = async () => {
      const s = await GanSession.create(options({ loss: 'gp', lambda: 1 }));
      await s.train(5);
      const a = await s.sample(10);
      const b = await s.sample(10);
      s.dispose();
      return { a, b };
    };
    const first = await run();
    const second = await run();
    expect(first.a).toHaveLength(20);
    expect(first.a).toEqual(first.b); // the same z each call (snapshots follow one set of latents)
    expect(second.a).toEqual(first.a);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('walks the data in stored order when asked (seed 004)', async () => {
    const s = await GanSession.create(options({ shuffle: false }));
    expect([...s.sampler.next()].slice(0, 4)).toEqual([0, 1, 2, 3]);
    s.dispose();
  });

  it('refuses a generator whose output does not fit the critic', async () => {
    const specs = ringSpecs({ latentDim: 2, hidden: [4] });
    await expect(
      GanSession.create(
        options({ generator: { ...specs.generator, outputSize: 3, layers: [{ type: 'dense', inputs: 2, units: 3 }] } }),
      ),
    ).rejects.toThrow(/generator writes 3 values, the critic reads 2/);
  });
});
