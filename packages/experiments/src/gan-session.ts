import { Rng } from '@wgan/core';
import { currentBackend } from '@wgan/core/backend';
import {
  BatchSampler,
  createGanTrainer,
  drawIterationInputs,
  Network,
  supportsManualMlp,
  type GanImplementation,
  type GanLoss,
  type IterationStats,
  type NetworkSpec,
  type OptimizerConfig,
  type Trainer,
} from '@wgan/train';

/**
 * The experiments' way into train's GAN step: build the two networks from their specs, have train's
 * factory (createGanTrainer, the one train itself uses) build the trainer — by default the hand-written
 * dense step tfjs-manual for WGANs on dense ReLU chains, tfjs-autodiff otherwise (e.g. the BCE GAN) — and
 * call `trainer.iteration` with inputs drawn by train's `drawIterationInputs`: the same objectives,
 * optimisers, clipping and penalty as the train stage. Nothing here computes a loss or a gradient.
 */
export interface GanSessionOptions {
  generator: NetworkSpec;
  critic: NetworkSpec;
  /** Training data [n, d], d = critic.inputSize (2 for the ring, 784 for digits). */
  data: Float32Array;
  loss: GanLoss;
  /** λ of the gradient penalty (required for gp). */
  lambda?: number;
  /** c of weight clipping (required for clip). */
  clipValue?: number;
  nCritic: number;
  batchSize: number;
  optimizerG: OptimizerConfig;
  optimizerD: OptimizerConfig;
  /** Seeds the weights, the latent draws and the data order. */
  seed: number;
  /** Shuffle the data each epoch (default) or walk it in stored order (seed 004). */
  shuffle?: boolean;
  /** Force a trainer (tests, benchmarks); default: tfjs-manual where it applies, else tfjs-autodiff. */
  implementation?: GanImplementation;
}

export class GanSession {
  readonly trainer: Trainer<IterationStats>;
  readonly generator: Network;
  readonly critic: Network;
  readonly sampler: BatchSampler;
  readonly latentDim: number;
  private readonly rng: Rng;
  /** Generator iterations done so far. */
  iterations = 0;

  private constructor(
    readonly options: GanSessionOptions,
    parts: { trainer: Trainer<IterationStats>; generator: Network; critic: Network; sampler: BatchSampler; rng: Rng },
  ) {
    this.trainer = parts.trainer;
    this.generator = parts.generator;
    this.critic = parts.critic;
    this.sampler = parts.sampler;
    this.rng = parts.rng;
    this.latentDim = options.generator.inputSize;
  }

  static async create(options: GanSessionOptions): Promise<GanSession> {
    const { critic: dSpec, generator: gSpec, data, batchSize } = options;
    const dim = dSpec.inputSize;
    if (gSpec.outputSize !== dim)
      throw new RangeError(`generator writes ${gSpec.outputSize} values, the critic reads ${dim}`);
    if (data.length % dim !== 0) throw new RangeError(`data has ${data.length} values, not a multiple of ${dim}`);
    if (options.loss === 'gp' && options.lambda === undefined) throw new RangeError('loss gp needs lambda');
    if (options.loss === 'clip' && options.clipValue === undefined) throw new RangeError('loss clip needs clipValue');
    const count = data.length / dim;
    const rng = Rng.fromSeed(options.seed);
    const generator = Network.create(gSpec, rng);
    const critic = Network.create(dSpec, rng);
    const sampler = new BatchSampler(count, batchSize, options.seed, undefined, { shuffle: options.shuffle ?? true });
    const wasserstein = options.loss === 'gp' || options.loss === 'clip';
    const manual = wasserstein && supportsManualMlp(generator, critic);
    const want = options.implementation ?? 'auto';
    if (want === 'tfjs-manual' && !manual)
      throw new RangeError('tfjs-manual needs a WGAN loss and dense ReLU/LeakyReLU networks');
    try {
      const trainer = await createGanTrainer({
        // λ and c only enter the loss that uses them (checked above); 0 stands for the other one
        settings: {
          loss: options.loss,
          lambda: options.lambda ?? 0,
          clipValue: options.clipValue ?? 0,
          nCritic: options.nCritic,
          batchSize,
          optimizerG: options.optimizerG,
          optimizerD: options.optimizerD,
        },
        implementation: want === 'auto' ? (manual ? 'tfjs-manual' : 'tfjs-autodiff') : want,
        penalty: 'closed-form',
        threads: 1,
        generator,
        critic,
        images: data,
        imageCount: count,
        latentDim: gSpec.inputSize,
        backend: currentBackend()?.name ?? 'wasm',
      });
      return new GanSession(options, { trainer, generator, critic, sampler, rng });
    } catch (e) {
      generator.dispose();
      critic.dispose();
      throw e;
    }
  }

  /** Batches of real data per pass over it. */
  get batchesPerEpoch(): number {
    return this.sampler.batchesPerEpoch;
  }

  /**
   * Runs `count` generator iterations (each nCritic critic steps + one generator step), reading the
   * statistics back every `readEvery` iterations; `onStats` gets them in order, with their iteration
   * number (1-based, counted over the session).
   */
  async train(
    count: number,
    options: { readEvery?: number; onStats?: (iteration: number, stats: IterationStats) => void } = {},
  ): Promise<void> {
    const readEvery = options.readEvery ?? 25;
    const { nCritic, batchSize } = this.options;
    const flush = async () => {
      const stats = await this.trainer.readStats();
      const first = this.iterations - stats.length + 1;
      stats.forEach((s, k) => options.onStats?.(first + k, s));
    };
    for (let i = 0; i < count; i++) {
      this.trainer.iteration(
        drawIterationInputs(this.rng, this.sampler, { nCritic, batchSize, latentDim: this.latentDim }),
      );
      this.iterations++;
      if ((i + 1) % readEvery === 0) await flush();
    }
    await flush();
  }

  /**
   * n samples G(z), z ~ N(0, I) drawn from `rng` (default: a stream of its own, so sampling does not shift training).
   */
  async sample(n: number, rng: Rng = Rng.fromSeed(this.options.seed + 0x5a4d)): Promise<Float32Array> {
    const z = rng.fillNormal(new Float32Array(n * this.latentDim));
    return this.trainer.generate(z, n);
  }

  dispose(): void {
    this.trainer.dispose();
    this.generator.dispose();
    this.critic.dispose();
  }
}
