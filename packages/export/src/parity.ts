import * as ort from 'onnxruntime-node';
import { tf } from '@wgan/core/backend';
import { Network, withOneHot, type NetworkSpec } from '@wgan/train';
import { compareWithReference, referenceForward, type Reference, type ReferenceComparison } from './reference.js';

/**
 * Parity of the two float32 implementations of a network — onnxruntime-node on the exported graph and
 * tfjs's `Network.apply` (inference mode, on the backend tfjs currently runs) — each against the float64
 * evaluation of the checkpoint (reference.ts), on the same inputs.
 */

/** tfjs reference: x [n, inputSize] → [n, outputSize], flat. */
export async function tfjsForward(
  spec: NetworkSpec,
  values: Map<string, Float32Array>,
  x: Float32Array,
  n: number,
): Promise<Float32Array> {
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

/**
 * onnxruntime: the model's first input [n, ...inputShape] (and, for a conditional model, its `label`
 * input, int64 [n]) → its single output, flat.
 */
export async function onnxForward(
  session: ort.InferenceSession,
  x: Float32Array,
  dims: number[],
  labels?: ArrayLike<number>,
): Promise<Float32Array> {
  const feeds: Record<string, ort.Tensor> = { [session.inputNames[0]]: new ort.Tensor('float32', x, dims) };
  if (labels)
    feeds[session.inputNames[1]] = new ort.Tensor('int64', BigInt64Array.from(Array.from(labels), BigInt), [
      labels.length,
    ]);
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

/** One implementation's outputs against the float64 evaluation of the checkpoint. */
export interface ImplementationParity extends ReferenceComparison {
  /** Its outputs (flat), for callers that chain models. */
  output: Float32Array;
}

export interface ParityResult {
  samples: number;
  /** The tfjs backend of `tfjs`. */
  backend: string;
  /** λ of the bound D + λσ (confidenceFactor of the number of outputs). */
  lambda: number;
  /** Largest |output| of the float64 evaluation. */
  maxAbsOutput: number;
  onnxruntime: ImplementationParity;
  tfjs: ImplementationParity;
  /** The float64 evaluation of the checkpoint's network and each output's float32 rounding bound. */
  reference: Reference;
}

/**
 * Runs onnxruntime on the exported graph (x seen as [n, ...inputShape]) and tfjs's Network.apply on
 * x [n, inputSize], and compares each with the float64 evaluation of the network, output by output
 * against its float32 rounding bound (reference.ts).
 */
export async function measureParity(
  spec: NetworkSpec,
  values: Map<string, Float32Array>,
  model: Uint8Array,
  inputShape: number[],
  x: Float32Array,
  n: number,
  /** A conditional model's labels (K classes): the float64 and tfjs evaluations get [x | onehot(label)]. */
  conditional?: { labels: Int32Array; classes: number },
): Promise<ParityResult> {
  const full = conditional ? withOneHot(x, x.length / n, conditional.labels, conditional.classes) : x;
  const reference = referenceForward(spec, values, full, n);
  const tfjs = await tfjsForward(spec, values, full, n);
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all' });
  try {
    const onnx = await onnxForward(session, x, [n, ...inputShape], conditional?.labels);
    let maxAbsOutput = 0;
    for (const v of reference.value) maxAbsOutput = Math.max(maxAbsOutput, Math.abs(v));
    return {
      samples: n,
      backend: tf.getBackend(),
      lambda: reference.lambda,
      maxAbsOutput,
      onnxruntime: { ...compareWithReference(onnx, reference), output: onnx },
      tfjs: { ...compareWithReference(tfjs, reference), output: tfjs },
      reference,
    };
  } finally {
    await session.release();
  }
}
