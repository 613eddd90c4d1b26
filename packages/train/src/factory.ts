import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PipelineError, readFloat32, writeFloat32, type Rng } from '@wgan/core';
import { webgpuDevice, type BackendName } from '@wgan/core/backend';
import type { Checkpoint } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import {
  dcganDiscriminator,
  dcganGenerator,
  seed001Critic,
  seed001Generator,
  seed002Discriminator,
  seed002Generator,
} from './models/architectures.js';
import { isWasserstein, type GanLoss } from './losses.js';
import { seed002Decoder, seed002Encoder } from './vae/architectures.js';
import { createVaeTrainer } from './vae/create.js';
import { Network } from './models/network.js';
import type { NetworkSpec } from './models/spec.js';
import { drawLatents } from './sampling.js';
import { TfjsAutodiffTrainer } from './trainers/tfjs-autodiff/trainer.js';
import { TfjsManualTrainer, supportsManualMlp } from './trainers/tfjs-manual/trainer.js';
import { WebgpuFusedTrainer } from './trainers/webgpu-fused/trainer.js';
import type { IterationStats, Trainer, TrainerState, WganStepSettings } from './trainer.js';

/**
 * The networks a config asks for. The second network is saved as "critic" in checkpoints whatever the
 * loss; its spec's role says what it is: a `critic` (WGAN losses: a raw score) or a `discriminator`
 * (bce, lsgan: a logit, or a score for least squares; no sigmoid layer — the losses take logits).
 */
export function modelSpecs(
  config: Pick<TrainConfig, 'model' | 'latentDim' | 'generatorHidden' | 'criticHidden'> & {
    loss?: TrainConfig['loss'];
  },
): { generator: NetworkSpec; critic: NetworkSpec } {
  const role = !config.loss || config.loss === 'elbo' || isWasserstein(config.loss) ? 'critic' : 'discriminator';
  switch (config.model) {
    case 'mlp':
      return {
        generator: seed001Generator(config.latentDim, config.generatorHidden),
        critic: { ...seed001Critic(config.criticHidden), role },
      };
    case 'gan-mlp':
      return {
        generator: seed002Generator(config.latentDim, config.generatorHidden),
        critic: seed002Discriminator(config.criticHidden, role),
      };
    case 'dcgan':
      return { generator: dcganGenerator(config.latentDim), critic: dcganDiscriminator(role) };
    case 'vae':
      // seed 002's VAE: the decoder in the generator's place, the encoder in the critic's
      return {
        generator: seed002Decoder(config.latentDim, config.generatorHidden),
        critic: seed002Encoder(config.latentDim, config.criticHidden),
      };
  }
}

/**
 * The two networks and z_fixed: fresh ones drawn from `rng` (generator, then critic, then z_fixed,
 * which is written to the run folder once), or the checkpoint's.
 */
export async function buildModels(config: TrainConfig, rng: Rng, runDir: string, checkpoint: Checkpoint | null) {
  const zFile = join(runDir, 'z_fixed.f32');
  if (checkpoint) {
    if (!existsSync(zFile))
      throw new PipelineError(
        'z_fixed.f32 is missing from the run folder',
        zFile,
        'the run folder is damaged: start over with --fresh',
      );
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

/** The settings of one GAN iteration, from the run's config: the one object every trainer is given. */
export function stepSettings(
  config: Pick<TrainConfig, 'loss' | 'lambda' | 'clipValue' | 'nCritic' | 'batchSize' | 'optimizerG' | 'optimizerD'>,
): WganStepSettings<GanLoss> {
  const { lambda, clipValue, nCritic, batchSize, optimizerG, optimizerD } = config;
  return { loss: ganLoss(config.loss), lambda, clipValue, nCritic, batchSize, optimizerG, optimizerD };
}

/** True for the WGAN losses, the ones the dense trainers (tfjs-manual, onnx-cpu, webgpu-fused) implement. */
export function isWganSettings(s: WganStepSettings<GanLoss>): s is WganStepSettings {
  return s.loss === 'gp' || s.loss === 'clip';
}

/** The GAN implementations `--implementation` names, and `auto` (the fastest that applies). */
export type GanImplementation = TrainConfig['implementation'];

/** Everything a GAN trainer is built from: the step settings, the networks and data, and the implementation. */
export interface GanTrainerRequest {
  settings: WganStepSettings<GanLoss>;
  implementation: GanImplementation;
  /** tfjs-autodiff's input gradient of the penalty: closed form (dense critics) or nested autodiff. */
  penalty: TrainConfig['penalty'];
  /** onnxruntime intra-op threads (onnx-cpu). */
  threads?: number;
  /** onnx-cpu: where the optimiser update runs (TrainConfig's onnxOptimizer). */
  onnxOptimizer?: TrainConfig['onnxOptimizer'];
  generator: Network;
  critic: Network;
  images: Float32Array;
  imageCount: number;
  latentDim: number;
  backend: BackendName;
}

/** The GAN trainer for a request: the only place trainers are constructed (train, E4, experiments, bench). */
export async function createGanTrainer(r: GanTrainerRequest): Promise<Trainer<IterationStats>> {
  const { settings } = r;
  const data = {
    generator: r.generator,
    critic: r.critic,
    images: r.images,
    imageCount: r.imageCount,
    latentDim: r.latentDim,
  };
  const wgan = isWganSettings(settings) ? settings : null;
  const manualApplies = wgan !== null && supportsManualMlp(r.generator, r.critic);
  const notDense = (name: string, fix: string) =>
    new PipelineError(
      `${name} needs a WGAN loss (gp, clip) and dense-chain networks with LeakyReLU/ReLU hidden layers`,
      'implementation',
      fix,
    );
  // the fused and onnx trainers start from the networks' values and fresh optimiser state
  const initialState = async (): Promise<TrainerState> => ({
    generator: await r.generator.readValues(),
    critic: await r.critic.readValues(),
    generatorOptimizer: { kind: settings.optimizerG.type, step: 0, slots: [] },
    criticOptimizer: { kind: settings.optimizerD.type, step: 0, slots: [] },
  });
  const autodiff = () => new TfjsAutodiffTrainer({ ...settings, ...data, penalty: r.penalty });
  const manual = (s: WganStepSettings) => new TfjsManualTrainer({ ...s, ...data });
  const fused = async (s: WganStepSettings) => {
    const gpu = webgpuDevice();
    if (r.backend !== 'webgpu' || !gpu)
      throw new PipelineError(
        'webgpu-fused needs the webgpu backend',
        'implementation',
        'add --backend webgpu (on a machine with a GPU), or use --implementation auto',
      );
    return WebgpuFusedTrainer.create({
      ...s,
      device: gpu.device,
      generatorSpec: r.generator.spec,
      criticSpec: r.critic.spec,
      initial: await initialState(),
      trainImages: r.images,
    });
  };
  const onnx = async (s: WganStepSettings) =>
    (await import('./trainers/onnx-cpu/trainer.js')).OnnxCpuTrainer.create({
      ...s,
      generatorSpec: r.generator.spec,
      criticSpec: r.critic.spec,
      initial: await initialState(),
      images: r.images,
      imageCount: r.imageCount,
      threads: r.threads,
      optimizer: r.onnxOptimizer,
    });
  switch (r.implementation) {
    case 'onnx-cpu':
      if (!manualApplies) throw notDense('onnx-cpu', 'use --implementation tfjs-autodiff (or auto)');
      return onnx(wgan);
    case 'tfjs-autodiff':
      return autodiff();
    case 'tfjs-manual':
      if (!manualApplies) throw notDense('tfjs-manual', 'use --implementation tfjs-autodiff (or auto)');
      return manual(wgan);
    case 'webgpu-fused':
      if (!manualApplies) throw notDense('webgpu-fused', 'use --implementation auto');
      return fused(wgan);
    case 'auto':
      // dense WGANs: the fused kernels on a real GPU, onnxruntime on a CPU (the hand-written tfjs step where
      // onnxruntime cannot load); autodiff for everything else
      if (!manualApplies) return autodiff();
      if (r.backend === 'webgpu' && webgpuDevice() && !webgpuDevice()!.software) return fused(wgan);
      try {
        return await onnx(wgan);
      } catch (e) {
        if (e instanceof PipelineError) throw e;
        return manual(wgan);
      }
  }
}

/** The training implementation for this config and backend (the VAE's trainer, or createGanTrainer's). */
export async function createTrainer(
  config: TrainConfig,
  o: { generator: Network; critic: Network; images: Float32Array; imageCount: number; backend: BackendName },
): Promise<Trainer> {
  if (config.model === 'vae') return createVaeTrainer(config, o);
  return createGanTrainer({
    ...o,
    settings: stepSettings(config),
    implementation: config.implementation,
    penalty: config.penalty,
    threads: config.threads,
    onnxOptimizer: config.onnxOptimizer,
    latentDim: config.latentDim,
  });
}

/** The config's loss as a GAN loss (every model but the VAE); `elbo` is refused by resolveTrainConfig already. */
export function ganLoss(loss: TrainConfig['loss']): GanLoss {
  if (loss === 'elbo')
    throw new PipelineError('loss "elbo" is the VAE\'s objective, not a GAN loss', 'loss', 'train it with --model vae');
  return loss;
}
