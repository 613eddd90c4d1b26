/** Test helpers for train and the stages after it: a tiny data artifact and a tiny-model config. */
import { join } from 'node:path';
import { dataPrepSchema, prepareDataset } from '@wgan/data-prep';
import { makeFixture, writeFixture } from '@wgan/data-prep/testing';
import { resolveTrainConfig, type TrainConfig } from '../config.js';
import type { NetworkSpec } from '../models/spec.js';

/** Writes a data-prep artifact of `count` synthetic 28×28 images under `root`/data/tiny; returns its path. */
export async function makeTinyData(root: string, count = 128): Promise<string> {
  const fx = makeFixture(count, 16);
  await writeFixture(join(root, 'idx'), fx);
  const out = join(root, 'data', 'tiny');
  await prepareDataset({ ...dataPrepSchema.parse({}), source: join(root, 'idx'), out }, { spec: fx.spec });
  return out;
}

/** The settings of a tiny WGAN (G 64→8→784, D 784→8→1, B = 8), as a user would write them in a config file. */
export function tinySettings(data: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    data,
    latentDim: 64,
    generatorHidden: [8],
    criticHidden: [8],
    batchSize: 8,
    iterations: 30,
    backend: 'wasm',
    logEvery: 5,
    snapshotEvery: 0,
    checkpointEvery: 10,
    milestones: [0],
    diagnosticsSamples: 16,
    fixedSamples: 4,
    ...overrides,
  };
}

/** A config for a tiny WGAN (G 64→8→784, D 784→8→1, B = 8) on `data`. */
export function tinyConfig(data: string, overrides: Record<string, unknown> = {}): TrainConfig {
  return resolveTrainConfig({ overrides: { name: 'tiny', ...tinySettings(data, overrides) } });
}

/**
 * The DCGAN discriminator's layer pattern at toy width (tests of conv critics): conv 2 5×5 → LeakyReLU 0.01
 * → maxpool 2 → conv 3 5×5 → LeakyReLU → maxpool 2 → flatten [48] → (dense `hidden` → LeakyReLU →) dense 1.
 */
export function tinyDcganCritic(hidden?: number): NetworkSpec {
  const head: NetworkSpec['layers'] = hidden
    ? [
        { type: 'dense', inputs: 48, units: hidden },
        { type: 'leakyRelu', alpha: 0.01 },
        { type: 'dense', inputs: hidden, units: 1 },
      ]
    : [{ type: 'dense', inputs: 48, units: 1 }];
  return {
    role: 'critic',
    inputSize: 784,
    outputSize: 1,
    layers: [
      { type: 'reshape', shape: [28, 28, 1] },
      { type: 'conv2d', inChannels: 1, filters: 2, kernel: 5, stride: 1, padding: 'valid' },
      { type: 'leakyRelu', alpha: 0.01 },
      { type: 'maxPool2d', size: 2, stride: 2 },
      { type: 'conv2d', inChannels: 2, filters: 3, kernel: 5, stride: 1, padding: 'valid' },
      { type: 'leakyRelu', alpha: 0.01 },
      { type: 'maxPool2d', size: 2, stride: 2 },
      { type: 'flatten' },
      ...head,
    ],
    init: { scheme: 'torch-default' },
  };
}
