import { tf } from '@wgan/core/backend';
import {
  discriminatorObjective,
  generatorObjective,
  gradientPenalty,
  interpolate,
  rowNorms,
  type GanLoss,
} from '../../losses.js';
import { Network, updateBatchNormStats, type BatchStat } from '../../models/network.js';
import { useConvGradients } from '../tfjs/conv-gradients.js';
import { useFastMatMulGradients } from '../tfjs/fast-matmul.js';
import { createOptimizer, type Optimizer } from '../../optimizers.js';
import { criticInputGradient, criticInputGradientAutodiff, supportsClosedForm } from '../tfjs/penalty.js';
import {
  applyTrainerState,
  clipFraction,
  ganIterationRecord,
  generateWith,
  readTrainerState,
  StatsQueue,
} from '../tfjs/common.js';
import {
  GAN_LOSS_FIELDS,
  GAN_RUNNING_FIELDS,
  STAT_FIELDS,
  type IterationInputs,
  type IterationStats,
  type Trainer,
  type TrainerState,
  type WganStepSettings,
} from '../../trainer.js';

export interface TfjsAutodiffTrainerOptions extends WganStepSettings<GanLoss> {
  generator: Network;
  critic: Network;
  /** The training images [n, 784] in [−1, 1], kept on the device for the whole run. */
  images: Float32Array;
  imageCount: number;
  latentDim: number;
  /** How the penalty's input gradient ∇ₓD(x̂) is taken: closed form (dense critics) or nested autodiff. */
  penalty: 'closed-form' | 'autodiff';
}

/**
 * The reference implementation of the GAN training step on tfjs (any backend, any network): autodiff of
 * the critic loss, with the penalty's input gradient in closed form (dense critics) or by nested autodiff.
 *
 * Modes, as PyTorch's `G.train()` throughout seed 002's run_a_gan: the generator runs in training mode in
 * both steps (BatchNorm normalises with the batch's statistics), and each of its two forward passes per
 * iteration — the fakes of the critic step and the generator step's — updates the BatchNorm running
 * statistics once, outside the gradient tape, as every train-mode forward does in PyTorch. Snapshots,
 * diagnostics and evaluation run the generator in inference mode (running statistics). The critic is
 * called once on [real; fake], so it must not hold BatchNorm (none of the seeds' critics does).
 */
export class TfjsAutodiffTrainer implements Trainer<IterationStats> {
  readonly statFields = STAT_FIELDS;
  readonly lossFields = GAN_LOSS_FIELDS;
  readonly runningFields = GAN_RUNNING_FIELDS;
  readonly implementation = 'tfjs-autodiff';
  private readonly images: tf.Tensor2D;
  private readonly optG: Optimizer;
  private readonly optD: Optimizer;
  private readonly stats = new StatsQueue(STAT_FIELDS);
  private readonly criticWeightCount: number;

  constructor(private readonly o: TfjsAutodiffTrainerOptions) {
    if (o.penalty === 'closed-form' && o.loss === 'gp' && !supportsClosedForm(o.critic)) {
      throw new Error('the closed-form penalty needs a dense LeakyReLU/ReLU critic: use penalty "autodiff"');
    }
    if (o.critic.spec.layers.some((l) => l.type === 'batchNorm'))
      throw new Error('a BatchNorm critic is not supported: the critic scores real and fake images in one batch');
    useFastMatMulGradients();
    useConvGradients();
    this.images = tf.tensor2d(o.images, [o.imageCount, o.images.length / o.imageCount]);
    this.optG = createOptimizer(o.optimizerG);
    this.optD = createOptimizer(o.optimizerD);
    this.criticWeightCount = o.critic.trainable().reduce((s, v) => s + v.size, 0);
  }

  private named(net: Network) {
    return net.trainableNames().map((name) => ({ name, variable: net.get(name) }));
  }

  /**
   * One critic step: L_D = E[D(x̃)] − E[D(x)] (+ λ·E[(‖∇D(x̂)‖ − 1)²] for gp; the BCE or least-squares
   * discriminator loss for those GANs), Adam/RMSprop on the critic, then clipping for clip runs. Returns [lossD, dReal,
   * dFake, gp, gradNormMean, gradNormStd] (kept).
   */
  private criticStep(indices: Uint32Array, z: Float32Array, eps: Float32Array): tf.Tensor1D {
    const { critic, generator, batchSize: B, latentDim, loss, lambda } = this.o;
    const real = tf.tidy(() => tf.gather(this.images, tf.tensor1d(Int32Array.from(indices), 'int32')) as tf.Tensor2D);
    const batchStats: BatchStat[] = [];
    const fake = tf.tidy(() => generator.apply(tf.tensor2d(z, [B, latentDim]), { training: true, batchStats }));
    updateBatchNormStats(generator, batchStats);
    const epsT = tf.tensor1d(eps);
    let stats: tf.Tensor1D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const scores = critic.apply(tf.concat([real, fake], 0));
      const dReal = scores.slice([0, 0], [B, 1]);
      const dFake = scores.slice([B, 0], [B, 1]);
      let total = discriminatorObjective(loss, dReal, dFake);
      let gp: tf.Scalar = tf.scalar(0);
      let normMean: tf.Scalar = tf.scalar(NaN);
      let normStd: tf.Scalar = tf.scalar(NaN);
      if (loss === 'gp') {
        const xhat = interpolate(real, fake, epsT);
        const g =
          this.o.penalty === 'closed-form'
            ? criticInputGradient(critic, xhat).gradient
            : criticInputGradientAutodiff(critic, xhat);
        const norms = rowNorms(g);
        gp = gradientPenalty(norms, lambda);
        total = tf.add(total, gp) as tf.Scalar;
        const { mean, variance } = tf.moments(norms);
        normMean = mean as tf.Scalar;
        normStd = tf.sqrt(variance) as tf.Scalar; // population std, E6's estimator (diagnostics.ts)
      }
      stats = tf.keep(tf.stack([total, tf.mean(dReal), tf.mean(dFake), gp, normMean, normStd]) as tf.Tensor1D);
      return total;
    }, critic.trainable());
    const names = critic.trainableNames();
    this.optD.apply(
      this.named(critic),
      names.map((n) => grads[critic.get(n).name]),
    );
    tf.dispose([value, real, fake, epsT, ...Object.values(grads)]);
    if (loss === 'clip') {
      const c = this.o.clipValue;
      for (const v of critic.trainable()) tf.tidy(() => v.assign(tf.clipByValue(v, -c, c)));
    }
    return stats as unknown as tf.Tensor1D;
  }

  /**
   * One generator step (WGAN: L_G = −E[D(G(z))]; see losses.ts for the others), gradients into G only. Returns L_G
   * (kept).
   */
  private generatorStep(z: Float32Array): tf.Scalar {
    const { generator, critic, batchSize: B, latentDim } = this.o;
    const zT = tf.tensor2d(z, [B, latentDim]);
    const batchStats: BatchStat[] = [];
    const { value, grads } = tf.variableGrads(
      () => generatorObjective(this.o.loss, critic.apply(generator.apply(zT, { training: true, batchStats }))),
      generator.trainable(),
    );
    updateBatchNormStats(generator, batchStats);
    this.optG.apply(
      this.named(generator),
      generator.trainableNames().map((n) => grads[generator.get(n).name]),
    );
    tf.dispose([zT, ...Object.values(grads)]);
    return value;
  }

  iteration(inputs: IterationInputs): void {
    const steps: tf.Tensor1D[] = [];
    for (let c = 0; c < this.o.nCritic; c++)
      steps.push(this.criticStep(inputs.indices[c], inputs.zCritic[c], inputs.eps[c]));
    const lossG = this.generatorStep(inputs.zGen);
    const clip =
      this.o.loss === 'clip'
        ? clipFraction(this.o.critic.trainable(), this.o.clipValue, this.criticWeightCount)
        : tf.scalar(NaN);
    this.stats.push(ganIterationRecord(steps, lossG, clip));
  }

  /**
   * The same updates as iteration(), read back at once with each critic step's L_D (E4 asks for
   * L̄_D over the 5 steps of one cycle, which the per-iteration statistics only give as their mean).
   */
  async cycle(inputs: IterationInputs): Promise<{ lossD: number[]; lossG: number }> {
    const steps: tf.Tensor1D[] = [];
    for (let c = 0; c < this.o.nCritic; c++)
      steps.push(this.criticStep(inputs.indices[c], inputs.zCritic[c], inputs.eps[c]));
    const lossG = this.generatorStep(inputs.zGen);
    const lossD = steps.length
      ? Array.from((await tf.stack(steps).slice([0, 0], [steps.length, 1]).data()) as Float32Array)
      : [];
    const g = (await lossG.data())[0];
    tf.dispose([...steps, lossG]);
    return { lossD, lossG: g };
  }

  async readStats(): Promise<IterationStats[]> {
    return this.stats.read<IterationStats>();
  }

  async getState(): Promise<TrainerState> {
    return readTrainerState(this.o.generator, this.o.critic, this.optG, this.optD);
  }

  async setState(state: TrainerState): Promise<void> {
    applyTrainerState(state, this.o.generator, this.o.critic, this.optG, this.optD);
  }

  async generate(z: Float32Array, n: number): Promise<Float32Array> {
    return generateWith((zT) => this.o.generator.apply(zT), z, n, this.o.latentDim);
  }

  dispose(): void {
    this.stats.dispose();
    this.images.dispose();
    this.optG.dispose();
    this.optD.dispose();
  }
}
