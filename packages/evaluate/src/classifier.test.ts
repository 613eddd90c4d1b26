import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import { loadDataset, type Dataset } from '@wgan/data-prep';
import {
  classifierSchema,
  classifierSpec,
  loadClassifier,
  toClassifierInput,
  trainClassifier,
  writeClassifierArtifact,
} from './classifier.js';
import { writeSyntheticDataset } from './fixtures.test-helpers.js';

let root: string;
let data: Dataset;

beforeAll(async () => {
  await initBackend('cpu', { quiet: true });
  root = await mkdtemp(join(tmpdir(), 'classifier-'));
  data = await loadDataset(await writeSyntheticDataset(root, 300, 100));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const tiny = (overrides: Record<string, unknown> = {}) =>
  classifierSchema.parse({ epochs: 10, batchSize: 32, hidden: 16, backend: 'cpu', ...overrides });

describe('classifierSpec', () => {
  it('is the seed-002 MLP 784 → 512 → 512 → 10 with ReLU and dropout 0.2', () => {
    const spec = classifierSpec();
    expect(spec.layers.map((l) => l.type)).toEqual(['dense', 'relu', 'dropout', 'dense', 'relu', 'dropout', 'dense']);
    expect(
      spec.layers.filter((l) => l.type === 'dense').map((l) => (l.type === 'dense' ? [l.inputs, l.units] : [])),
    ).toEqual([
      [784, 512],
      [512, 512],
      [512, 10],
    ]);
    expect(spec.layers.filter((l) => l.type === 'dropout').map((l) => (l.type === 'dropout' ? l.rate : 0))).toEqual([
      0.2, 0.2,
    ]);
  });

  it('feeds the classifier (x + 1) / 2 in [0, 1]', async () => {
    expect(Array.from(await toClassifierInput(tf.tensor1d([-1, 0, 1])).data())).toEqual([0, 0.5, 1]);
  });
});

describe('trainClassifier on tiny synthetic data', () => {
  it('learns the classes, lowers its loss, and is reproducible from its seed', async () => {
    const a = await trainClassifier(data.train, data.test, tiny());
    expect(a.history).toHaveLength(10);
    expect(a.history[0].steps).toBe(Math.ceil(300 / 32)); // the last, shorter batch is kept
    expect(a.history[9].trainLoss).toBeLessThan(a.history[0].trainLoss / 2);
    expect(a.testAccuracy).toBeGreaterThan(0.9);
    const b = await trainClassifier(data.train, data.test, tiny());
    expect(b.values.get('6.kernel')).toEqual(a.values.get('6.kernel'));
    const c = await trainClassifier(data.train, data.test, tiny({ seed: 3 }));
    expect(c.values.get('6.kernel')).not.toEqual(a.values.get('6.kernel'));
    [a, b, c].forEach((t) => t.classifier.dispose());
  });

  it('stops after maxSteps', async () => {
    const t = await trainClassifier(data.train, data.test, tiny({ maxSteps: 5 }));
    expect(t.steps).toBe(5);
    expect(t.epochs).toBe(1);
    t.classifier.dispose();
  });

  it('gives softmax probabilities and penultimate features that match a manual forward pass', async () => {
    const t = await trainClassifier(data.train, data.test, tiny({ epochs: 1, dropout: 0.2 }));
    const n = 7;
    const images = data.test.images.subarray(0, n * 784);
    const { probs, features } = await t.classifier.classify(images, n, { batchSize: 3 });
    const manual = tf.tidy(() => {
      const x = tf.div(tf.add(tf.tensor2d(images, [n, 784]), 1), 2);
      const w = (k: string, shape: number[]) => tf.tensor(t.values.get(k)!, shape);
      const h1 = tf.relu(tf.add(tf.matMul(x, w('0.kernel', [784, 16]) as tf.Tensor2D), w('0.bias', [16])));
      const h2 = tf.relu(
        tf.add(tf.matMul(h1 as tf.Tensor2D, w('3.kernel', [16, 16]) as tf.Tensor2D), w('3.bias', [16])),
      );
      return [
        h2,
        tf.softmax(tf.add(tf.matMul(h2 as tf.Tensor2D, w('6.kernel', [16, 10]) as tf.Tensor2D), w('6.bias', [10]))),
      ];
    });
    const [h2, p] = await Promise.all(manual.map((m) => m.data()));
    Array.from(features!).forEach((v, i) => expect(v).toBeCloseTo(h2[i], 5));
    Array.from(probs).forEach((v, i) => expect(v).toBeCloseTo(p[i], 6));
    for (let i = 0; i < n; i++)
      expect(probs.subarray(i * 10, (i + 1) * 10).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    t.classifier.dispose();
  });

  it('round-trips through its artifact', async () => {
    const t = await trainClassifier(data.train, data.test, tiny({ epochs: 2 }));
    const dir = join(root, 'classifier');
    await writeClassifierArtifact(
      dir,
      t,
      tiny({ epochs: 2 }),
      {
        dataset: 'mnist',
        testAccuracy: t.testAccuracy,
        meetsTarget: true,
        minTestAccuracy: 0.98,
        epochs: 2,
        steps: t.steps,
        seconds: t.seconds,
        secondsPerEpoch: t.seconds / 2,
        backend: 'cpu',
      },
      data.artifact,
    );
    const loaded = await loadClassifier(dir);
    expect(loaded.meta.testAccuracy).toBe(t.testAccuracy);
    expect(loaded.artifact.manifest.parents[0].stage).toBe('data-prep');
    expect(await loaded.classifier.accuracy(data.test)).toBe(t.testAccuracy);
    const images = data.test.images.subarray(0, 5 * 784);
    expect((await loaded.classifier.classify(images, 5)).probs).toEqual((await t.classifier.classify(images, 5)).probs);
    loaded.classifier.dispose();
    t.classifier.dispose();
  });
});

const mnistDir = join(workspaceRoot(), 'artifacts', 'data', 'mnist');

describe.skipIf(!existsSync(join(mnistDir, 'manifest.json')))(
  'trainClassifier on real MNIST (needs artifacts/data/mnist)',
  () => {
    it('passes 85 % test accuracy after 100 batches of 128 on wasm', async () => {
      await initBackend('wasm', { quiet: true });
      const mnist = await loadDataset(mnistDir);
      const t = await trainClassifier(mnist.train, mnist.test, classifierSchema.parse({ maxSteps: 100 }));
      expect(t.steps).toBe(100);
      expect(t.testAccuracy).toBeGreaterThan(0.85);
      t.classifier.dispose();
    });
  },
);
