import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PipelineError, readFloat32, writeFloat32, type Rng } from '@wgan/core';
import { webgpuDevice, type BackendName } from '@wgan/core/backend';
import type { Checkpoint } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { dcganDiscriminator, dcganGenerator, seed001Critic, seed001Generator, seed002Discriminator, seed002Generator } from './models/architectures.js';
import { isWasserstein, type GanLoss } from './losses.js';
import { seed002Decoder, seed002Encoder } from './vae/architectures.js';
import { createVaeTrainer } from './vae/create.js';
import { Network } from './models/network.js';
import type { NetworkSpec } from './models/spec.js';
import { drawLatents } from './sampling.js';
import { TfjsTrainer } from './trainers/tfjs-autodiff/trainer.js';
import { MlpTrainer, supportsManualMlp } from './trainers/tfjs-manual/trainer.js';
import { FusedMlpTrainer } from './trainers/webgpu-fused/trainer.js';
import type { Trainer, TrainerState } from './trainer.js';

/**
 * The networks a config asks for. The second network is saved as "critic" in checkpoints whatever the
 * loss; its spec's role says what it is: a `critic` (WGAN losses: a raw score) or a `discriminator`
 * (bce, lsgan: a logit, or a score for least squares; no sigmoid layer — the losses take logits).
 */
export function modelSpecs(config: Pick<TrainConfig, 'model' | 'latentDim' | 'generatorHidden' | 'criticHidden'> & { loss?: TrainConfig['loss'] }): { generator: NetworkSpec; critic: NetworkSpec } {
  const role = !config.loss || config.loss === 'elbo' || isWasserstein(config.loss) ? 'critic' : 'discriminator';
  switch (config.model) {
    case 'mlp':
      return { generator: seed001Generator(config.latentDim, config.generatorHidden), critic: { ...seed001Critic(config.criticHidden), role } };
    case 'gan-mlp':
      return { generator: seed002Generator(config.latentDim, config.generatorHidden), critic: seed002Discriminator(config.criticHidden, role) };
    case 'dcgan':
      return { generator: dcganGenerator(config.latentDim), critic: dcganDiscriminator(role) };
    case 'vae':
      // seed 002's VAE: the decoder in the generator's place, the encoder in the critic's
      return { generator: seed002Decoder(config.latentDim, config.generatorHidden), critic: seed002Encoder(config.latentDim, config.criticHidden) };
  }
}

/**
 * The two networks and z_fixed: fresh ones drawn from `rng` (generator, then critic, then z_fixed,
 * which is written to the run folder once), or the checkpoint's.
 */
export async function buildModels(config: TrainConfig, rng: Rng, runDir: string, checkpoint: Checkpoint | null) {
  const zFile = join(runDir, 'z_fixed.f32');
  if (checkpoint) {
    if (!existsSync(zFile)) throw new PipelineError('z_fixed.f32 is missing from the run folder', zFile, 'the run folder is damaged: start over with --fresh');
    const specs = checkpoint.specs;
    return {
      specs,
      generator: Network.fromValues(specs.generator, checkpoint.trainer.generator),
      critic: Network.fromValues(specs.critic, checkpoint.trainer.critic),
      zFixed: await readFloat32(zFile, config.fixedSamples * config.latentDim),
    };
  }
  const specs = modelSpecs(config);
  const generator = Network.create(specs.generator, rng);
  const critic = Network.create(specs.critic, rng);
  const zFixed = drawLatents(rng, config.fixedSamples, config.latentDim, config.noise);
  await writeFloat32(zFile, zFixed);
  return { specs, generator, critic, zFixed };
}

/** The training implementation for this config and backend. */
export async function createTrainer(
  config: TrainConfig,
  o: { generator: Network; critic: Network; images: Float32Array; imageCount: number; backend: BackendName },
): Promise<Trainer> {
  if (config.model === 'vae') return createVaeTrainer(config, o);
  const loss = ganLoss(config.loss);
  const common = {
    generator: o.generator,
    critic: o.critic,
    images: o.images,
    imageCount: o.imageCount,
    loss,
    lambda: config.lambda,
    clipValue: config.clipValue,
    nCritic: config.nCritic,
    batchSize: config.batchSize,
    latentDim: config.latentDim,
    optimizerG: config.optimizerG,
    optimizerD: config.optimizerD,
  };
  const wgan = config.loss === 'gp' || config.loss === 'clip';
  const manualApplies = wgan && supportsManualMlp(o.generator, o.critic);
  const wganLoss = config.loss as 'gp' | 'clip';
  // the fused and onnx trainers start from the networks' values and fresh optimiser state
  const initialState = async (): Promise<TrainerState> => ({
    generator: await o.generator.readValues(),
    critic: await o.critic.readValues(),
    generatorOptimizer: { kind: config.optimizerG.type, step: 0, slots: [] },
    criticOptimizer: { kind: config.optimizerD.type, step: 0, slots: [] },
  });
  const fused = async () => {
    const gpu = webgpuDevice();
    if (o.backend !== 'webgpu' || !gpu) throw new PipelineError('webgpu-fused needs the webgpu backend', 'implementation', 'add --backend webgpu (on a machine with a GPU), or use --implementation auto');
    return FusedMlpTrainer.create({
      device: gpu.device,
      generatorSpec: o.generator.spec,
      criticSpec: o.critic.spec,
      initial: await initialState(),
      trainImages: o.images,
      loss: wganLoss,
      lambda: config.lambda,
      clipValue: config.clipValue,
      nCritic: config.nCritic,
      batchSize: config.batchSize,
      generatorOptimizer: config.optimizerG,
      criticOptimizer: config.optimizerD,
    });
  };
  const onnx = async () =>
    (await import('./trainers/onnx-cpu/trainer.js')).OnnxTrainer.create({
      generatorSpec: o.generator.spec,
      criticSpec: o.critic.spec,
      initial: await initialState(),
      images: o.images,
      imageCount: o.imageCount,
      loss: wganLoss,
      lambda: config.lambda,
      clipValue: config.clipValue,
      nCritic: config.nCritic,
      batchSize: config.batchSize,
      optimizerG: config.optimizerG,
      optimizerD: config.optimizerD,
      threads: config.threads,
    });
  switch (config.implementation) {
    case 'onnx-cpu':
      if (!manualApplies) throw new PipelineError('onnx-cpu needs a WGAN loss (gp, clip) and dense-chain networks with LeakyReLU/ReLU hidden layers', 'implementation', 'use --implementation tfjs-autodiff (or auto)');
      return onnx();
    case 'tfjs-autodiff':
      return new TfjsTrainer({ ...common, penalty: config.penalty });
    case 'tfjs-manual':
      if (!manualApplies) throw new PipelineError('tfjs-manual needs a WGAN loss (gp, clip) and dense-chain networks with LeakyReLU/ReLU hidden layers', 'implementation', 'use --implementation tfjs-autodiff (or auto)');
      return new MlpTrainer({ ...common, loss: wganLoss });
    case 'webgpu-fused':
      if (!manualApplies) throw new PipelineError('webgpu-fused needs a WGAN loss (gp, clip) and dense-chain networks with LeakyReLU/ReLU hidden layers', 'implementation', 'use --implementation auto');
      return fused();
    case 'auto':
      // dense WGANs: the fused kernels on a real GPU, onnxruntime on a CPU (the hand-written tfjs step where
      // onnxruntime cannot load); autodiff for everything else
      if (!manualApplies) return new TfjsTrainer({ ...common, penalty: config.penalty });
      if (o.backend === 'webgpu' && webgpuDevice() && !webgpuDevice()!.software) return fused();
      try {
        return await onnx();
      } catch (e) {
        if (e instanceof PipelineError) throw e;
        return new MlpTrainer({ ...common, loss: wganLoss });
      }
  }
}

/** The config's loss as a GAN loss (every model but the VAE); `elbo` is refused by resolveTrainConfig already. */
export function ganLoss(loss: TrainConfig['loss']): GanLoss {
  if (loss === 'elbo') throw new PipelineError('loss "elbo" is the VAE\'s objective, not a GAN loss', 'loss', 'train it with --model vae');
  return loss;
}
