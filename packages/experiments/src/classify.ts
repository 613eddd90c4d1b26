import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  artifactPaths,
  epochPermutation,
  MANIFEST_FILE,
  PipelineError,
  readArtifact,
  Rng,
  type Logger,
} from '@wgan/core';
import { tf } from '@wgan/core/backend';
import type { DataSplit } from '@wgan/data-prep';
import { createOptimizer, Network, readNetwork, useFastMatMulGradients, type NetworkSpec } from '@wgan/train';

/**
 * The digit classifier behind the mode histogram. Preferred: the evaluate stage's cached MNIST
 * classifier (`artifacts/classifier/mnist/`, an MLP 784 → 512 → 512 → 10 written with train's
 * writeNetwork, inputs (x + 1)/2). When that artifact is absent, a small ten-class MLP is trained here on
 * all of MNIST in a few seconds. Ten classes, not just the subset's digits: a classifier that knows only
 * 0 and 3 must call every sample a 0 or a 3 — noise included (measured: a collapsed GAN's noise came out
 * "100% threes" at ≥ 0.9 confidence) — while a ten-class one shows such samples as other digits or as
 * unsure. The result JSON says which classifier was used and its accuracy on the subset's test images.
 */
export interface DigitClassifier {
  kind: 'cached' | 'fallback';
  /** The digit each output unit stands for. */
  digits: number[];
  /** Where it came from (artifact folder, or how it was trained). */
  source: string;
  /** Predicted digit and softmax confidence per image; images [count, 784] in [−1, 1]. */
  classify(images: Float32Array, count: number): Promise<{ digits: Uint8Array; confidence: Float32Array }>;
  dispose(): void;
}

export const CLASSIFIER_STAGE = 'classifier';
export const CLASSIFIER_FILE = 'classifier';

/** The classifiers' input: x ∈ [−1, 1] → (x + 1)/2 ∈ [0, 1] (as the evaluate stage's classifier reads it). */
function input(images: Float32Array, start: number, n: number, pixels: number): tf.Tensor2D {
  return tf.tidy(() =>
    tf.div(tf.add(tf.tensor2d(images.subarray(start * pixels, (start + n) * pixels), [n, pixels]), 1), 2),
  ) as tf.Tensor2D;
}

function wrap(kind: DigitClassifier['kind'], net: Network, digits: number[], source: string): DigitClassifier {
  const pixels = net.spec.inputSize;
  return {
    kind,
    digits,
    source,
    async classify(images, count) {
      const out = { digits: new Uint8Array(count), confidence: new Float32Array(count) };
      for (let start = 0; start < count; start += 1000) {
        const n = Math.min(1000, count - start);
        const probs = tf.tidy(() => tf.softmax(net.apply(input(images, start, n, pixels))));
        const p = (await probs.data()) as Float32Array;
        probs.dispose();
        const k = digits.length;
        for (let i = 0; i < n; i++) {
          let best = 0;
          for (let j = 1; j < k; j++) if (p[i * k + j] > p[i * k + best]) best = j;
          out.digits[start + i] = digits[best];
          out.confidence[start + i] = p[i * k + best];
        }
      }
      return out;
    },
    dispose: () => net.dispose(),
  };
}

/** Share of `split` the classifier labels correctly. */
export async function accuracyOn(c: DigitClassifier, split: DataSplit): Promise<number> {
  const { digits } = await c.classify(split.images, split.count);
  let right = 0;
  for (let i = 0; i < split.count; i++) if (digits[i] === split.labels[i]) right++;
  return right / split.count;
}

/** The evaluate stage's classifier, when its artifact is present (and verifies); null otherwise. */
export async function loadCachedClassifier(dir = artifactPaths.classifier('mnist')): Promise<DigitClassifier | null> {
  if (!existsSync(join(dir, MANIFEST_FILE))) return null;
  await readArtifact(dir, { stage: CLASSIFIER_STAGE, remake: 'npx nx run evaluate:classifier' });
  const { spec, values } = await readNetwork(dir, CLASSIFIER_FILE);
  return wrap(
    'cached',
    Network.fromValues(spec, values, 'mnist-classifier'),
    Array.from({ length: spec.outputSize }, (_, i) => i),
    dir,
  );
}

export interface FallbackTraining {
  hidden: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

export const FALLBACK_TRAINING: FallbackTraining = { hidden: 128, epochs: 2, batchSize: 128, lr: 1e-3, seed: 7 };

/**
 * A small classifier: 784 → hidden (ReLU) → |digits|, softmax cross-entropy, train's PyTorch-exact Adam
 * (lr 1e-3), a couple of epochs over `train` (whose labels must all be among `digits`).
 */
export async function trainFallbackClassifier(
  train: DataSplit,
  digits: number[],
  o: FallbackTraining = FALLBACK_TRAINING,
): Promise<DigitClassifier> {
  useFastMatMulGradients(); // wasm's fast matmul path for the backward products (TFJS-NOTES.md)
  const pixels = train.images.length / train.count;
  const spec: NetworkSpec = {
    role: 'classifier',
    inputSize: pixels,
    outputSize: digits.length,
    layers: [
      { type: 'dense', inputs: pixels, units: o.hidden },
      { type: 'relu' },
      { type: 'dense', inputs: o.hidden, units: digits.length },
    ],
    init: { scheme: 'torch-default' },
  };
  const net = Network.create(spec, Rng.fromSeed(o.seed), 'subset-classifier');
  const optimizer = createOptimizer({ type: 'adam', lr: o.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const params = net.trainableNames().map((name) => ({ name, variable: net.get(name) }));
  const classOf = new Map(digits.map((d, i) => [d, i]));
  const batches = Math.floor(train.count / o.batchSize);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = epochPermutation(o.seed, epoch, train.count);
    for (let b = 0; b < batches; b++) {
      const rows = order.subarray(b * o.batchSize, (b + 1) * o.batchSize);
      const x = new Float32Array(o.batchSize * pixels);
      const y = new Int32Array(o.batchSize);
      rows.forEach((r, i) => {
        x.set(train.images.subarray(r * pixels, (r + 1) * pixels), i * pixels);
        y[i] = classOf.get(train.labels[r]) ?? -1;
      });
      if (y.some((v) => v < 0)) throw new RangeError(`the training split holds digits outside ${digits.join(', ')}`);
      const xs = input(x, 0, o.batchSize, pixels);
      const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(y, 'int32'), digits.length));
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(ys, net.apply(xs)) as tf.Scalar,
        net.trainable(),
      );
      optimizer.apply(
        params,
        params.map((p) => grads[p.variable.name]),
      );
      tf.dispose([xs, ys, value, ...Object.values(grads)]);
    }
  }
  optimizer.dispose();
  return wrap(
    'fallback',
    net,
    digits,
    `trained here: 784 → ${o.hidden} → ${digits.length} MLP, Adam lr ` +
      `${o.lr}, ${o.epochs} epochs over ${train.count} MNIST training images`,
  );
}

/**
 * The cached classifier when present (mode 'auto' or 'cached'); else (mode 'auto' or 'fallback') a small
 * ten-class one trained on `mnist()` — all of MNIST's training images.
 */
export async function digitClassifier(
  mode: 'auto' | 'cached' | 'fallback',
  mnist: () => Promise<DataSplit>,
  logger?: Logger,
): Promise<DigitClassifier> {
  if (mode !== 'fallback') {
    const cached = await loadCachedClassifier();
    if (cached) {
      logger?.info("classifier: the evaluate stage's cached MNIST classifier", { dir: cached.source });
      return cached;
    }
    if (mode === 'cached')
      throw new PipelineError(
        'no cached MNIST classifier',
        artifactPaths.classifier('mnist'),
        'run `npx nx run evaluate:classifier` first, or use --classifier auto',
      );
  }
  const t0 = performance.now();
  const fallback = await trainFallbackClassifier(
    await mnist(),
    Array.from({ length: 10 }, (_, i) => i),
  );
  logger?.info('classifier: trained a small ten-class one on MNIST (no cached classifier)', {
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  });
  return fallback;
}
