import { gridPng } from '@wgan/core';
import type { DataSplit } from '@wgan/data-prep';
import { sampleGrid } from '@wgan/render';
import { gridLabels, type Network } from '@wgan/train';
import type { Classifier } from './classifier.js';
import { generate, gatherRows, type RowLabels } from './device.js';
import { featureStats } from './feature-stats.js';
import { frechetDistanceTo, frechetReference, type FrechetReference } from './formulas/frechet.js';
import { inceptionScore } from './formulas/inception.js';
import type { LoadedCheckpoint } from './run-folder.js';

/**
 * The class-conditional part of an evaluation (train --conditional: the generator takes [z | onehot(y)]).
 * For N samples per requested class k — fresh latents from the evaluation seed's "conditional-z" stream,
 * every class on its own latents — the classifier's label agreement (the fraction whose argmax is k), the
 * inception score and the Fréchet distance of the class's samples to the test images of class k, and the
 * same over all K·N samples (agreement overall, IS, FD to the whole test set); and a K × 10 grid whose
 * row k is class k.
 */

/** K of a conditional run (its checkpoint's config or meta), 0 for an unconditional one. */
export function runClasses(ckpt: Pick<LoadedCheckpoint, 'config' | 'meta'>): number {
  const config = ckpt.config as { conditional?: unknown; classes?: unknown };
  const meta = ckpt.meta as { conditional?: unknown; classes?: unknown };
  if (config.conditional !== true && meta.conditional !== true) return 0;
  const k = typeof config.classes === 'number' ? config.classes : meta.classes;
  return typeof k === 'number' ? k : 10;
}

/** Labels 0, 1, …, K − 1, 0, … for n rows (every class equally often), or null for an unconditional run. */
export function cyclicRowLabels(n: number, classes: number): RowLabels | null {
  return classes > 0 ? { labels: Int32Array.from({ length: n }, (_, i) => i % classes), classes } : null;
}

/** The labels of rows `indices` of a split (real images keep their own labels), or null for an unconditional run. */
export function splitRowLabels(split: DataSplit, indices: ArrayLike<number>, classes: number): RowLabels | null {
  return classes > 0
    ? { labels: Int32Array.from({ length: indices.length }, (_, i) => split.labels[indices[i]]), classes }
    : null;
}

export interface ConditionalScores {
  classes: number;
  samplesPerClass: number;
  /** The fraction of samples of requested class k that the classifier labels k: per class, and over all. */
  agreement: { overall: number; perClass: number[] };
  /** IS of each class's samples (near 1 for a generator that draws one confident class) and of all of them. */
  inceptionScore: { overall: number; perClass: number[] };
  /** FD of each class's samples to the test images of that class, and of all samples to the whole test set. */
  frechet: { overall: number; perClass: number[] };
  /** Test images per class (the per-class Fréchet references). */
  testCounts: number[];
}

/** argmax of each row of probs [n, K]. */
export function argmaxRows(probs: ArrayLike<number>, classes = 10): Int32Array {
  const n = probs.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probs[i * classes + k] > probs[i * classes + best]) best = k;
    out[i] = best;
  }
  return out;
}

/** The fraction of `predicted` equal to `requested`, per class and over all (each class has equally many). */
export function labelAgreement(
  predicted: ArrayLike<number>,
  requested: ArrayLike<number>,
  classes: number,
): { overall: number; perClass: number[] } {
  const hits = new Array<number>(classes).fill(0);
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < requested.length; i++) {
    counts[requested[i]] += 1;
    if (predicted[i] === requested[i]) hits[requested[i]] += 1;
  }
  return {
    overall: hits.reduce((a, b) => a + b, 0) / requested.length,
    perClass: hits.map((h, k) => (counts[k] ? h / counts[k] : NaN)),
  };
}

/** The scores of a conditional generator (see the module comment); `overallReference` is the whole test set's. */
export async function scoreConditional(o: {
  generator: Network;
  classifier: Classifier;
  test: DataSplit;
  overallReference: FrechetReference;
  classes: number;
  samplesPerClass: number;
  latentDim: number;
  latents: (seed: number, purpose: string, count: number) => Float32Array;
  seed: number;
}): Promise<ConditionalScores> {
  const { classes: K, samplesPerClass: N, latentDim } = o;
  const d = o.classifier.featureSize;
  // the test set's features by class: the per-class Fréchet references
  const t = await o.classifier.classify(o.test.images, o.test.count);
  const testFeatures = t.features as Float32Array;
  const rowsOf = (k: number) => Array.from(o.test.labels.keys()).filter((i) => o.test.labels[i] === k);
  const requested = Int32Array.from({ length: K * N }, (_, i) => Math.floor(i / N));
  const images = await generate(o.generator, o.latents(o.seed, 'conditional-z', K * N * latentDim), K * N, 1000, {
    labels: requested,
    classes: K,
  });
  const { probs, features: maybe } = await o.classifier.classify(images, K * N);
  const features = maybe as Float32Array;
  const agreement = labelAgreement(argmaxRows(probs), requested, K);
  const perClassIs: number[] = [];
  const perClassFd: number[] = [];
  const testCounts: number[] = [];
  for (let k = 0; k < K; k++) {
    perClassIs.push(inceptionScore(probs.subarray(k * N * 10, (k + 1) * N * 10)));
    const rows = rowsOf(k);
    testCounts.push(rows.length);
    const fake = await featureStats(features.subarray(k * N * d, (k + 1) * N * d), N, d);
    perClassFd.push(
      rows.length >= 2
        ? frechetDistanceTo(
            frechetReference(await featureStats(gatherRows(testFeatures, rows, d), rows.length, d)),
            fake,
          )
        : NaN,
    );
  }
  const all = await featureStats(features, K * N, d);
  return {
    classes: K,
    samplesPerClass: N,
    agreement,
    inceptionScore: { overall: inceptionScore(probs), perClass: perClassIs },
    frechet: { overall: frechetDistanceTo(o.overallReference, all), perClass: perClassFd },
    testCounts,
  };
}

/** The 10-column grid whose row k is class k (K rows), as a PNG through render's sampleGrid. */
export async function conditionalGrid(o: {
  generator: Network;
  classes: number;
  latentDim: number;
  latents: (seed: number, purpose: string, count: number) => Float32Array;
  seed: number;
}): Promise<{ png: Buffer; images: Float32Array; labels: Int32Array }> {
  const cols = 10;
  const rows = o.classes;
  const labels = gridLabels(rows, cols, o.classes);
  const images = await generate(
    o.generator,
    o.latents(o.seed, 'conditional-grid', rows * cols * o.latentDim),
    rows * cols,
    1000,
    { labels, classes: o.classes },
  );
  // render's sampleGrid lays out a side × side square: K = 10 is the 10 × 10 grid; other K, K rows of 10
  const png =
    rows === cols
      ? await sampleGrid(images, cols, { scale: 2 })
      : await gridPng(images, rows * cols, { cols, scale: 2 });
  return { png, images, labels };
}
