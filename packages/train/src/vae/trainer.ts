import { tf } from '@wgan/core/backend';
import { useFastMatMulGradients } from '../trainers/tfjs/fast-matmul.js';
import type { Network } from '../models/network.js';
import { createOptimizer, type Optimizer, type OptimizerConfig } from '../optimizers.js';
import { applyTrainerState, generateWith, readTrainerState, StatsQueue } from '../trainers/tfjs/common.js';
import type { EpochReporter, IterationInputs, StatsRecord, Trainer, TrainerState } from '../trainer.js';
import { decoderLogitLayers } from './architectures.js';
import { toUnitInterval, vaeObjective } from './objective.js';

/** The VAE's per-iteration statistics (metrics.jsonl columns), batch means: see VaeTerms. */
export const VAE_STAT_FIELDS = ['loss', 'recon', 'kl', 'bce', 'logC'] as const;
export type VaeStats = Record<(typeof VAE_STAT_FIELDS)[number], number>;

export interface VaeTrainerOptions {
  encoder: Network;
  /** Ends in a sigmoid; the objective reads its logits. */
  decoder: Network;
  /** The training images [n, 784] in the pipeline's [−1, 1], kept on the device for the whole run. */
  images: Float32Array;
  imageCount: number;
  batchSize: number;
  latentDim: number;
  /** Coefficient of Σ log C(λ) in the reconstruction term (0: the seed's BCE run; 1: the exact likelihood). */
  logCCoefficient: number;
  optimizerDecoder: OptimizerConfig;
  optimizerEncoder: OptimizerConfig;
  /** The family's epoch-end diagnostics (vae/diagnostics.ts), when the loop should run them. */
  epochReporter?: EpochReporter;
}

/**
 * The VAE's training step on tfjs (any backend): tfjs autodiff of the negative ELBO with respect to the
 * encoder's and decoder's parameters together, then one Adam step each. Adam is per-parameter, so two
 * Adams with the same settings over the two networks equal the seed's one Adam over Q and P's parameters.
 *
 * The loop's contract maps onto it as: generator = decoder, critic = encoder (weights and optimiser
 * state); one iteration consumes one batch, `indices[0]`, with `zCritic[0]` (B × d_z normals) as the
 * reparameterisation noise ε (the loop draws with nCritic = 1).
 */
export class VaeTrainer implements Trainer<VaeStats> {
  readonly implementation = 'tfjs-autodiff';
  readonly statFields = VAE_STAT_FIELDS;
  readonly lossFields = ['loss'] as const;
  readonly runningFields = ['loss', 'recon', 'kl', 'bce'] as const;
  readonly epochReporter?: EpochReporter;
  private readonly images: tf.Tensor2D;
  private readonly optDecoder: Optimizer;
  private readonly optEncoder: Optimizer;
  private readonly queue = new StatsQueue(VAE_STAT_FIELDS);

  constructor(private readonly o: VaeTrainerOptions) {
    decoderLogitLayers(o.decoder.spec); // throws unless the decoder ends in a sigmoid
    if (o.encoder.spec.outputSize !== 2 * o.latentDim)
      throw new Error(
        `the encoder outputs ${o.encoder.spec.outputSize} values, ` +
          `a VAE with d_z = ${o.latentDim} needs 2·d_z (μ, log σ²)`,
      );
    if (o.decoder.spec.inputSize !== o.latentDim)
      throw new Error(`the decoder takes ${o.decoder.spec.inputSize} inputs, d_z is ${o.latentDim}`);
    useFastMatMulGradients();
    this.images = tf.tensor2d(o.images, [o.imageCount, o.images.length / o.imageCount]);
    this.optDecoder = createOptimizer(o.optimizerDecoder);
    this.optEncoder = createOptimizer(o.optimizerEncoder);
    this.epochReporter = o.epochReporter;
  }

  private static named(net: Network) {
    return net.trainableNames().map((name) => ({ name, variable: net.get(name) }));
  }

  /** One step on batch indices[0] with ε = zCritic[0]; queues [loss, recon, kl, bce, logC]. */
  iteration(inputs: IterationInputs): void {
    const { encoder, decoder, batchSize: B, latentDim, logCCoefficient } = this.o;
    const x = tf.tidy(() =>
      toUnitInterval(tf.gather(this.images, tf.tensor1d(Int32Array.from(inputs.indices[0]), 'int32')) as tf.Tensor2D),
    );
    const eps = tf.tensor2d(inputs.zCritic[0], [B, latentDim]);
    let stats: tf.Tensor1D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const t = vaeObjective(encoder, decoder, x, eps, logCCoefficient);
      stats = tf.keep(tf.stack([t.loss, t.recon, t.kl, t.bce, t.logC]) as tf.Tensor1D);
      tf.dispose([t.recon, t.kl, t.bce, t.logC]);
      return t.loss;
    }, [...encoder.trainable(), ...decoder.trainable()]);
    this.optDecoder.apply(
      VaeTrainer.named(decoder),
      decoder.trainableNames().map((n) => grads[decoder.get(n).name]),
    );
    this.optEncoder.apply(
      VaeTrainer.named(encoder),
      encoder.trainableNames().map((n) => grads[encoder.get(n).name]),
    );
    tf.dispose([value, x, eps, ...Object.values(grads)]);
    this.queue.push(stats as unknown as tf.Tensor1D);
  }

  readStats(): Promise<VaeStats[]> {
    return this.queue.read<VaeStats>();
  }

  getState(): Promise<TrainerState> {
    return readTrainerState(this.o.decoder, this.o.encoder, this.optDecoder, this.optEncoder);
  }

  async setState(state: TrainerState): Promise<void> {
    applyTrainerState(state, this.o.decoder, this.o.encoder, this.optDecoder, this.optEncoder);
  }

  /** Decoded images for z [n, d_z] in the pipeline's scale: 2·σ(logits) − 1 ∈ [−1, 1]. */
  generate(z: Float32Array, n: number): Promise<Float32Array> {
    return generateWith((zt) => tf.sub(tf.mul(this.o.decoder.apply(zt), 2), 1), z, n, this.o.latentDim);
  }

  dispose(): void {
    this.queue.dispose();
    this.images.dispose();
    this.optDecoder.dispose();
    this.optEncoder.dispose();
  }
}
