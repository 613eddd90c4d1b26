/** Test helpers for train and the stages after it: a tiny data artifact and a tiny-model config. */
import { join } from 'node:path';
import { dataPrepSchema, prepareDataset } from '@wgan/data-prep';
import { makeFixture, writeFixture } from '@wgan/data-prep/testing';
import { resolveTrainConfig, type TrainConfig } from './config.js';

/** Writes a data-prep artifact of `count` synthetic 28×28 images under `root`/data/tiny; returns its path. */
export async function makeTinyData(root: string, count = 128): Promise<string> {
  const fx = makeFixture(count, 16);
  await writeFixture(join(root, 'idx'), fx);
  const out = join(root, 'data', 'tiny');
  await prepareDataset({ ...dataPrepSchema.parse({}), source: join(root, 'idx'), out }, { spec: fx.spec });
  return out;
}

/** A config for a tiny WGAN (G 64→8→784, D 784→8→1, B = 8) on `data`. */
export function tinyConfig(data: string, overrides: Record<string, unknown> = {}): TrainConfig {
  return resolveTrainConfig({
    overrides: {
      name: 'tiny', data, latentDim: 64, generatorHidden: [8], criticHidden: [8], batchSize: 8, iterations: 30, backend: 'wasm',
      logEvery: 5, snapshotEvery: 0, checkpointEvery: 10, milestones: [0], diagnosticsSamples: 16, fixedSamples: 4, ...overrides,
    },
  });
}
