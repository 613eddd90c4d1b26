import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, writeArtifact, writeFileAtomic, type Artifact } from '@wgan/core';
import { initialValues, seed001Generator, writeNetwork, type NetworkSpec } from '@wgan/train';
import { CHECKPOINT_STAGE, checkpointName } from './checkpoint.js';
import { exportSchema } from './config.js';
import { exportCheckpoint } from './export.js';

/**
 * Test fixtures (used by export's and serve's tests, and by anyone who needs a checkpoint without a
 * training run): train-checkpoint artifacts in train's format, with freshly initialised weights.
 */
export interface TestCheckpointOptions {
  iteration?: number;
  generator: NetworkSpec;
  critic?: NetworkSpec;
  /** Seed of the weights (PyTorch-default init drawn from Rng). */
  seed?: number;
  /** Replaces parameter values after init (e.g. non-trivial BatchNorm running statistics). */
  perturb?: (name: string, values: Float32Array, rng: Rng) => void;
  /** Point checkpoints/latest at it (default true). */
  latest?: boolean;
  /** Extra train-config fields for the manifest (e.g. { noise: 'uniform' }). */
  config?: Record<string, unknown>;
  /** A conditional checkpoint with K classes: the generator's input is d_z + K wide (train --conditional). */
  classes?: number;
}

/** Writes `<runDir>/checkpoints/<8-digit iteration>/` as train does, and `checkpoints/latest`. */
export async function writeTestCheckpoint(runDir: string, options: TestCheckpointOptions): Promise<Artifact> {
  const iteration = options.iteration ?? 1000;
  const rng = Rng.fromSeed(options.seed ?? 1);
  const name = checkpointName(iteration);
  const dir = join(runDir, 'checkpoints', name);
  const nets: [string, NetworkSpec][] = [
    ['generator', options.generator],
    ...(options.critic ? [['critic', options.critic] as [string, NetworkSpec]] : []),
  ];
  const classes = options.classes ?? 0;
  const latentDim = options.generator.inputSize - classes;
  const conditional = classes > 0 ? { conditional: true, classes } : {};
  const artifact = await writeArtifact(
    dir,
    {
      stage: CHECKPOINT_STAGE,
      packageVersion: '0.1.0',
      config: { model: 'test', latentDim, ...conditional, ...options.config },
      meta: {
        iteration,
        epoch: 1,
        model: 'test',
        loss: 'wgan-gp',
        latentDim,
        ...conditional,
        backend: 'cpu',
      },
    },
    async (tmp) => {
      for (const [base, spec] of nets) {
        const values = initialValues(spec, rng);
        if (options.perturb) for (const [k, v] of values) options.perturb(k, v, rng);
        await writeNetwork(tmp, base, spec, values);
      }
    },
  );
  if (options.latest ?? true) await writeFileAtomic(join(runDir, 'checkpoints', 'latest'), `${name}\n`);
  return artifact;
}

/**
 * An export artifact of a freshly initialised seed-001 generator, made the way the pipeline makes one
 * (a train-format checkpoint in a temp folder, then exportCheckpoint; parity on 16 samples to keep it
 * quick). For the tests of stages that consume exports (serve, evaluate) without importing train.
 */
export async function exportTestModel(
  options: { latentDim?: number; iteration?: number; seed?: number; classes?: number } = {},
): Promise<{ root: string; modelDir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'wgan-export-fixture-'));
  const runDir = join(root, 'runs', 'fixture');
  const iteration = options.iteration ?? 1234;
  await writeTestCheckpoint(runDir, {
    iteration,
    generator: seed001Generator((options.latentDim ?? 100) + (options.classes ?? 0)),
    seed: options.seed ?? 5,
    classes: options.classes,
  });
  const out = join(root, 'export', 'fixture', checkpointName(iteration));
  await exportCheckpoint(exportSchema.parse({ run: 'fixture', runDir, out, paritySamples: 16 }));
  return { root, modelDir: out };
}

/**
 * Non-trivial BatchNorm statistics for tests: running mean ~ N(0, 0.5²), running variance ~ U[0.5, 2),
 * γ ~ U[0.5, 1.5), β ~ N(0, 0.1²) (fresh init has 0, 1, 1, 0, which would hide a missing normalisation).
 */
export function perturbBatchNorm(name: string, v: Float32Array, rng: Rng): void {
  if (name.endsWith('.movingMean')) rng.fillNormal(v, 0, 0.5);
  else if (name.endsWith('.movingVariance')) rng.fillUniform(v, 0.5, 2);
  else if (name.endsWith('.gamma')) rng.fillUniform(v, 0.5, 1.5);
  else if (name.endsWith('.beta')) rng.fillNormal(v, 0, 0.1);
}

/**
 * A small DCGAN-style generator: z → dense 7·7·16 → reshape [7, 7, 16] → batchNorm → relu →
 * convTranspose2d(16→8, k4 s2 p1) [14, 14, 8] → batchNorm → relu → convTranspose2d(8→1, k4 s2 p1)
 * [28, 28, 1] → tanh. Every conv-path layer type export must handle, at a size the cpu backend runs fast.
 */
export function smallConvGenerator(latentDim: number): NetworkSpec {
  return {
    role: 'generator',
    inputSize: latentDim,
    outputSize: 784,
    layers: [
      { type: 'dense', inputs: latentDim, units: 7 * 7 * 16 },
      { type: 'reshape', shape: [7, 7, 16] },
      { type: 'batchNorm', features: 16, epsilon: 1e-5, momentum: 0.1 },
      { type: 'relu' },
      { type: 'convTranspose2d', inChannels: 16, filters: 8, kernel: 4, stride: 2, padding: 1 },
      { type: 'batchNorm', features: 8, epsilon: 1e-5, momentum: 0.1 },
      { type: 'relu' },
      { type: 'convTranspose2d', inChannels: 8, filters: 1, kernel: 4, stride: 2, padding: 1 },
      { type: 'tanh' },
    ],
    init: { scheme: 'torch-default' },
  };
}

/**
 * A small conv critic: [28, 28, 1] → conv2d(1→8, k5 valid) [24, 24, 8] → leakyRelu → maxPool 2
 * [12, 12, 8] → conv2d(8→16, k3 s2 same: 0 rows of padding before, 1 after) [6, 6, 16] → leakyRelu →
 * dropout → flatten [576] → dense 32 → batchNorm → sigmoid → dense 1.
 */
export function smallConvCritic(): NetworkSpec {
  return {
    role: 'critic',
    inputSize: 784,
    outputSize: 1,
    layers: [
      { type: 'reshape', shape: [28, 28, 1] },
      { type: 'conv2d', inChannels: 1, filters: 8, kernel: 5, stride: 1, padding: 'valid' },
      { type: 'leakyRelu', alpha: 0.2 },
      { type: 'maxPool2d', size: 2, stride: 2 },
      { type: 'conv2d', inChannels: 8, filters: 16, kernel: 3, stride: 2, padding: 'same' },
      { type: 'leakyRelu', alpha: 0.2 },
      { type: 'dropout', rate: 0.3 },
      { type: 'flatten' },
      { type: 'dense', inputs: 576, units: 32 },
      { type: 'batchNorm', features: 32, epsilon: 1e-3, momentum: 0.1 },
      { type: 'sigmoid' },
      { type: 'dense', inputs: 32, units: 1 },
    ],
    init: { scheme: 'torch-default' },
  };
}

/**
 * Weights at trained scale for tests: every dense / conv kernel and bias multiplied by `factor` (trained
 * GAN weights grow well past their initialisation; ×3 on the seed-001 generator brings max |onnx − tfjs|
 * to 8e-6, near the 1.2e-5 of a 20,000-iteration run), after non-trivial BatchNorm statistics.
 */
export function trainedScale(factor: number): (name: string, v: Float32Array, rng: Rng) => void {
  return (name, v, rng) => {
    perturbBatchNorm(name, v, rng);
    if (name.endsWith('.kernel') || name.endsWith('.bias')) for (let i = 0; i < v.length; i++) v[i] *= factor;
  };
}
