import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsRoot, MANIFEST_FILE, type Logger } from '@wgan/core';
import { dataPrepSchema, datasetId, loadDataset, prepareDataset, type Dataset } from '@wgan/data-prep';

/**
 * The MNIST digit subsets of seed 004 (`get_mnist_subset(dataset, digits)`), as data-prep artifacts:
 * `artifacts/data/mnist-digits-3`, `artifacts/data/mnist-digits-0-3`. Made by data-prep's own
 * `prepareDataset` (from the verified MNIST files) the first time they are needed, then read back with
 * their checksums verified.
 */
export function digitSubsetDir(digits: number[]): string {
  return join(artifactsRoot(), 'data', datasetId('mnist', normalizeDigits(digits)));
}

export function normalizeDigits(digits: number[]): number[] {
  return [...new Set(digits)].sort((a, b) => a - b);
}

export async function loadDigitSubset(digits: number[], options: { logger?: Logger } = {}): Promise<Dataset> {
  const sorted = normalizeDigits(digits);
  const dir = digitSubsetDir(sorted);
  if (!existsSync(join(dir, MANIFEST_FILE))) {
    options.logger?.info('preparing the digit subset with data-prep', { digits: sorted.join(','), dir });
    await prepareDataset(dataPrepSchema.parse({ dataset: 'mnist', digits: sorted, out: dir }), {
      logger: options.logger,
    });
  }
  return loadDataset(dir);
}

/** All of MNIST (`artifacts/data/mnist`, data-prep's default artifact; made the same way when absent). */
export async function loadMnist(options: { logger?: Logger } = {}): Promise<Dataset> {
  const dir = join(artifactsRoot(), 'data', 'mnist');
  if (!existsSync(join(dir, MANIFEST_FILE))) {
    options.logger?.info('preparing MNIST with data-prep', { dir });
    await prepareDataset(dataPrepSchema.parse({ dataset: 'mnist' }), { logger: options.logger });
  }
  return loadDataset(dir);
}

/** Images x ∈ [−1, 1] (the pipeline's scale) → [0, 1] (seed 004 trains on `mnist_dataset.data / 255`). */
export function toUnitRange(images: Float32Array): Float32Array {
  return images.map((x) => (x + 1) / 2);
}

/**
 * [0, 1] → [−1, 1] (for the grids and the classifier, which read the pipeline's scale); clamps the generator's linear
 * output.
 */
export function toSignedRange(images: Float32Array): Float32Array {
  return images.map((x) => 2 * Math.min(1, Math.max(0, x)) - 1);
}
