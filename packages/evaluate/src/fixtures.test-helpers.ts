import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng, writeFloat32 } from '@wgan/core';
import {
  DATASETS,
  encodeIdx,
  IMAGE_MAGIC,
  LABEL_MAGIC,
  PIXELS,
  prepareDataset,
  dataPrepSchema,
  loadDataset,
} from '@wgan/data-prep';
import {
  checkpointName,
  GAN_RUNNING_FIELDS,
  Network,
  OPTIMIZER_DEFAULTS,
  readNetwork,
  trainSchema,
  writeCheckpoint,
  type NetworkSpec,
  type OptimizerState,
  type TrainConfig,
} from '@wgan/train';
import { classifierSchema, trainClassifier, writeClassifierArtifact } from './classifier.js';
import { generate } from './device.js';

/**
 * Synthetic inputs for evaluate's tests, built with the real writers of data-prep and train (its
 * checkpoint writer, its config schema): a 10-class MNIST-shaped dataset (class k = a bright 6×6 block at a position of
 * its
 * own, plus noise), a small classifier trained on it, and a run folder of random-weight networks.
 */
export async function writeSyntheticDataset(root: string, trainCount = 400, testCount = 200): Promise<string> {
  const rng = Rng.fromSeed(7);
  const make = (n: number) => {
    const pixels = new Uint8Array(n * PIXELS);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const k = i % 10;
      labels[i] = k;
      const top = 2 + 8 * Math.floor(k / 3);
      const left = 2 + 8 * (k % 3);
      for (let p = 0; p < PIXELS; p++) pixels[i * PIXELS + p] = rng.below(40);
      for (let y = top; y < top + 6; y++)
        for (let x = left; x < left + 6; x++) pixels[i * PIXELS + y * 28 + x] = 200 + rng.below(56);
    }
    return { pixels, labels };
  };
  const train = make(trainCount);
  const test = make(testCount);
  const source = join(root, 'idx');
  await mkdir(source, { recursive: true });
  await writeFile(join(source, 'train-images-idx3-ubyte'), encodeIdx(IMAGE_MAGIC, [trainCount, 28, 28], train.pixels));
  await writeFile(join(source, 'train-labels-idx1-ubyte'), encodeIdx(LABEL_MAGIC, [trainCount], train.labels));
  await writeFile(join(source, 't10k-images-idx3-ubyte'), encodeIdx(IMAGE_MAGIC, [testCount, 28, 28], test.pixels));
  await writeFile(join(source, 't10k-labels-idx1-ubyte'), encodeIdx(LABEL_MAGIC, [testCount], test.labels));
  const spec = {
    ...DATASETS.mnist,
    files: DATASETS.mnist.files.map((f) => ({
      ...f,
      count: f.split === 'train' ? trainCount : testCount,
      idxSha256: null,
    })),
    mirrors: [],
  };
  const out = join(root, 'data', 'mnist');
  await prepareDataset(dataPrepSchema.parse({ source, out, shardSize: 1000 }), { spec });
  return out;
}

/** A small classifier (hidden 16) trained for a few epochs on the synthetic data. */
export async function writeSyntheticClassifier(root: string, dataDir: string): Promise<string> {
  const data = await loadDataset(dataDir);
  const config = classifierSchema.parse({
    data: dataDir,
    epochs: 15,
    batchSize: 32,
    hidden: 16,
    dropout: 0,
    backend: 'cpu',
    minTestAccuracy: 0.9,
  });
  const trained = await trainClassifier(data.train, data.test, config);
  const dir = join(root, 'classifier', 'mnist');
  await writeClassifierArtifact(
    dir,
    trained,
    config,
    {
      dataset: 'mnist',
      testAccuracy: trained.testAccuracy,
      meetsTarget: trained.testAccuracy >= 0.9,
      minTestAccuracy: 0.9,
      epochs: trained.epochs,
      steps: trained.steps,
      seconds: trained.seconds,
      secondsPerEpoch: trained.seconds / trained.epochs,
      backend: 'cpu',
    },
    data.artifact,
  );
  trained.classifier.dispose();
  return dir;
}

export const LATENT = 8;

export function tinyGenerator(latentDim = LATENT): NetworkSpec {
  return {
    role: 'generator',
    inputSize: latentDim,
    outputSize: 784,
    layers: [
      { type: 'dense', inputs: latentDim, units: 32 },
      { type: 'leakyRelu', alpha: 0.2 },
      { type: 'dense', inputs: 32, units: 784 },
      { type: 'tanh' },
    ],
    init: { scheme: 'torch-default' },
  };
}

export function tinyCritic(): NetworkSpec {
  return {
    role: 'critic',
    inputSize: 784,
    outputSize: 1,
    layers: [
      { type: 'dense', inputs: 784, units: 32 },
      { type: 'leakyRelu', alpha: 0.2 },
      { type: 'dense', inputs: 32, units: 1 },
    ],
    init: { scheme: 'torch-default' },
  };
}

export interface RunFixture {
  runDir: string;
  iterations: number[];
  snapshots: Map<number, Float32Array>;
}

/**
 * A run folder as train writes it: checkpoints/<8 digits>/ written by train's writeCheckpoint (a config
 * parsed with train's schema, fresh optimiser state, random-weight networks: one set of weights per
 * checkpoint), checkpoints/latest, and snapshots/iter-<8 digits>.f32 of G(z_fixed).
 * `clip`: a weight-clipping run whose critic weights are clipped to ±0.01. `omitConfig`: keys left out of
 * the saved config, as a checkpoint written before train had them.
 */
export async function writeSyntheticRun(
  root: string,
  dataDir: string,
  options: {
    iterations?: number[];
    loss?: 'gp' | 'clip' | 'bce';
    name?: string;
    noise?: 'normal' | 'uniform';
    omitConfig?: (keyof TrainConfig)[];
  } = {},
): Promise<RunFixture> {
  const iterations = options.iterations ?? [0, 500, 1000];
  const loss = options.loss ?? 'gp';
  const runDir = join(root, 'runs', options.name ?? 'synthetic');
  const rng = Rng.fromSeed(11);
  const zFixed = rng.fillNormal(new Float32Array(64 * LATENT));
  await mkdir(join(runDir, 'snapshots'), { recursive: true });
  await writeFloat32(join(runDir, 'z_fixed.f32'), zFixed);
  const snapshots = new Map<number, Float32Array>();
  const parsed = trainSchema.parse({
    name: 'synthetic',
    data: dataDir,
    model: 'mlp',
    loss,
    lambda: 10,
    clipValue: 0.01,
    batchSize: 16,
    nCritic: loss === 'bce' ? 1 : 5,
    seed: 42,
    iterations: iterations[iterations.length - 1],
    latentDim: LATENT,
    generatorHidden: [32],
    criticHidden: [32],
    noise: options.noise ?? 'normal',
    ...OPTIMIZER_DEFAULTS[loss],
  });
  const omitted = new Set<string>(options.omitConfig ?? []);
  // an older checkpoint's config, without the omitted keys (the writer saves the config as given)
  const config = Object.fromEntries(Object.entries(parsed).filter(([k]) => !omitted.has(k))) as TrainConfig;
  const optimizer = (o: TrainConfig['optimizerG']): OptimizerState => ({ kind: o.type, step: 0, slots: [] });
  for (const iteration of iterations) {
    const generator = Network.create(tinyGenerator(), rng, 'fixture-g');
    const critic = Network.create(tinyCritic(), rng, 'fixture-d');
    const gValues = await generator.readValues();
    const dValues = await critic.readValues();
    if (loss === 'clip')
      for (const [name, v] of dValues)
        dValues.set(
          name,
          v.map((w) => Math.max(-0.01, Math.min(0.01, w * 20))),
        );
    const snapshot = await generate(generator, zFixed, 64);
    snapshots.set(iteration, snapshot);
    await writeFloat32(join(runDir, 'snapshots', `iter-${checkpointName(iteration)}.f32`), snapshot);
    await writeCheckpoint(runDir, {
      config,
      state: {
        iteration,
        sampler: { epoch: iteration / 25, batch: 0 },
        rng: rng.getState(),
        running: { sums: Object.fromEntries(GAN_RUNNING_FIELDS.map((f) => [f, 0])), count: 0, epoch: iteration / 25 },
        elapsedMs: 0,
        backend: 'cpu',
        implementation: 'tfjs-autodiff',
      },
      specs: { generator: generator.spec, critic: critic.spec },
      trainer: {
        generator: gValues,
        critic: dValues,
        generatorOptimizer: optimizer(parsed.optimizerG),
        criticOptimizer: optimizer(parsed.optimizerD),
      },
      parents: [],
    });
    generator.dispose();
    critic.dispose();
  }
  return { runDir, iterations, snapshots };
}

/** The critic weights of a checkpoint, as written. */
export async function checkpointCritic(runDir: string, iteration: number): Promise<Map<string, Float32Array>> {
  return (await readNetwork(join(runDir, 'checkpoints', checkpointName(iteration)), 'critic')).values;
}
