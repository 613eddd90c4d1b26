import { isAbsolute } from 'node:path';
import { artifactPath, PipelineError, Rng } from '@wgan/core';
import { loadDataset } from '@wgan/data-prep';
import { readCheckpoint } from './checkpoint.js';
import { currentBackend } from '@wgan/core/backend';
import { createGanTrainer, stepSettings } from './factory.js';
import { Network } from './models/network.js';
import { paramSpecs } from './models/spec.js';
import { BatchSampler, drawIterationInputs } from './sampling.js';
import { TfjsAutodiffTrainer } from './trainers/tfjs-autodiff/trainer.js';
import type { IterationStats, Trainer } from './trainer.js';

/**
 * E4 (seed 000): exactly n_critic critic updates followed by one generator update on a copy of a
 * checkpoint — its weights and both optimisers' state — with the run's step settings, on one batch
 * sequence drawn from `seed`. The trainer is built by the factory from the checkpoint's config, so the
 * cycle runs on the run's own implementation (tfjs-autodiff where that one cannot start here, e.g. a
 * webgpu-fused run evaluated without a GPU; `implementation` says which ran). Returns L̄_D (and each critic
 * step's L_D where the trainer reports them: tfjs-autodiff), L_G, and the trainable parameters before and
 * after (same order: paramSpecs, kernel then bias per layer). Nothing is written; the checkpoint is not
 * touched.
 */
export interface OneCycle {
  implementation: string;
  nCritic: number;
  /** L̄_D, the mean of the n_critic critic losses. */
  lossDMean: number;
  /** Each critic step's L_D, where the implementation reports them one by one. */
  lossD?: number[];
  lossG: number;
  before: { critic: Float32Array[]; generator: Float32Array[] };
  after: { critic: Float32Array[]; generator: Float32Array[] };
}

export async function runOneCycle(checkpointDir: string, options: { seed: number }): Promise<OneCycle> {
  const ckpt = await readCheckpoint(checkpointDir);
  const config = ckpt.config;
  if (config.model === 'vae')
    throw new PipelineError(
      'E4 (one cycle of n_critic critic updates and one generator ' +
        "update) is defined for GAN runs; this checkpoint is a VAE's",
      checkpointDir,
      'skip E4 for VAE runs (evaluate does)',
    );
  const data = await loadDataset(runDataDir(config.data), ['train']);
  const generator = Network.fromValues(ckpt.specs.generator, ckpt.trainer.generator, 'cycle-generator');
  const critic = Network.fromValues(ckpt.specs.critic, ckpt.trainer.critic, 'cycle-critic');
  const request = {
    settings: stepSettings(config),
    implementation: config.implementation,
    penalty: config.penalty,
    threads: config.threads,
    onnxOptimizer: config.onnxOptimizer,
    generator,
    critic,
    images: data.train.images,
    imageCount: data.train.count,
    latentDim: config.latentDim,
    backend: currentBackend()?.name ?? 'wasm',
  };
  let trainer: Trainer<IterationStats>;
  try {
    trainer = await createGanTrainer(request);
  } catch (e) {
    if (!(e instanceof PipelineError) || request.implementation === 'tfjs-autodiff') throw e;
    trainer = await createGanTrainer({ ...request, implementation: 'tfjs-autodiff' });
  }
  try {
    await trainer.setState(ckpt.trainer);
    const trainable = (values: Map<string, Float32Array>, spec: typeof ckpt.specs.critic) =>
      paramSpecs(spec)
        .filter((p) => p.trainable)
        .map((p) => values.get(p.name) as Float32Array);
    const before = {
      critic: trainable(ckpt.trainer.critic, ckpt.specs.critic),
      generator: trainable(ckpt.trainer.generator, ckpt.specs.generator),
    };
    const inputs = drawIterationInputs(
      Rng.fromSeed(options.seed),
      new BatchSampler(data.train.count, config.batchSize, options.seed),
      config,
    );
    let result: Pick<OneCycle, 'lossD' | 'lossDMean' | 'lossG'>;
    if (trainer instanceof TfjsAutodiffTrainer) {
      const { lossD, lossG } = await trainer.cycle(inputs);
      result = { lossD, lossDMean: lossD.reduce((a, b) => a + b, 0) / lossD.length, lossG };
    } else {
      trainer.iteration(inputs);
      const [stats] = await trainer.readStats();
      result = { lossDMean: stats.lossD, lossG: stats.lossG };
    }
    const state = await trainer.getState();
    const after = {
      critic: trainable(state.critic, ckpt.specs.critic),
      generator: trainable(state.generator, ckpt.specs.generator),
    };
    return { implementation: trainer.implementation, nCritic: config.nCritic, ...result, before, after };
  } finally {
    trainer.dispose();
    generator.dispose();
    critic.dispose();
  }
}

/** A run's data folder: a relative one lies in the artifacts root (as train resolved it), an absolute one stands. */
export function runDataDir(data: string): string {
  return isAbsolute(data) ? data : artifactPath(data, '--data');
}
