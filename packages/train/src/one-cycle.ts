import { resolve } from 'node:path';
import { PipelineError, Rng, workspaceRoot } from '@wgan/core';
import { loadDataset } from '@wgan/data-prep';
import { readCheckpoint } from './checkpoint.js';
import { ganLoss } from './factory.js';
import { Network } from './models/network.js';
import { paramSpecs } from './models/spec.js';
import { supportsClosedForm } from './trainers/tfjs/penalty.js';
import { BatchSampler, drawIterationInputs } from './sampling.js';
import { TfjsTrainer } from './trainers/tfjs-autodiff/trainer.js';

/**
 * E4 (seed 000): exactly n_critic critic updates followed by one generator update on a copy of a
 * checkpoint — its weights and both optimisers' state — with the run's hyper-parameters, on one batch
 * sequence drawn from `seed`. Returns each critic step's L_D and the trainable parameters before and
 * after (same order: paramSpecs, kernel then bias per layer). Nothing is written; the checkpoint is not
 * touched. Uses the autodiff reference trainer on the current tfjs backend.
 */
export interface OneCycle {
  lossD: number[];
  lossG: number;
  before: { critic: Float32Array[]; generator: Float32Array[] };
  after: { critic: Float32Array[]; generator: Float32Array[] };
}

export async function runOneCycle(checkpointDir: string, options: { seed: number }): Promise<OneCycle> {
  const ckpt = await readCheckpoint(checkpointDir);
  const config = ckpt.config;
  if (config.model === 'vae') throw new PipelineError('E4 (one cycle of n_critic critic updates and one generator update) is defined for GAN runs; this checkpoint is a VAE\'s', checkpointDir, 'skip E4 for VAE runs (evaluate does)');
  const data = await loadDataset(resolve(workspaceRoot(), config.data), ['train']);
  const generator = Network.fromValues(ckpt.specs.generator, ckpt.trainer.generator, 'cycle-generator');
  const critic = Network.fromValues(ckpt.specs.critic, ckpt.trainer.critic, 'cycle-critic');
  const trainer = new TfjsTrainer({
    generator,
    critic,
    images: data.train.images,
    imageCount: data.train.count,
    loss: ganLoss(config.loss),
    lambda: config.lambda,
    clipValue: config.clipValue,
    nCritic: config.nCritic,
    batchSize: config.batchSize,
    latentDim: config.latentDim,
    penalty: supportsClosedForm(critic) ? 'closed-form' : 'autodiff',
    optimizerG: config.optimizerG,
    optimizerD: config.optimizerD,
  });
  try {
    await trainer.setState(ckpt.trainer);
    const trainable = (values: Map<string, Float32Array>, spec: typeof ckpt.specs.critic) => paramSpecs(spec).filter((p) => p.trainable).map((p) => values.get(p.name) as Float32Array);
    const before = { critic: trainable(ckpt.trainer.critic, ckpt.specs.critic), generator: trainable(ckpt.trainer.generator, ckpt.specs.generator) };
    const inputs = drawIterationInputs(Rng.fromSeed(options.seed), new BatchSampler(data.train.count, config.batchSize, options.seed), config);
    const { lossD, lossG } = await trainer.cycle(inputs);
    const state = await trainer.getState();
    const after = { critic: trainable(state.critic, ckpt.specs.critic), generator: trainable(state.generator, ckpt.specs.generator) };
    return { lossD, lossG, before, after };
  } finally {
    trainer.dispose();
    generator.dispose();
    critic.dispose();
  }
}
