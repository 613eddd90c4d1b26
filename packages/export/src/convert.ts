import { PipelineError } from '@wgan/core';
import { sizeOf, type LayerSpec, type NetworkSpec } from '@wgan/train';
import { GraphBuilder, type ValueInfo } from '@wgan/train';

/**
 * NetworkSpec + parameter values → an ONNX graph that computes what tfjs's `Network.apply` computes in
 * inference mode (dropout off, BatchNorm on its running statistics).
 *
 * Layouts. tfjs keeps images NHWC, with conv kernels [kh, kw, in, out] and transposed-conv kernels
 * [kh, kw, out, in]; ONNX's Conv / ConvTranspose / MaxPool / BatchNormalization want NCHW with kernels
 * [out, in, kh, kw] (Conv) and [in, out, kh, kw] (ConvTranspose). The converter tracks, for the current
 * value, its per-example tfjs shape and whether it is stored as tfjs stores it or channel-first, and
 * inserts a Transpose only where the layout must change: before a conv-type op (NHWC → NCHW) and before
 * a reshape, flatten or dense (NCHW → NHWC), so every flatten has tfjs's NHWC element order. Kernels are
 * permuted once, at export time.
 */

/** The public names and per-example shapes of a model's input and output. */
export interface ModelIo {
  input: { name: string; shape: number[] };
  output: { name: string; shape: number[] };
}

/**
 * Names by role (what serve and evaluate look for):
 *   generator, decoder: z [N, d_z] → image [N, 1, 28, 28] in [−1, 1] (decoder: sigmoid's [0, 1])
 *   critic:             image [N, 1, 28, 28] → score [N, 1]
 *   discriminator:      image [N, 1, 28, 28] → logit [N, 1]
 *   anything else:      input [N, inputSize] → output [N, outputSize]
 * 784-long vectors are exposed as [1, 28, 28] images (the same bytes as tfjs's flat [784] and its NHWC
 * [28, 28, 1]), so a generator's output feeds a critic's input as it is.
 */
export function ioForRole(spec: NetworkSpec, classes = 0): ModelIo {
  const imageShape = (size: number) => (size === 784 ? [1, 28, 28] : [size]);
  // a conditional network's first input is the part before the label's one-hot columns
  const inputSize = spec.inputSize - classes;
  switch (spec.role) {
    case 'generator':
    case 'decoder':
      return {
        input: { name: 'z', shape: [inputSize] },
        output: { name: 'image', shape: imageShape(spec.outputSize) },
      };
    case 'critic':
      return {
        input: { name: 'image', shape: imageShape(inputSize) },
        output: { name: 'score', shape: [spec.outputSize] },
      };
    case 'discriminator':
      return {
        input: { name: 'image', shape: imageShape(inputSize) },
        output: { name: 'logit', shape: [spec.outputSize] },
      };
    default:
      return {
        input: { name: 'input', shape: [inputSize] },
        output: { name: 'output', shape: [spec.outputSize] },
      };
  }
}

export interface ConvertedModel {
  bytes: Uint8Array;
  io: ModelIo;
  /** ONNX value infos with the dynamic batch axis "N" first. */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Op types in the graph, in order of first use. */
  opTypes: string[];
}

/** The second input of a conditional model: the class labels, int64 [N] in 0..K − 1. */
export const LABEL_INPUT = 'label';

export interface ConvertOptions {
  io?: ModelIo;
  /**
   * K of a conditional network (train --conditional): the model takes (input, label) with label int64 [N],
   * and computes the network on [input | onehot(label)] (a Gather of the K × K identity, then a Concat).
   */
  classes?: number;
  producerVersion: string;
  docString?: string;
  metadata?: Record<string, string>;
}

/** tfjs-layout (`tfjs`, as Network.apply holds it) or channel-first (`nchw`, rank-3 shapes [H, W, C] only). */
type Layout = 'tfjs' | 'nchw';

/** Converts a network; every parameter must be present in `values` with its spec's size. */
export function networkToOnnx(
  spec: NetworkSpec,
  values: Map<string, Float32Array>,
  options: ConvertOptions,
): ConvertedModel {
  const classes = options.classes ?? 0;
  const io = options.io ?? ioForRole(spec, classes);
  if (sizeOf(io.input.shape) !== spec.inputSize - classes)
    throw new Error(`input shape [${io.input.shape}] does not hold ${spec.inputSize - classes} values`);
  if (sizeOf(io.output.shape) !== spec.outputSize)
    throw new Error(`output shape [${io.output.shape}] does not hold ${spec.outputSize} values`);
  const g = new GraphBuilder(spec.role);
  const param = (name: string): Float32Array => {
    const v = values.get(name);
    if (!v)
      throw new PipelineError(
        `parameter ${name} is missing`,
        name,
        'the checkpoint does not match its spec: export another one',
      );
    return v;
  };

  let value = g.reserve(io.input.name);
  /** Per-example shape in tfjs terms (no batch axis). */
  let shape: number[] = [...io.input.shape];
  let layout: Layout = 'tfjs';

  const toTfjs = (stem: string) => {
    if (layout === 'nchw') {
      value = g.node('Transpose', [value], `${stem}_nhwc`, { perm: [0, 2, 3, 1] });
      layout = 'tfjs';
    }
  };
  const toNchw = (stem: string, i: number, what: string) => {
    if (shape.length !== 3)
      throw new PipelineError(
        `layer ${i} (${what}) needs an image [H, W, C], got [${shape}]`,
        `spec.layers[${i}]`,
        'add a reshape layer before it',
      );
    if (layout === 'tfjs') {
      value = g.node('Transpose', [value], `${stem}_nchw`, { perm: [0, 3, 1, 2] });
      layout = 'nchw';
    }
  };
  const reshape = (stem: string, target: number[], i: number | 'input' | 'output') => {
    toTfjs(stem);
    if (sizeOf(target) !== sizeOf(shape))
      throw new PipelineError(
        `cannot reshape [${shape}] to [${target}]`,
        typeof i === 'number' ? `spec.layers[${i}]` : i,
        'the spec is inconsistent',
      );
    if (target.join() === shape.join()) return;
    value = g.node('Reshape', [value, g.int64Initializer(`${stem}_shape`, [-1, ...target])], stem);
    shape = [...target];
  };

  if (classes > 0) {
    // [input | onehot(label)]: rows of the K × K identity gathered by label, joined to the flat input
    reshape('input_flat', [spec.inputSize - classes], 'input');
    const identity = new Float32Array(classes * classes);
    for (let k = 0; k < classes; k++) identity[k * classes + k] = 1;
    const hot = g.node(
      'Gather',
      [g.floatInitializer('label_one_hot', [classes, classes], identity), g.reserve(LABEL_INPUT)],
      'label_hot',
      { axis: 0 },
    );
    value = g.node('Concat', [value, hot], 'input_label', { axis: 1 });
    shape = [spec.inputSize];
  } else {
    reshape('input_flat', [spec.inputSize], 'input');
  }

  spec.layers.forEach((layer: LayerSpec, i) => {
    const stem = `l${i}_${layer.type}`;
    switch (layer.type) {
      case 'dense': {
        if (shape.length !== 1) reshape(`${stem}_flat`, [layer.inputs], i);
        if (shape[0] !== layer.inputs)
          throw new PipelineError(
            `dense layer ${i} expects ${layer.inputs} inputs, gets ${shape[0]}`,
            `spec.layers[${i}]`,
            'the spec is inconsistent',
          );
        // y = x·W + b with W [in, out] (tfjs's layout): Gemm with transB = 0, no weight transpose.
        const w = g.floatInitializer(`${i}.kernel`, [layer.inputs, layer.units], param(`${i}.kernel`));
        const b = g.floatInitializer(`${i}.bias`, [layer.units], param(`${i}.bias`));
        value = g.node('Gemm', [value, w, b], stem, { transA: 0, transB: 0, alpha: { float: 1 }, beta: { float: 1 } });
        shape = [layer.units];
        break;
      }
      case 'leakyRelu':
        value = g.node('LeakyRelu', [value], stem, { alpha: { float: layer.alpha } });
        break;
      case 'relu':
        value = g.node('Relu', [value], stem);
        break;
      case 'tanh':
        value = g.node('Tanh', [value], stem);
        break;
      case 'sigmoid':
        value = g.node('Sigmoid', [value], stem);
        break;
      case 'dropout':
        break; // identity at inference
      case 'reshape':
        reshape(stem, layer.shape, i);
        break;
      case 'flatten':
        reshape(stem, [sizeOf(shape)], i);
        break;
      case 'batchNorm': {
        if (shape[shape.length - 1] !== layer.features)
          throw new PipelineError(
            `batchNorm layer ${i} has ${layer.features} features, its input is [${shape}]`,
            `spec.layers[${i}]`,
            'the spec is inconsistent',
          );
        if (shape.length === 3) toNchw(stem, i, 'batchNorm');
        else if (shape.length !== 1)
          throw new PipelineError(
            `batchNorm over a rank-${shape.length} example [${shape}] is not exportable`,
            `spec.layers[${i}]`,
            'use batchNorm on features [F] or images [H, W, C]',
          );
        const args = ['gamma', 'beta', 'movingMean', 'movingVariance'].map((p) =>
          g.floatInitializer(`${i}.${p}`, [layer.features], param(`${i}.${p}`)),
        );
        value = g.node('BatchNormalization', [value, ...args], stem, { epsilon: { float: layer.epsilon } });
        break;
      }
      case 'conv2d': {
        toNchw(stem, i, 'conv2d');
        const [h, w, c] = shape;
        if (c !== layer.inChannels)
          throw new PipelineError(
            `conv2d layer ${i} expects ${layer.inChannels} channels, gets ${c}`,
            `spec.layers[${i}]`,
            'the spec is inconsistent',
          );
        const k = layer.kernel;
        const s = layer.stride;
        const [padH, outH] = convPadding(h, k, s, layer.padding);
        const [padW, outW] = convPadding(w, k, s, layer.padding);
        const kernel = g.floatInitializer(
          `${i}.kernel`,
          [layer.filters, layer.inChannels, k, k],
          permute(param(`${i}.kernel`), [k, k, layer.inChannels, layer.filters], [3, 2, 0, 1]),
        );
        const bias = g.floatInitializer(`${i}.bias`, [layer.filters], param(`${i}.bias`));
        // ONNX pads: [top, left, bottom, right]; tfjs's 'same' puts the odd pixel at the bottom/right.
        value = g.node('Conv', [value, kernel, bias], stem, {
          kernel_shape: [k, k],
          strides: [s, s],
          pads: [padH[0], padW[0], padH[1], padW[1]],
          dilations: [1, 1],
          group: 1,
        });
        shape = [outH, outW, layer.filters];
        break;
      }
      case 'maxPool2d': {
        toNchw(stem, i, 'maxPool2d');
        const [h, w, c] = shape;
        value = g.node('MaxPool', [value], stem, {
          kernel_shape: [layer.size, layer.size],
          strides: [layer.stride, layer.stride],
          pads: [0, 0, 0, 0],
        });
        shape = [Math.floor((h - layer.size) / layer.stride) + 1, Math.floor((w - layer.size) / layer.stride) + 1, c];
        break;
      }
      case 'convTranspose2d': {
        toNchw(stem, i, 'convTranspose2d');
        const [h, w, c] = shape;
        if (c !== layer.inChannels)
          throw new PipelineError(
            `convTranspose2d layer ${i} expects ${layer.inChannels} channels, gets ${c}`,
            `spec.layers[${i}]`,
            'the spec is inconsistent',
          );
        const { kernel: k, stride: s, padding: p } = layer;
        if (k - s !== 2 * p)
          throw new PipelineError(
            `convTranspose2d layer ${i}: only padding = (kernel − stride) / 2 is supported (tfjs's 'same')`,
            `spec.layers[${i}]`,
            'the network cannot have been trained by this pipeline',
          );
        // tfjs kernel [kh, kw, out, in] → ONNX ConvTranspose weight [in, out, kh, kw].
        const kernel = g.floatInitializer(
          `${i}.kernel`,
          [layer.inChannels, layer.filters, k, k],
          permute(param(`${i}.kernel`), [k, k, layer.filters, layer.inChannels], [3, 2, 0, 1]),
        );
        const bias = g.floatInitializer(`${i}.bias`, [layer.filters], param(`${i}.bias`));
        value = g.node('ConvTranspose', [value, kernel, bias], stem, {
          kernel_shape: [k, k],
          strides: [s, s],
          pads: [p, p, p, p],
          dilations: [1, 1],
          group: 1,
        });
        shape = [(h - 1) * s - 2 * p + k, (w - 1) * s - 2 * p + k, layer.filters];
        break;
      }
    }
  });

  if (sizeOf(shape) !== spec.outputSize)
    throw new PipelineError(
      `the layers end in [${shape}], the spec promises ${spec.outputSize} outputs`,
      'spec.outputSize',
      'the spec is inconsistent',
    );
  reshape('output_shaped', io.output.shape, 'output');
  g.output(value, io.output.name);

  const inputs: ValueInfo[] = [
    { name: io.input.name, shape: ['N', ...io.input.shape] },
    ...(classes > 0
      ? [
          {
            name: LABEL_INPUT,
            shape: ['N'],
            elemType: 'int64' as const,
            docString: `class labels 0..${classes - 1}, one per row`,
          },
        ]
      : []),
  ];
  const outputs: ValueInfo[] = [{ name: io.output.name, shape: ['N', ...io.output.shape] }];
  const bytes = g.encode({
    inputs,
    outputs,
    producerVersion: options.producerVersion,
    docString: options.docString,
    metadata: options.metadata,
  });
  return { bytes, io, inputs, outputs, opTypes: g.opTypes() };
}

/**
 * tfjs's padding for one spatial axis: 'valid' → none, out = ⌊(in − k) / s⌋ + 1; 'same' → out = ⌈in / s⌉,
 * total = max((out − 1)·s + k − in, 0), ⌊total / 2⌋ before and the rest after.
 */
export function convPadding(
  size: number,
  kernel: number,
  stride: number,
  padding: 'valid' | 'same',
): [[number, number], number] {
  if (padding === 'valid') return [[0, 0], Math.floor((size - kernel) / stride) + 1];
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [[Math.floor(total / 2), total - Math.floor(total / 2)], out];
}

/** Transposes a row-major tensor of `shape` by `perm` (out axis j = in axis perm[j]), like numpy's transpose. */
export function permute(values: Float32Array, shape: number[], perm: number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = strides(shape);
  const out = new Float32Array(values.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let j = 0; j < rank; j++) src += index[j] * inStrides[perm[j]];
    out[o] = values[src];
    for (let j = rank - 1; j >= 0; j--) {
      if (++index[j] < outShape[j]) break;
      index[j] = 0;
    }
  }
  return out;
}

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let j = shape.length - 2; j >= 0; j--) s[j] = s[j + 1] * shape[j + 1];
  return s;
}
