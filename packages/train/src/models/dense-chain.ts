import { PipelineError } from '@wgan/core';
import { paramSpecs, sizeOf, type NetworkSpec } from './spec.js';

export type ActivationKind = 'none' | 'leakyRelu' | 'relu' | 'tanh' | 'sigmoid';

/**
 * A dense chain (dense → activation → dense → ... ) as the fused trainers (WGSL, ONNX) see it: per layer its sizes,
 * the pointwise activation after it and where its kernel [in, out] and bias [out] sit in the network's
 * one flat parameter buffer. The flat order is paramSpecs order (kernel, bias, per layer), the order of
 * the weights files, so the flat buffer is the weights file's payload.
 */
export interface DenseLayer {
  /** Index of the dense layer in spec.layers (parameter names "<index>.kernel", "<index>.bias"). */
  index: number;
  inputs: number;
  units: number;
  activation: ActivationKind;
  /** LeakyReLU's negative slope (0 for the others). */
  alpha: number;
  kernelOffset: number;
  biasOffset: number;
}

export interface DenseChain {
  role: string;
  inputSize: number;
  outputSize: number;
  layers: DenseLayer[];
  /** Total parameters (the flat buffer's length). */
  size: number;
  /** Parameter name → [offset, shape] in the flat buffer, paramSpecs order. */
  params: { name: string; offset: number; shape: number[] }[];
}

const ACTIVATIONS: Record<string, ActivationKind> = {
  leakyRelu: 'leakyRelu',
  relu: 'relu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
};

/** Reads a NetworkSpec as a dense chain; anything else (conv, batchNorm, dropout, ...) is refused. */
export function denseChain(spec: NetworkSpec): DenseChain {
  const where = `${spec.role} spec`;
  const layers: DenseLayer[] = [];
  let offset = 0;
  spec.layers.forEach((layer, index) => {
    if (layer.type === 'dense') {
      const prev = layers[layers.length - 1];
      const inputs = prev ? prev.units : spec.inputSize;
      if (layer.inputs !== inputs)
        throw new PipelineError(
          `dense layer ${index} takes ${layer.inputs} inputs but receives ${inputs}`,
          where,
          'fix the layer sizes of the network spec',
        );
      layers.push({
        index,
        inputs,
        units: layer.units,
        activation: 'none',
        alpha: 0,
        kernelOffset: offset,
        biasOffset: offset + inputs * layer.units,
      });
      offset += inputs * layer.units + layer.units;
      return;
    }
    const kind = ACTIVATIONS[layer.type];
    const last = layers[layers.length - 1];
    if (!kind)
      throw new PipelineError(
        `layer ${index} (${layer.type}) is not supported by the fused trainers`,
        where,
        'use a dense chain (dense layers with leakyRelu/relu/tanh/sigmoid), or the tfjs trainer',
      );
    if (!last || last.activation !== 'none')
      throw new PipelineError(
        `activation layer ${index} does not follow a dense layer`,
        where,
        'put exactly one activation after each dense layer',
      );
    last.activation = kind;
    if (layer.type === 'leakyRelu') {
      if (!(layer.alpha >= 0))
        throw new PipelineError(
          `leakyRelu alpha ${layer.alpha} < 0`,
          where,
          'the fused backward pass reads the slope from the sign of the output: use alpha ≥ 0',
        );
      last.alpha = layer.alpha;
    }
  });
  if (layers.length === 0)
    throw new PipelineError('network has no dense layer', where, 'give the network at least one dense layer');
  const outputSize = layers[layers.length - 1].units;
  if (outputSize !== spec.outputSize)
    throw new PipelineError(
      `last dense layer has ${outputSize} units, spec.outputSize is ${spec.outputSize}`,
      where,
      'make outputSize match the last layer',
    );
  const params: DenseChain['params'] = [];
  let flat = 0;
  for (const p of paramSpecs(spec)) {
    params.push({ name: p.name, offset: flat, shape: p.shape });
    flat += sizeOf(p.shape);
  }
  if (flat !== offset) throw new Error(`internal: flat layout ${offset} ≠ paramSpecs ${flat}`);
  return { role: spec.role, inputSize: spec.inputSize, outputSize, layers, size: offset, params };
}

/** Concatenates named values into the flat layout (checking names and lengths). */
export function flatten(chain: DenseChain, values: Map<string, Float32Array>, what: string, suffix = ''): Float32Array {
  const out = new Float32Array(chain.size);
  for (const p of chain.params) {
    const name = `${p.name}${suffix}`;
    const v = values.get(name);
    const n = sizeOf(p.shape);
    if (!v)
      throw new PipelineError(
        `${what}: no value for ${name}`,
        what,
        'pass the full state of the network (every parameter of paramSpecs)',
      );
    if (v.length !== n)
      throw new PipelineError(
        `${what}: ${name} has ${v.length} values, expected ${n} for shape [${p.shape}]`,
        what,
        'the state does not match the network spec',
      );
    out.set(v, p.offset);
  }
  return out;
}

/** Splits a flat buffer's values into named copies (names get `suffix`, e.g. "/m"). */
export function unflatten(chain: DenseChain, flat: Float32Array, suffix = ''): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const p of chain.params) out.set(`${p.name}${suffix}`, flat.slice(p.offset, p.offset + sizeOf(p.shape)));
  return out;
}
