import { tf } from '@wgan/core/backend';
import { discriminatorObjective, generatorObjective, gradientPenalty, interpolate, rowNorms, type GanLoss } from './losses.js';
import { Network } from './models/network.js';
import { useFastMatMulGradients } from './fast-matmul.js';
import { createOptimizer, type Optimizer, type OptimizerConfig } from './optimizers.js';
import { criticInputGradient, criticInputGradientAutodiff, supportsClosedForm } from './penalty.js';
import { GAN_LOSS_FIELDS, GAN_RUNNING_FIELDS, STAT_FIELDS, type IterationInputs, type IterationStats, type Trainer, type TrainerState } from './trainer.js';

export interface TfjsTrainerOptions {
  generator: Network;
  critic: Network;
  /** The training images [n, 784] in [−1, 1], kept on the device for the whole run. */
  images: Float32Array;
  imageCount: number;
  loss: GanLoss;
  lambda: number;
  clipValue: number;
  nCritic: number;
  batchSize: number;
  latentDim: number;
  penalty: 'closed-form' | 'autodiff';
  optimizerG: OptimizerConfig;
  optimizerD: OptimizerConfig;
}

/**
 * The reference implementation of the WGAN training step on tfjs (any backend): autodiff of the critic
 * loss, with the penalty's input gradient in closed form (dense critics) or by nested autodiff.
 */
export class TfjsTrainer implements Trainer<IterationStats> {
  readonly statFields = STAT_FIELDS;
  readonly lossFields = GAN_LOSS_FIELDS;
  readonly runningFields = GAN_RUNNING_FIELDS;
  readonly implementation: string;
  private readonly images: tf.Tensor2D;
  private readonly optG: Optimizer;
  private readonly optD: Optimizer;
  private pending: tf.Tensor1D[] = [];
  private readonly criticWeightCount: number;

  constructor(private readonly o: TfjsTrainerOptions) {
    if (o.penalty === 'closed-form' && o.loss === 'gp' && !supportsClosedForm(o.critic)) {
      throw new Error('the closed-form penalty needs a dense LeakyReLU/ReLU critic: use penalty "autodiff"');
    }
    this.implementation = o.loss === 'gp' ? `tfjs-${o.penalty}` : 'tfjs';
    useFastMatMulGradients();
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
   * discriminator loss for those GANs), Adam/RMSprop on the critic, then clipping for clip runs. Returns [lossD, dReal, dFake, gp, gradNormMean, gradNormStd] (kept).
   */
  private criticStep(indices: Uint32Array, z: Float32Array, eps: Float32Array): tf.Tensor1D {
    const { critic, generator, batchSize: B, latentDim, loss, lambda } = this.o;
    const real = tf.tidy(() => tf.gather(this.images, tf.tensor1d(Int32Array.from(indices), 'int32')) as tf.Tensor2D);
    const fake = tf.tidy(() => generator.apply(tf.tensor2d(z, [B, latentDim])));
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
        const g = this.o.penalty === 'closed-form' ? criticInputGradient(critic, xhat).gradient : criticInputGradientAutodiff(critic, xhat);
        const norms = rowNorms(g);
        gp = gradientPenalty(norms, lambda);
        total = tf.add(total, gp) as tf.Scalar;
        const { mean, variance } = tf.moments(norms);
        normMean = mean as tf.Scalar;
        normStd = tf.sqrt(tf.mul(variance, B / (B - 1))) as tf.Scalar; // unbiased, as torch.std
      }
      stats = tf.keep(tf.stack([total, tf.mean(dReal), tf.mean(dFake), gp, normMean, normStd]) as tf.Tensor1D);
      return total;
    }, critic.trainable());
    const names = critic.trainableNames();
    this.optD.apply(this.named(critic), names.map((n) => grads[critic.get(n).name]));
    tf.dispose([value, real, fake, epsT, ...Object.values(grads)]);
    if (loss === 'clip') {
      const c = this.o.clipValue;
      for (const v of critic.trainable()) tf.tidy(() => v.assign(tf.clipByValue(v, -c, c)));
    }
    return stats as unknown as tf.Tensor1D;
  }

  /** The fraction of critic weights at ±c (E7's f), as a kept scalar. */
  private clipFraction(): tf.Scalar {
    const c = this.o.clipValue;
    return tf.tidy(() => tf.div(tf.addN(this.o.critic.trainable().map((v) => tf.sum(tf.cast(tf.equal(tf.abs(v), c), 'float32')))), this.criticWeightCount) as tf.Scalar);
  }

  /** One generator step (WGAN: L_G = −E[D(G(z))]; see losses.ts for the others), gradients into G only. Returns L_G (kept). */
  private generatorStep(z: Float32Array): tf.Scalar {
    const { generator, critic, batchSize: B, latentDim } = this.o;
    const zT = tf.tensor2d(z, [B, latentDim]);
    const { value, grads } = tf.variableGrads(() => generatorObjective(this.o.loss, critic.apply(generator.apply(zT))), generator.trainable());
    this.optG.apply(this.named(generator), generator.trainableNames().map((n) => grads[generator.get(n).name]));
    tf.dispose([zT, ...Object.values(grads)]);
    return value;
  }

  iteration(inputs: IterationInputs): void {
    const steps: tf.Tensor1D[] = [];
    for (let c = 0; c < this.o.nCritic; c++) steps.push(this.criticStep(inputs.indices[c], inputs.zCritic[c], inputs.eps[c]));
    const lossG = this.generatorStep(inputs.zGen);
    const clip = this.o.loss === 'clip' ? this.clipFraction() : tf.scalar(NaN);
    const record = tf.tidy(() => {
      const all = steps.length ? tf.stack(steps) : tf.fill([1, 6], NaN); // [nCritic, 6]: lossD, dReal, dFake, gp, normMean, normStd
      const mean = tf.mean(all, 0);
      const last = all.slice([all.shape[0] - 1, 0], [1, 6]).reshape([6]);
      // IterationStats order: lossD, lossG, dReal, dFake, gp, gradNormMean, gradNormStd, clipFraction
      return tf.stack([mean.gather(0), lossG, last.gather(1), last.gather(2), mean.gather(3), last.gather(4), last.gather(5), clip]) as tf.Tensor1D;
    });
    tf.dispose([...steps, lossG, clip]);
    this.pending.push(record);
  }

  async readStats(): Promise<IterationStats[]> {
    if (this.pending.length === 0) return [];
    const all = tf.stack(this.pending);
    const values = (await all.data()) as Float32Array;
    tf.dispose([all, ...this.pending]);
    const n = this.pending.length;
    this.pending = [];
    const k = STAT_FIELDS.length;
    return Array.from({ length: n }, (_, i) => Object.fromEntries(STAT_FIELDS.map((f, j) => [f, values[i * k + j]])) as unknown as IterationStats);
  }

  async getState(): Promise<TrainerState> {
    return {
      generator: await this.o.generator.readValues(),
      critic: await this.o.critic.readValues(),
      generatorOptimizer: await this.optG.getState(),
      criticOptimizer: await this.optD.getState(),
    };
  }

  async setState(state: TrainerState): Promise<void> {
    this.o.generator.assign(state.generator);
    this.o.critic.assign(state.critic);
    this.optG.setState(state.generatorOptimizer);
    this.optD.setState(state.criticOptimizer);
  }

  async generate(z: Float32Array, n: number): Promise<Float32Array> {
    const out = tf.tidy(() => this.o.generator.apply(tf.tensor2d(z, [n, this.o.latentDim])));
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  }

  dispose(): void {
    tf.dispose(this.pending);
    this.pending = [];
    this.images.dispose();
    this.optG.dispose();
    this.optD.dispose();
  }
}
