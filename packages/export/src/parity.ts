import * as ort from 'onnxruntime-node';
import { tf } from '@wgan/core/backend';
import { Network, type NetworkSpec } from '@wgan/train';

/**
 * Parity between the two implementations of a network: tfjs's `Network.apply` (inference mode, on the
 * backend tfjs currently runs) and onnxruntime-node on the exported graph, on the same inputs.
 */

/** tfjs reference: x [n, inputSize] → [n, outputSize], flat. */
export async function tfjsForward(spec: NetworkSpec, values: Map<string, Float32Array>, x: Float32Array, n: number): Promise<Float32Array> {
  const net = Network.fromValues(spec, values, `parity-${spec.role}`);
  try {
    const input = tf.tensor2d(x, [n, spec.inputSize]);
    const y = net.apply(input);
    const out = (await y.data()) as Float32Array;
    input.dispose();
    y.dispose();
    return out;
  } finally {
    net.dispose();
  }
}

/** onnxruntime: the model's single input `inputName` [n, ...inputShape] → its single output, flat. */
export async function onnxForward(session: ort.InferenceSession, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, dims) };
  const result = await session.run(feeds);
  const out = result[session.outputNames[0]];
  const data = out.data as Float32Array;
  out.dispose();
  return data;
}

/** max_i |a_i − b_i|; NaN anywhere (or a length mismatch) gives Infinity, so it never passes a bound. */
export function maxAbsError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export interface ParityResult {
  samples: number;
  maxAbsError: number;
  /** Largest |output| of the reference (the scale the error is judged against for unbounded outputs). */
  maxAbsOutput: number;
  /** The tfjs backend of the reference. */
  backend: string;
  /** ONNX outputs and tfjs outputs (flat), for callers that chain models. */
  onnx: Float32Array;
  reference: Float32Array;
}

/** Runs both on x [n, inputSize] (ONNX sees it as [n, ...inputShape]). */
export async function measureParity(spec: NetworkSpec, values: Map<string, Float32Array>, model: Uint8Array, inputShape: number[], x: Float32Array, n: number): Promise<ParityResult> {
  const reference = await tfjsForward(spec, values, x, n);
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all' });
  try {
    const onnx = await onnxForward(session, x, [n, ...inputShape]);
    return { samples: n, maxAbsError: maxAbsError(onnx, reference), maxAbsOutput: maxAbs(reference), backend: tf.getBackend(), onnx, reference };
  } finally {
    await session.release();
  }
}
