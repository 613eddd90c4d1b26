import { runDataDir } from '../one-cycle.js';
import type { TrainConfig } from '../config.js';
import type { Network } from '../models/network.js';
import { VaeDiagnostics } from './diagnostics.js';
import { VaeTrainer } from './trainer.js';

/**
 * The VAE trainer for a resolved config (model `vae`): the loop's generator is the decoder and its critic
 * the encoder; optimizerG drives the decoder, optimizerD the encoder.
 */
export function createVaeTrainer(
  config: TrainConfig,
  o: { generator: Network; critic: Network; images: Float32Array; imageCount: number },
): VaeTrainer {
  const common = {
    encoder: o.critic,
    decoder: o.generator,
    latentDim: config.latentDim,
    logCCoefficient: config.logCCoefficient,
  };
  return new VaeTrainer({
    ...common,
    images: o.images,
    imageCount: o.imageCount,
    batchSize: config.batchSize,
    optimizerDecoder: config.optimizerG,
    optimizerEncoder: config.optimizerD,
    epochReporter: new VaeDiagnostics({ ...common, dataDir: runDataDir(config.data), seed: config.seed }),
  });
}
