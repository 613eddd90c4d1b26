/**
 * Networks as data: a sequential list of layers, stored in every checkpoint, from which train, export,
 * evaluate and serve rebuild the model without the flags of the original run (nanoGPT keeps its model
 * args in the checkpoint for the same reason).
 *
 * Conventions (tfjs's): dense kernels are [inputs, units] (y = x·W + b); images are NHWC; conv kernels
 * are [kh, kw, inChannels, filters]; transposed-conv kernels are [kh, kw, filters, inChannels]. Parameter
 * names are `<layer index>.<param>` ("0.kernel", "0.bias", "3.gamma"), like a PyTorch state_dict.
 * Every network maps a flat example to a flat example: generators z [N, d_z] → images [N, 784] in
 * [−1, 1] (row-major 28×28, the same bytes as [N, 1, 28, 28] and [N, 28, 28, 1]); critics [N, 784] → [N, 1].
 */
export type LayerSpec =
  | { type: 'dense'; inputs: number; units: number }
  | { type: 'leakyRelu'; alpha: number }
  | { type: 'relu' }
  | { type: 'tanh' }
  | { type: 'sigmoid' }
  | { type: 'dropout'; rate: number }
  /** Per-example reshape, e.g. [784] → [28, 28, 1], or [6272] → [7, 7, 128]. */
  | { type: 'reshape'; shape: number[] }
  | { type: 'flatten' }
  /** Batch normalisation over the last axis (features or channels); running stats as state. */
  | { type: 'batchNorm'; features: number; epsilon: number; momentum: number }
  | { type: 'conv2d'; inChannels: number; filters: number; kernel: number; stride: number; padding: 'valid' | 'same' }
  | { type: 'maxPool2d'; size: number; stride: number }
  /** PyTorch ConvTranspose2d(k, stride, padding): output = (in − 1)·stride − 2·padding + k. */
  | { type: 'convTranspose2d'; inChannels: number; filters: number; kernel: number; stride: number; padding: number };

export type LayerType = LayerSpec['type'];

export interface NetworkSpec {
  /** "generator", "critic", "discriminator", "encoder", "decoder", "classifier". */
  role: string;
  /** Per-example input and output sizes (flat). */
  inputSize: number;
  outputSize: number;
  layers: LayerSpec[];
  /** How the weights were initialised (documentation; the values are in the checkpoint). */
  init: InitSpec;
}

/**
 * - `torch-default`: PyTorch's nn.Linear / nn.Conv2d default, W and b ~ U(−1/√fan_in, 1/√fan_in)
 *   (kaiming_uniform with a = √5 gives exactly this bound for W).
 * - `normal`: W ~ N(0, std²), b = 0 (seed 004's networks).
 * - `xavier-uniform`: W ~ U(±√(6/(fan_in + fan_out))), b = 0 (seed 002's DCGAN initialiser).
 * BatchNorm always starts at γ = 1, β = 0, running mean 0, running variance 1.
 */
export type InitSpec = { scheme: 'torch-default' } | { scheme: 'normal'; std: number } | { scheme: 'xavier-uniform' };

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Trainable parameter (true) or state such as BatchNorm running statistics (false). */
  trainable: boolean;
}

/** The parameters and state a network holds, in order. */
export function paramSpecs(spec: NetworkSpec): ParamSpec[] {
  const out: ParamSpec[] = [];
  spec.layers.forEach((layer, i) => {
    switch (layer.type) {
      case 'dense':
        out.push(
          { name: `${i}.kernel`, shape: [layer.inputs, layer.units], trainable: true },
          { name: `${i}.bias`, shape: [layer.units], trainable: true },
        );
        break;
      case 'conv2d':
        out.push(
          {
            name: `${i}.kernel`,
            shape: [layer.kernel, layer.kernel, layer.inChannels, layer.filters],
            trainable: true,
          },
          { name: `${i}.bias`, shape: [layer.filters], trainable: true },
        );
        break;
      case 'convTranspose2d':
        out.push(
          {
            name: `${i}.kernel`,
            shape: [layer.kernel, layer.kernel, layer.filters, layer.inChannels],
            trainable: true,
          },
          { name: `${i}.bias`, shape: [layer.filters], trainable: true },
        );
        break;
      case 'batchNorm':
        out.push(
          { name: `${i}.gamma`, shape: [layer.features], trainable: true },
          { name: `${i}.beta`, shape: [layer.features], trainable: true },
          { name: `${i}.movingMean`, shape: [layer.features], trainable: false },
          { name: `${i}.movingVariance`, shape: [layer.features], trainable: false },
        );
        break;
      default:
        break;
    }
  });
  return out;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Trainable parameter count (E3's n_G and n_D). */
export function countTrainable(spec: NetworkSpec): number {
  return paramSpecs(spec)
    .filter((p) => p.trainable)
    .reduce((s, p) => s + sizeOf(p.shape), 0);
}

/** True when the network is a chain of dense layers with pointwise activations only (the fast paths). */
export function isDenseChain(spec: NetworkSpec): boolean {
  return spec.layers.every((l) => ['dense', 'leakyRelu', 'relu', 'tanh', 'sigmoid'].includes(l.type));
}

/**
 * The range a network's output is guaranteed to lie in, from its last layer that changes values: tanh
 * [−1, 1], sigmoid [0, 1], otherwise null (unbounded). export writes it into its manifest (`range`).
 */
export function outputRange(spec: NetworkSpec): [number, number] | null {
  const last = [...spec.layers]
    .reverse()
    .find((l) => l.type !== 'dropout' && l.type !== 'reshape' && l.type !== 'flatten');
  if (last?.type === 'tanh') return [-1, 1];
  if (last?.type === 'sigmoid') return [0, 1];
  return null;
}

/**
 * The pipeline's image scale is [−1, 1] (data-prep's shards, snapshots, evaluate's classifier input
 * (x + 1)/2, render, serve). A generator's or decoder's output y in [lo, hi] = outputRange(spec) maps to
 * it as 2(y − lo)/(hi − lo) − 1: a VAE decoder's sigmoid output λ ∈ [0, 1] becomes 2λ − 1; tanh and
 * unbounded outputs are left as they are. Rewrites `values` in place and returns it.
 */
export function toPipelineScale(values: Float32Array, range: [number, number] | null): Float32Array {
  if (!range || (range[0] === -1 && range[1] === 1)) return values;
  const [lo, hi] = range;
  for (let i = 0; i < values.length; i++) values[i] = (2 * (values[i] - lo)) / (hi - lo) - 1;
  return values;
}
