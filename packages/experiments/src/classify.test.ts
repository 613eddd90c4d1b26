import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, writeArtifact } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import type { DataSplit } from '@wgan/data-prep';
import { writeNetwork, type NetworkSpec } from '@wgan/train';
import {
  accuracyOn,
  CLASSIFIER_FILE,
  CLASSIFIER_STAGE,
  digitClassifier,
  loadCachedClassifier,
  trainFallbackClassifier,
} from './classify.js';

/**
 * Synthetic "digits" that a classifier must tell apart: class 0 lights the top half of the 28×28 image,
 * class 3 the bottom half, both with noise; pixels in [−1, 1] like the pipeline's images.
 */
function synthetic(count: number, seed: number): DataSplit {
  const rng = Rng.fromSeed(seed);
  const images = new Float32Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2 === 0 ? 0 : 3;
    for (let p = 0; p < 784; p++) {
      const top = p < 392;
      const lit = labels[i] === 0 ? top : !top;
      images[i * 784 + p] = Math.max(-1, Math.min(1, (lit ? 0.6 : -0.8) + 0.3 * rng.normal()));
    }
  }
  return { count, images, labels };
}

let root: string;
beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
  root = await mkdtemp(join(tmpdir(), 'experiments-classify-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the fallback classifier (trained here when no cached one exists)', () => {
  it('learns separable classes and answers with its digits and a confidence', async () => {
    const before = tf.memory().numTensors;
    const c = await trainFallbackClassifier(synthetic(512, 1), [0, 3], {
      hidden: 8,
      epochs: 5,
      batchSize: 32,
      lr: 1e-3,
      seed: 3,
    });
    expect(c.kind).toBe('fallback');
    expect(await accuracyOn(c, synthetic(200, 2))).toBeGreaterThan(0.95);
    const test = synthetic(10, 4);
    const { digits, confidence } = await c.classify(test.images, 10);
    expect([...digits]).toEqual([...test.labels]);
    for (const p of confidence) expect(p).toBeGreaterThanOrEqual(0.5);
    c.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a training split with digits it was not told about', async () => {
    await expect(
      trainFallbackClassifier(synthetic(64, 1), [0, 1], { hidden: 4, epochs: 1, batchSize: 32, lr: 1e-3, seed: 1 }),
    ).rejects.toThrow(/digits outside 0, 1/);
  });

  it('is trained (over ten digits) in auto mode without a cached classifier; cached mode refuses to go on', async () => {
    const saved = process.env.WGAN_ARTIFACTS;
    process.env.WGAN_ARTIFACTS = join(root, 'nothing-here');
    try {
      let asked = 0;
      const mnist = async () => {
        asked++;
        const s = synthetic(64, 1);
        return { ...s, labels: s.labels.map((_, i) => i % 10) };
      };
      const c = await digitClassifier('auto', mnist);
      expect(asked).toBe(1);
      expect(c.kind).toBe('fallback');
      expect(c.digits).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      c.dispose();
      await expect(digitClassifier('cached', mnist)).rejects.toThrow(/no cached MNIST classifier/);
    } finally {
      if (saved === undefined) delete process.env.WGAN_ARTIFACTS;
      else process.env.WGAN_ARTIFACTS = saved;
    }
  });
});

describe("the cached classifier hook (the evaluate stage's artifact)", () => {
  it('loads a verified classifier artifact and applies it to (x + 1)/2', async () => {
    // a 784 → 10 "classifier" whose logit k is 10·(mean of the top half) for k = 0 and 10·(mean of the bottom half) for
    // k = 3
    const spec: NetworkSpec = {
      role: 'classifier',
      inputSize: 784,
      outputSize: 10,
      layers: [{ type: 'dense', inputs: 784, units: 10 }],
      init: { scheme: 'torch-default' },
    };
    const kernel = new Float32Array(784 * 10);
    for (let p = 0; p < 784; p++) kernel[p * 10 + (p < 392 ? 0 : 3)] = 10 / 392;
    const dir = join(root, 'classifier', 'mnist');
    await writeArtifact(dir, { stage: CLASSIFIER_STAGE, packageVersion: 'test', config: {} }, async (tmp) => {
      await writeNetwork(
        tmp,
        CLASSIFIER_FILE,
        spec,
        new Map([
          ['0.kernel', kernel],
          ['0.bias', new Float32Array(10)],
        ]),
      );
    });
    const c = await loadCachedClassifier(dir);
    if (!c) throw new Error('the cached classifier was not found');
    expect(c.kind).toBe('cached');
    expect(c.digits).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await accuracyOn(c, synthetic(100, 5))).toBe(1);
    c.dispose();
    expect(await loadCachedClassifier(join(root, 'absent'))).toBeNull();
    const saved = process.env.WGAN_ARTIFACTS;
    process.env.WGAN_ARTIFACTS = root; // artifacts/classifier/mnist is the default place
    try {
      const auto = await digitClassifier('auto', async () => {
        throw new Error('MNIST must not be needed when the cached classifier is there');
      });
      expect(auto.kind).toBe('cached');
      auto.dispose();
    } finally {
      if (saved === undefined) delete process.env.WGAN_ARTIFACTS;
      else process.env.WGAN_ARTIFACTS = saved;
    }
  });
});
