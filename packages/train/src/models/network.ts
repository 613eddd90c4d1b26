import { tf } from '@wgan/core/backend';
import type { Rng } from '@wgan/core';
import { convTranspose2dSubpixel } from './conv-transpose.js';
import { paramSpecs, sizeOf, type InitSpec, type LayerSpec, type NetworkSpec, type ParamSpec } from './spec.js';

/**
 * A network built from a NetworkSpec: its parameters as tf.Variables (named "<layer>.<param>") and a
 * generic forward pass made of stock tfjs ops, differentiable by tfjs's autodiff. The fast training
 * paths (closed-form penalty, fused WebGPU) read the same variables.
 */
export class Network {
  private constructor(
    readonly spec: NetworkSpec,
    /** Every parameter and state variable, in paramSpecs order. */
    readonly variables: Map<string, tf.Variable>,
  ) {}

  /** A freshly initialised network (weights drawn from `rng`, so identical on every backend). */
  static create(spec: NetworkSpec, rng: Rng, namePrefix = spec.role): Network {
    const values = initialValues(spec, rng);
    return Network.fromValues(spec, values, namePrefix);
  }

  /** A network with the given parameter values (from a checkpoint). Missing or misshapen values throw. */
  static fromValues(spec: NetworkSpec, values: Map<string, Float32Array>, namePrefix = spec.role): Network {
    const variables = new Map<string, tf.Variable>();
    for (const p of paramSpecs(spec)) {
      const v = values.get(p.name);
      if (!v) throw new Error(`no value for parameter ${p.name}`);
      if (v.length !== sizeOf(p.shape))
        throw new Error(
          `parameter ${p.name} has ${v.length} values, expected ${sizeOf(p.shape)} for shape [${p.shape}]`,
        );
      const initial = tf.tensor(v, p.shape, 'float32');
      variables.set(p.name, tf.variable(initial, p.trainable, `${namePrefix}/${p.name}/${uniqueSuffix()}`));
      initial.dispose(); // the variable holds its own copy
    }
    return new Network(spec, variables);
  }

  get(name: string): tf.Variable {
    const v = this.variables.get(name);
    if (!v) throw new Error(`network has no parameter ${name}`);
    return v;
  }

  /** Trainable variables, in order (what optimisers update and E4 concatenates). */
  trainable(): tf.Variable[] {
    return paramSpecs(this.spec)
      .filter((p) => p.trainable)
      .map((p) => this.get(p.name));
  }

  /** Trainable parameter names, in the same order as trainable(). */
  trainableNames(): string[] {
    return paramSpecs(this.spec)
      .filter((p) => p.trainable)
      .map((p) => p.name);
  }

  /**
   * Forward pass: x [N, inputSize] → [N, outputSize]. In training mode dropout is active and BatchNorm
   * uses batch statistics; the batch statistics are pushed to `batchStats` (the caller updates the running
   * averages outside any gradient tape, see updateBatchNormStats). `layers` stops after that many layers
   * (a VAE decoder's logits are its output before the final sigmoid); the result is then [N, features].
   * `trace` collects each layer's per-example output shape.
   */
  apply(
    x: tf.Tensor,
    options: { training?: boolean; seed?: number; batchStats?: BatchStat[]; layers?: number; trace?: number[][] } = {},
  ): tf.Tensor2D {
    const training = options.training ?? false;
    const count = options.layers ?? this.spec.layers.length;
    let h: tf.Tensor = x;
    const layers = this.spec.layers;
    for (let i = 0; i < count; i++) {
      const next = i + 1 < count ? layers[i + 1] : undefined;
      if (
        next?.type === 'maxPool2d' &&
        (layers[i].type === 'relu' || (layers[i].type === 'leakyRelu' && (layers[i] as { alpha: number }).alpha > 0))
      ) {
        // pool, then activate: a monotone activation commutes with max (same values, same argmax), and
        // runs on 4× fewer values — the DCGAN critic's LeakyReLU → maxpool pairs
        options.trace?.push(h.shape.slice(1));
        h = applyLayer(next, i + 1, h, this, training, options);
        h = applyLayer(layers[i], i, h, this, training, options);
        options.trace?.push(h.shape.slice(1));
        i++;
        continue;
      }
      h = applyLayer(layers[i], i, h, this, training, options);
      options.trace?.push(h.shape.slice(1)); // per-example shape after each layer (tests, docs)
    }
    return h.reshape([h.shape[0], count === layers.length ? this.spec.outputSize : -1]) as tf.Tensor2D;
  }

  /** Current values of every parameter and state variable. */
  async readValues(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [name, v] of this.variables) out.set(name, (await v.data()) as Float32Array);
    return out;
  }

  /** Overwrites every variable with the given values (a resumed checkpoint, or a copy for E4). */
  assign(values: Map<string, Float32Array>): void {
    for (const [name, v] of this.variables) {
      const value = values.get(name);
      if (!value) throw new Error(`no value for parameter ${name}`);
      tf.tidy(() => v.assign(tf.tensor(value, v.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
  }
}

const SUBPIXEL_BACKENDS = new Set(['wasm', 'cpu']);

let counter = 0;
function uniqueSuffix(): string {
  return String(counter++);
}

/** One BatchNorm layer's statistics in a training-mode forward pass (biased variance, as normalised with). */
export interface BatchStat {
  layer: number;
  /** Values per feature the statistics were taken over: N for [N, F], N·H·W for [N, H, W, C]. */
  count: number;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

function applyLayer(
  layer: LayerSpec,
  i: number,
  h: tf.Tensor,
  net: Network,
  training: boolean,
  options: { seed?: number; batchStats?: BatchStat[] },
): tf.Tensor {
  const n = h.shape[0];
  switch (layer.type) {
    case 'dense':
      return tf.add(tf.matMul(h.reshape([n, layer.inputs]), net.get(`${i}.kernel`)), net.get(`${i}.bias`));
    case 'leakyRelu':
      return tf.leakyRelu(h, layer.alpha);
    case 'relu':
      return tf.relu(h);
    case 'tanh':
      return tf.tanh(h);
    case 'sigmoid':
      return tf.sigmoid(h);
    case 'dropout':
      return training && layer.rate > 0
        ? tf.dropout(h, layer.rate, undefined, options.seed === undefined ? undefined : options.seed + i)
        : h;
    case 'reshape':
      return h.reshape([n, ...layer.shape]);
    case 'flatten':
      return h.reshape([n, -1]);
    case 'batchNorm': {
      const axes = h.shape.slice(0, -1).map((_, k) => k);
      const gamma = net.get(`${i}.gamma`);
      const beta = net.get(`${i}.beta`);
      if (training) {
        const { mean, variance } = tf.moments(h, axes);
        const count = axes.reduce((c, k) => c * h.shape[k], 1);
        options.batchStats?.push({
          layer: i,
          count,
          mean: tf.keep(mean as tf.Tensor1D),
          variance: tf.keep(variance as tf.Tensor1D),
        });
        // (x − μ)·γ/√(σ² + ε) + β with broadcasting ops: the same numbers as tf.batchNorm, whose gradient
        // tiles its per-feature factors to the input's size (wasm's Tile: ~0.3 s per DCGAN layer)
        const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, layer.epsilon)));
        return tf.add(tf.mul(tf.sub(h, mean), scale), beta);
      }
      return tf.batchNorm(h, net.get(`${i}.movingMean`), net.get(`${i}.movingVariance`), beta, gamma, layer.epsilon);
    }
    case 'conv2d':
      return tf.add(
        tf.conv2d(h as tf.Tensor4D, net.get(`${i}.kernel`) as tf.Tensor4D, layer.stride, layer.padding),
        net.get(`${i}.bias`),
      );
    case 'maxPool2d':
      return tf.maxPool(h as tf.Tensor4D, layer.size, layer.stride, 'valid');
    case 'convTranspose2d': {
      const [, hIn, wIn] = h.shape as number[];
      const hOut = (hIn - 1) * layer.stride - 2 * layer.padding + layer.kernel;
      const wOut = (wIn - 1) * layer.stride - 2 * layer.padding + layer.kernel;
      if (layer.kernel - layer.stride !== 2 * layer.padding)
        throw new Error(`convTranspose2d: only padding = (kernel − stride) / 2 maps onto tfjs's 'same' (layer ${i})`);
      const kernel = net.get(`${i}.kernel`) as tf.Tensor4D;
      // wasm/cpu: one XNNPACK conv2d + interleave (their conv2dTranspose kernel is a plain loop); the same numbers
      const y = SUBPIXEL_BACKENDS.has(tf.getBackend())
        ? convTranspose2dSubpixel(h as tf.Tensor4D, kernel, layer.stride, layer.padding)
        : tf.conv2dTranspose(h as tf.Tensor4D, kernel, [n, hOut, wOut, layer.filters], layer.stride, 'same');
      return tf.add(y, net.get(`${i}.bias`));
    }
  }
}

/**
 * PyTorch's update of BatchNorm running statistics: running = (1 − momentum)·running + momentum·batch,
 * with the unbiased batch variance (n / (n − 1) × the biased one, n = values per feature). Disposes the
 * batch stats. Call it outside any gradient tape, once per training-mode forward pass (PyTorch updates
 * on every forward in train mode).
 */
export function updateBatchNormStats(net: Network, stats: BatchStat[]): void {
  for (const s of stats) {
    const layer = net.spec.layers[s.layer];
    if (layer.type !== 'batchNorm') continue;
    const m = layer.momentum;
    const mean = net.get(`${s.layer}.movingMean`);
    const variance = net.get(`${s.layer}.movingVariance`);
    tf.tidy(() => {
      mean.assign(tf.add(tf.mul(mean, 1 - m), tf.mul(s.mean, m)));
      const unbiased = tf.mul(s.variance, s.count / Math.max(1, s.count - 1));
      variance.assign(tf.add(tf.mul(variance, 1 - m), tf.mul(unbiased, m)));
    });
    s.mean.dispose();
    s.variance.dispose();
  }
}

/** Fan-in of a parameter as PyTorch computes it for its default initialisation. */
function fanIn(layer: LayerSpec): number {
  switch (layer.type) {
    case 'dense':
      return layer.inputs;
    case 'conv2d':
      return layer.inChannels * layer.kernel * layer.kernel;
    case 'convTranspose2d':
      // PyTorch's ConvTranspose2d weight is [in, out, k, k]; its fan_in is computed from dim 1 (out).
      return layer.filters * layer.kernel * layer.kernel;
    default:
      return 1;
  }
}

function fanOut(layer: LayerSpec): number {
  switch (layer.type) {
    case 'dense':
      return layer.units;
    case 'conv2d':
      return layer.filters * layer.kernel * layer.kernel;
    case 'convTranspose2d':
      return layer.inChannels * layer.kernel * layer.kernel;
    default:
      return 1;
  }
}

/** Initial values of every parameter, drawn from `rng` in paramSpecs order (weights, then bias, per layer). */
export function initialValues(spec: NetworkSpec, rng: Rng): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  for (const p of paramSpecs(spec)) values.set(p.name, initialValue(spec, p, spec.init, rng));
  return values;
}

function initialValue(spec: NetworkSpec, p: ParamSpec, init: InitSpec, rng: Rng): Float32Array {
  const [index, kind] = p.name.split('.');
  const layer = spec.layers[Number(index)];
  const out = new Float32Array(sizeOf(p.shape));
  if (kind === 'gamma' || kind === 'movingVariance') return out.fill(1);
  if (kind === 'beta' || kind === 'movingMean') return out;
  const isBias = kind === 'bias';
  switch (init.scheme) {
    case 'torch-default': {
      const bound = 1 / Math.sqrt(fanIn(layer));
      return rng.fillUniform(out, -bound, bound);
    }
    case 'normal':
      return isBias ? out : rng.fillNormal(out, 0, init.std);
    case 'xavier-uniform': {
      if (isBias) return out;
      const bound = Math.sqrt(6 / (fanIn(layer) + fanOut(layer)));
      return rng.fillUniform(out, -bound, bound);
    }
  }
}
