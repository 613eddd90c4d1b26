import { tf } from '@wgan/core/backend';
import { matMulTransposeA, matMulTransposeB } from '../tfjs/fast-matmul.js';
import { oneHot, withOneHot } from '../../conditional.js';
import type { Network } from '../../models/network.js';
import { createOptimizer, type Optimizer, type OptimizerConfig } from '../../optimizers.js';
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

/**
 * The WGAN step for dense-chain networks with every derivative written out — no gradient tape. Same
 * mathematics as TfjsAutodiffTrainer (the autodiff reference; parity is tested), a fraction of its ops: forward
 * passes keep what the backward pass needs, the penalty's input gradient is the closed form
 *   g = (((W_Kᵀ ⊙ m_{K−1}) W_{K−1}ᵀ ⊙ m_{K−2}) … ⊙ m_1) W_1ᵀ,
 * and its weight gradients follow by the chain rule through that product (the masks m_k = φ'(h_k) are
 * piecewise constant). Only plain matrix products and explicit transposes of batch-sized matrices are
 * used on wasm (see fast-matmul.ts). This is the fast CPU path, and the layout the fused WebGPU path uses.
 */
type Activation = { kind: 'slope'; alpha: number } | { kind: 'tanh' } | { kind: 'sigmoid' } | { kind: 'none' };

interface DenseLayer {
  kernelName: string;
  biasName: string;
  kernel: tf.Variable;
  bias: tf.Variable;
  activation: Activation;
}

/** The dense layers of a network, each with the activation that follows it. Throws for other layers. */
export function denseLayers(net: Network): DenseLayer[] {
  const out: DenseLayer[] = [];
  net.spec.layers.forEach((layer, i) => {
    if (layer.type === 'dense') {
      out.push({
        kernelName: `${i}.kernel`,
        biasName: `${i}.bias`,
        kernel: net.get(`${i}.kernel`),
        bias: net.get(`${i}.bias`),
        activation: { kind: 'none' },
      });
      return;
    }
    const last = out[out.length - 1];
    if (!last || last.activation.kind !== 'none') throw new Error(`layer ${i} (${layer.type}): not a dense chain`);
    if (layer.type === 'leakyRelu') last.activation = { kind: 'slope', alpha: layer.alpha };
    else if (layer.type === 'relu') last.activation = { kind: 'slope', alpha: 0 };
    else if (layer.type === 'tanh') last.activation = { kind: 'tanh' };
    else if (layer.type === 'sigmoid') last.activation = { kind: 'sigmoid' };
    else throw new Error(`layer ${i} (${layer.type}): not a dense chain`);
  });
  return out;
}

/** True when TfjsManualTrainer can train this pair: dense chains, piecewise-linear critic, scalar critic output. */
export function supportsManualMlp(generator: Network, critic: Network): boolean {
  try {
    const g = denseLayers(generator);
    const d = denseLayers(critic);
    const hiddenOk = (layers: DenseLayer[]) => layers.slice(0, -1).every((l) => l.activation.kind === 'slope');
    return (
      hiddenOk(g) &&
      hiddenOk(d) &&
      d[d.length - 1].activation.kind === 'none' &&
      critic.spec.outputSize === 1 &&
      g[g.length - 1].activation.kind !== 'sigmoid'
    );
  } catch {
    return false;
  }
}

function activate(h: tf.Tensor2D, a: Activation): tf.Tensor2D {
  switch (a.kind) {
    case 'slope':
      return (a.alpha === 0 ? tf.relu(h) : tf.leakyRelu(h, a.alpha)) as tf.Tensor2D;
    case 'tanh':
      return tf.tanh(h);
    case 'sigmoid':
      return tf.sigmoid(h);
    case 'none':
      return h;
  }
}

interface Forward {
  /** Inputs of each dense layer (a_0 = x, a_1, …). */
  inputs: tf.Tensor2D[];
  /** φ'(h_k) of each hidden layer (slopes 1 or α). */
  masks: tf.Tensor2D[];
  output: tf.Tensor2D;
}

/** Forward pass keeping each layer's input and each hidden layer's slope mask. */
function forward(layers: DenseLayer[], x: tf.Tensor2D): Forward {
  const inputs: tf.Tensor2D[] = [];
  const masks: tf.Tensor2D[] = [];
  let a = x;
  for (const layer of layers) {
    inputs.push(a);
    const h = tf.add(tf.matMul(a, layer.kernel as unknown as tf.Tensor2D), layer.bias) as tf.Tensor2D;
    if (layer.activation.kind === 'slope') masks.push(tf.step(h, layer.activation.alpha) as tf.Tensor2D);
    a = activate(h, layer.activation);
  }
  return { inputs, masks, output: a };
}

/** Slope masks only (for the interpolates, whose activations the penalty's gradient does not need). */
function masksOnly(layers: DenseLayer[], x: tf.Tensor2D): tf.Tensor2D[] {
  const masks: tf.Tensor2D[] = [];
  let a = x;
  for (const layer of layers.slice(0, -1)) {
    const h = tf.add(tf.matMul(a, layer.kernel as unknown as tf.Tensor2D), layer.bias) as tf.Tensor2D;
    const alpha = (layer.activation as { alpha: number }).alpha;
    masks.push(tf.step(h, alpha) as tf.Tensor2D);
    a = (alpha === 0 ? tf.relu(h) : tf.leakyRelu(h, alpha)) as tf.Tensor2D;
  }
  return masks;
}

/**
 * Backward pass of a dense chain from dL/d(output) (after the output activation). Adds each layer's
 * kernel and bias gradient into `grads`; returns dL/dx when `wantInput`.
 */
function backward(
  layers: DenseLayer[],
  f: Forward,
  dOut: tf.Tensor2D,
  grads: Map<string, tf.Tensor>,
  wantInput: boolean,
): tf.Tensor2D | null {
  const last = layers[layers.length - 1].activation;
  let dh = dOut;
  if (last.kind === 'tanh') dh = tf.mul(dOut, tf.sub(1, tf.square(f.output))) as tf.Tensor2D;
  else if (last.kind === 'sigmoid') dh = tf.mul(dOut, tf.mul(f.output, tf.sub(1, f.output))) as tf.Tensor2D;
  for (let k = layers.length - 1; k >= 0; k--) {
    const layer = layers[k];
    accumulate(grads, layer.kernelName, matMulTransposeA(f.inputs[k], dh));
    accumulate(grads, layer.biasName, tf.sum(dh, 0));
    if (k === 0 && !wantInput) return null;
    const da = matMulTransposeB(dh, layer.kernel as unknown as tf.Tensor2D);
    if (k === 0) return da;
    dh = tf.mul(da, f.masks[k - 1]) as tf.Tensor2D;
  }
  return null;
}

function accumulate(grads: Map<string, tf.Tensor>, name: string, g: tf.Tensor): void {
  const prev = grads.get(name);
  grads.set(name, prev ? tf.add(prev, g) : g);
}

/**
 * The penalty λ·mean_i(‖g_i‖ − 1)² for a dense critic, its weight gradients (added into `grads`), and the
 * per-sample norms. `masks` are the interpolates' slope masks.
 */
function penaltyAndGradients(
  layers: DenseLayer[],
  masks: tf.Tensor2D[],
  batch: number,
  lambda: number,
  grads: Map<string, tf.Tensor>,
  imageColumns: tf.Tensor2D | null = null,
): { gp: tf.Scalar; norms: tf.Tensor1D } {
  const K = layers.length;
  // forward through the closed form; us[k] is the masked matrix that multiplies W_{k−1}ᵀ
  // (us[K−1] = m_{K−2} ⊙ W_{K−1}ᵀ, …, us[1] = m_0 ⊙ (us[2] W_1ᵀ), g = us[1] W_0ᵀ)
  const us: tf.Tensor2D[] = new Array(K);
  let u = tf.mul(masks[K - 2], tf.reshape(layers[K - 1].kernel, [1, -1])) as tf.Tensor2D; // [B, n_{K−1}]
  us[K - 1] = u;
  for (let k = K - 2; k >= 1; k--) {
    u = tf.mul(matMulTransposeB(u, layers[k].kernel as unknown as tf.Tensor2D), masks[k - 1]) as tf.Tensor2D;
    us[k] = u;
  }
  // a conditional critic's penalty sees the image columns of ∇D only: the label columns of g are zeroed (a
  // [1, d + K] mask of ones and zeros), so they add neither to the norm nor to any weight gradient
  const gFull = matMulTransposeB(u, layers[0].kernel as unknown as tf.Tensor2D); // [B, d]
  const g = imageColumns ? (tf.mul(gFull, imageColumns) as tf.Tensor2D) : gFull;
  const norms = tf.sqrt(tf.sum(tf.square(g), 1)) as tf.Tensor1D;
  const gp = tf.mul(tf.mean(tf.square(tf.sub(norms, 1))), lambda) as tf.Scalar;
  // backward: dGP/dg_i = (2λ/B)(‖g_i‖ − 1) g_i / ‖g_i‖, and 0 where ‖g_i‖ = 0 (torch's norm backward; a ReLU
  // critic that is dead on an interpolate has g_i = 0 exactly, and 0/0 would poison every weight with NaN)
  const coef = tf.where(tf.greater(norms, 0), tf.div(tf.sub(norms, 1), tf.maximum(norms, 1e-30)), tf.zerosLike(norms));
  const dU = tf.mul(g, tf.reshape(tf.mul(coef, (2 * lambda) / batch), [batch, 1])) as tf.Tensor2D; // dL/dg
  // g = u_1 W_1ᵀ: dW_1 = dgᵀ u_1, du_1 = dg W_1
  accumulate(grads, layers[0].kernelName, matMulTransposeA(dU, us[1]));
  let du = tf.matMul(dU, layers[0].kernel as unknown as tf.Tensor2D) as tf.Tensor2D;
  for (let k = 1; k <= K - 2; k++) {
    // u_k = m_k ⊙ (u_{k+1} W_{k+1}ᵀ): dv = m_k ⊙ du_k; dW_{k+1} = dvᵀ u_{k+1}; du_{k+1} = dv W_{k+1}
    const dv = tf.mul(du, masks[k - 1]) as tf.Tensor2D;
    accumulate(grads, layers[k].kernelName, matMulTransposeA(dv, us[k + 1]));
    du = tf.matMul(dv, layers[k].kernel as unknown as tf.Tensor2D) as tf.Tensor2D;
  }
  // u_{K−1} = m_{K−1} ⊙ W_Kᵀ: dW_K = Σ_i (m_{K−1} ⊙ du_{K−1})_i, as a column
  accumulate(grads, layers[K - 1].kernelName, tf.reshape(tf.sum(tf.mul(du, masks[K - 2]), 0), [-1, 1]));
  return { gp, norms };
}

export interface TfjsManualTrainerOptions extends WganStepSettings {
  generator: Network;
  critic: Network;
  images: Float32Array;
  imageCount: number;
  latentDim: number;
}

export class TfjsManualTrainer implements Trainer<IterationStats> {
  readonly statFields = STAT_FIELDS;
  readonly lossFields = GAN_LOSS_FIELDS;
  readonly runningFields = GAN_RUNNING_FIELDS;
  readonly implementation = 'tfjs-manual';
  private readonly g: DenseLayer[];
  private readonly d: DenseLayer[];
  private readonly optG: Optimizer;
  private readonly optD: Optimizer;
  private readonly dim: number;
  private readonly stats = new StatsQueue(STAT_FIELDS);
  private readonly criticWeightCount: number;
  /** Conditional runs: [1, d + K], 1 on the image columns and 0 on the label columns. */
  private readonly imageColumns: tf.Tensor2D | null;

  constructor(private readonly o: TfjsManualTrainerOptions) {
    if (!supportsManualMlp(o.generator, o.critic))
      throw new Error('tfjs-manual needs dense-chain networks with LeakyReLU/ReLU hidden layers and a scalar critic');
    this.g = denseLayers(o.generator);
    this.d = denseLayers(o.critic);
    this.optG = createOptimizer(o.optimizerG);
    this.optD = createOptimizer(o.optimizerD);
    this.dim = o.images.length / o.imageCount;
    this.criticWeightCount = o.critic.trainable().reduce((s, v) => s + v.size, 0);
    const K = o.classes ?? 0;
    this.imageColumns =
      K > 0
        ? tf.tensor2d(
            Float32Array.from({ length: this.dim + K }, (_, j) => (j < this.dim ? 1 : 0)),
            [1, this.dim + K],
          )
        : null;
  }

  /** G's input: z [B, d_z], or [z | onehot(labels)] for a conditional run. */
  private generatorInput(z: Float32Array, labels: Int32Array | undefined): tf.Tensor2D {
    const { batchSize: B, latentDim, classes = 0 } = this.o;
    if (classes === 0) return tf.tensor2d(z, [B, latentDim]);
    if (!labels) throw new Error('a conditional step needs the iteration labels (IterationInputs.labels)');
    return tf.tensor2d(withOneHot(z, latentDim, labels, classes), [B, latentDim + classes]);
  }

  /** The one-hot rows of a conditional step's labels [B, K] (null for an unconditional run). */
  private hot(labels: Int32Array | undefined): tf.Tensor2D | null {
    const K = this.o.classes ?? 0;
    return K > 0 ? tf.tensor2d(oneHot(labels!, K), [labels!.length, K]) : null;
  }

  /** Rows of the training set gathered on the CPU (cheaper than a device gather on wasm). */
  private batch(indices: Uint32Array): tf.Tensor2D {
    const out = new Float32Array(indices.length * this.dim);
    indices.forEach((k, i) => out.set(this.o.images.subarray(k * this.dim, (k + 1) * this.dim), i * this.dim));
    return tf.tensor2d(out, [indices.length, this.dim]);
  }

  private apply(opt: Optimizer, layers: DenseLayer[], grads: Map<string, tf.Tensor>): void {
    const params = layers.flatMap((l) => [
      { name: l.kernelName, variable: l.kernel },
      { name: l.biasName, variable: l.bias },
    ]);
    opt.apply(
      params,
      params.map((p) => grads.get(p.name) as tf.Tensor),
    );
  }

  /** One critic step; returns [lossD, dReal, dFake, gp, normMean, normStd] (kept). */
  private criticStep(indices: Uint32Array, z: Float32Array, eps: Float32Array, labels?: Int32Array): tf.Tensor1D {
    const { batchSize: B, loss, lambda } = this.o;
    const grads = new Map<string, tf.Tensor>();
    const stats = tf.tidy(() => {
      const real = this.batch(indices);
      const fake = forward(this.g, this.generatorInput(z, labels)).output;
      const hot = this.hot(labels);
      const withLabels = (v: tf.Tensor2D, h: tf.Tensor2D | null) => (h ? (tf.concat([v, h], 1) as tf.Tensor2D) : v);
      const x = withLabels(
        tf.concat([real, fake], 0) as tf.Tensor2D,
        hot ? (tf.concat([hot, hot], 0) as tf.Tensor2D) : null,
      );
      const f = forward(this.d, x);
      const scores = f.output; // [2B, 1]
      const dReal = tf.mean(scores.slice([0, 0], [B, 1]));
      const dFake = tf.mean(scores.slice([B, 0], [B, 1]));
      // d(mean D(x̃) − mean D(x))/dscore: −1/B on real rows, +1/B on fake rows
      const dScores = tf.concat([tf.fill([B, 1], -1 / B), tf.fill([B, 1], 1 / B)], 0) as tf.Tensor2D;
      backward(this.d, f, dScores, grads, false);
      let lossD = tf.sub(dFake, dReal) as tf.Scalar;
      let gp: tf.Scalar = tf.scalar(0);
      let normMean: tf.Scalar = tf.scalar(NaN);
      let normStd: tf.Scalar = tf.scalar(NaN);
      if (loss === 'gp') {
        const e = tf.tensor2d(eps, [B, 1]);
        const xhat = tf.add(tf.mul(e, real), tf.mul(tf.sub(1, e), fake)) as tf.Tensor2D;
        const p = penaltyAndGradients(
          this.d,
          masksOnly(this.d, withLabels(xhat, hot)),
          B,
          lambda,
          grads,
          this.imageColumns,
        );
        gp = p.gp;
        lossD = tf.add(lossD, gp) as tf.Scalar;
        const { mean, variance } = tf.moments(p.norms);
        normMean = mean as tf.Scalar;
        normStd = tf.sqrt(variance) as tf.Scalar; // population std, E6's estimator (diagnostics.ts)
      }
      for (const [k, v] of grads) grads.set(k, tf.keep(v));
      return tf.stack([lossD, dReal, dFake, gp, normMean, normStd]) as tf.Tensor1D;
    });
    this.apply(this.optD, this.d, grads);
    tf.dispose([...grads.values()]);
    if (loss === 'clip') {
      const c = this.o.clipValue;
      for (const l of this.d) for (const v of [l.kernel, l.bias]) tf.tidy(() => v.assign(tf.clipByValue(v, -c, c)));
    }
    return stats;
  }

  /** One generator step: L_G = −mean D(G(z)); returns L_G (kept). */
  private generatorStep(z: Float32Array, labels?: Int32Array): tf.Scalar {
    const { batchSize: B } = this.o;
    const grads = new Map<string, tf.Tensor>();
    const lossG = tf.tidy(() => {
      const fg = forward(this.g, this.generatorInput(z, labels));
      const hot = this.hot(labels);
      const fd = forward(this.d, hot ? (tf.concat([fg.output, hot], 1) as tf.Tensor2D) : fg.output);
      const dxAll = backward(this.d, fd, tf.fill([B, 1], -1 / B) as tf.Tensor2D, new Map(), true) as tf.Tensor2D;
      // a conditional critic's input gradient: the image columns reach G, the label columns do not
      const dx = hot ? dxAll.slice([0, 0], [B, this.dim]) : dxAll;
      backward(this.g, fg, dx, grads, false);
      for (const [k, v] of grads) grads.set(k, tf.keep(v));
      return tf.neg(tf.mean(fd.output)) as tf.Scalar;
    });
    this.apply(this.optG, this.g, grads);
    tf.dispose([...grads.values()]);
    return lossG;
  }

  iteration(inputs: IterationInputs): void {
    const steps: tf.Tensor1D[] = [];
    for (let c = 0; c < this.o.nCritic; c++)
      steps.push(this.criticStep(inputs.indices[c], inputs.zCritic[c], inputs.eps[c], inputs.labels?.critic[c]));
    const lossG = this.generatorStep(inputs.zGen, inputs.labels?.gen);
    const params = this.d.flatMap((l) => [l.kernel, l.bias]);
    const clip =
      this.o.loss === 'clip' ? clipFraction(params, this.o.clipValue, this.criticWeightCount) : tf.scalar(NaN);
    this.stats.push(ganIterationRecord(steps, lossG, clip));
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
    return generateWith((zT) => forward(this.g, zT).output, z, n, this.o.generator.spec.inputSize);
  }

  dispose(): void {
    this.stats.dispose();
    this.imageColumns?.dispose();
    this.optG.dispose();
    this.optD.dispose();
  }
}
