import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { isPipelineError, Rng } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import {
  dcganDiscriminator,
  dcganGenerator,
  initialValues,
  seed001Critic,
  seed001Generator,
  seed002Decoder,
  seed002Discriminator,
  seed002Generator,
  type NetworkSpec,
} from '@wgan/train';
import { networkToOnnx, permute } from './convert.js';
import { judgeParity } from './export.js';
import { measureParity, onnxForward } from './parity.js';
import {
  ACTIVATION_ULPS,
  batchNorm,
  compareWithReference,
  confidenceFactor,
  conv2d,
  convTranspose2d,
  dense,
  exactInput,
  FLOAT32_UNIT_ROUNDOFF as u,
  leakyRelu,
  maxPool2d,
  referenceForward,
  relu,
  reshape,
  sigmoid,
  tanh,
  type Tracked,
} from './reference.js';
import { trainedScale } from './testing.js';

const f32 = (v: number[]) => Float32Array.from(v);
/** An input batch with given spreads σ and systematic parts D. */
function withErrors(values: number[], spread: number[], systematic: number[], shape = [values.length]): Tracked {
  const t = exactInput(f32(values), 1, shape);
  t.spread.set(spread);
  t.systematic.set(systematic);
  return t;
}

describe('float64 layer evaluators on hand-checked cases', () => {
  it('dense: y = x·W + b, W [in, out]; σ² = Σw²σ_in² + u²((n + 2)(Σp²/6 + y²/3) + Σp²), D = Σ|w|D_in', () => {
    const W = f32([0.5, -1, 0.25, 2]); // [[0.5, −1], [0.25, 2]]
    const exact = dense(exactInput(f32([1, 2]), 1, [2]), W, f32([0.125, 0]), 2, 2);
    expect([...exact.value]).toEqual([1.125, 3]);
    const q0 = 0.5 ** 2 + 0.5 ** 2 + 0.125 ** 2; // products 0.5, 0.5 and the bias
    expect(exact.spread[0]).toBeCloseTo(u * Math.sqrt(4 * (q0 / 6 + 1.125 ** 2 / 3) + q0), 20);
    expect([...exact.systematic]).toEqual([0, 0]);
    const noisy = dense(withErrors([1, 2], [1e-6, 2e-6], [1e-7, 0]), W, f32([0.125, 0]), 2, 2);
    const local1 = exact.spread[1] ** 2;
    expect(noisy.spread[1]).toBeCloseTo(Math.sqrt((1 * 1e-6) ** 2 + (2 * 2e-6) ** 2 + local1), 18);
    expect(noisy.systematic[0]).toBeCloseTo(0.5e-7, 20);
    expect(noisy.systematic[1]).toBeCloseTo(1e-7, 20);
  });

  it('relu: exact, slope 0 once x + r ≤ 0 (r = D + λσ), else 1', () => {
    const y = relu(withErrors([-1, 0.5, -1e-7], [1e-8, 1e-8, 1e-8], [0, 0, 0]), 20);
    expect([...y.value]).toEqual([0, 0.5, 0]);
    expect([...y.spread]).toEqual([0, 1e-8, 1e-8]); // −1e-7 + 20·1e-8 > 0: the sign may flip, slope 1
    expect([...y.systematic]).toEqual([0, 0, 0]);
  });

  it('leakyRelu: slope α below the interval, 1 above, max(1, α) across 0; one rounding of α·x', () => {
    const y = leakyRelu(withErrors([-2, 3, 0], [1e-6, 1e-6, 1e-6], [0, 0, 0]), 0.2, 8);
    expect(y.value[0]).toBeCloseTo(-0.4, 15);
    expect(y.value[1]).toBe(3);
    expect(y.spread[0]).toBeCloseTo(Math.hypot(0.2e-6, u * 0.4), 20);
    expect(y.spread[1]).toBe(1e-6);
    expect(y.spread[2]).toBe(1e-6);
  });

  it('tanh and sigmoid: the largest derivative on the interval, plus the kernel allowance in D', () => {
    const t = tanh(withErrors([0, 20, 0.5], [1e-6, 1e-6, 0], [0, 0, 1e-7]), 8);
    expect(t.value[0]).toBe(0);
    expect(t.spread[0]).toBeCloseTo(1e-6, 18); // sech²(0) = 1
    expect(t.spread[1]).toBeLessThan(1e-20); // saturated: sech²(20) ≈ 1.7e-17
    expect(t.systematic[0]).toBeCloseTo(ACTIVATION_ULPS * u * 0.5, 20);
    expect(t.systematic[2]).toBeCloseTo((1 - Math.tanh(0.5 - 1e-7) ** 2) * 1e-7 + ACTIVATION_ULPS * u * 0.5, 18);
    const s = sigmoid(withErrors([0, -3], [4e-6, 0], [0, 0]), 8);
    expect(s.value[0]).toBe(0.5);
    expect(s.value[1]).toBeCloseTo(1 / (1 + Math.exp(3)), 15);
    expect(s.spread[0]).toBeCloseTo(1e-6, 18); // σ'(0) = 1/4
  });

  it('batchNorm (inference): a·(x − μ) + β with a = γ/√(var + ε)', () => {
    const x = withErrors([3, 0], [1e-6, 0], [2e-7, 0], [1, 2]);
    const y = batchNorm(x, f32([2, 1]), f32([1, 0]), f32([1, 0]), f32([3, 0]), 1); // γ, β, mean, var, ε
    expect(y.value[0]).toBe(3); // a = 2/√4 = 1: (3 − 1)·1 + 1
    expect(y.value[1]).toBe(0);
    expect(y.systematic[0]).toBeCloseTo(2e-7, 20);
    const size = 1 * (3 + 1) + 1;
    expect(y.spread[0]).toBeCloseTo(Math.sqrt(1e-12 + u * u * (6 * size * size + 9)), 18);
  });

  it('conv2d: NHWC, kernel [k, k, in, out], valid and same (odd padding after)', () => {
    const x = exactInput(f32([1, 2, 3, 4, 5, 6, 7, 8, 9]), 1, [3, 3, 1]);
    const k = f32([1, 0, 0, 1]); // [[1, 0], [0, 1]]
    const valid = conv2d(x, k, f32([0.5]), { inChannels: 1, filters: 1, kernel: 2, stride: 1, padding: 'valid' });
    expect(valid.shape).toEqual([2, 2, 1]);
    expect([...valid.value]).toEqual([6.5, 8.5, 12.5, 14.5]);
    const same = conv2d(x, k, f32([0]), { inChannels: 1, filters: 1, kernel: 2, stride: 1, padding: 'same' });
    expect(same.shape).toEqual([3, 3, 1]);
    expect([...same.value]).toEqual([6, 8, 3, 12, 14, 6, 7, 8, 9]);
    const pointwise = { inChannels: 2, filters: 2, kernel: 1, stride: 1, padding: 'valid' } as const;
    const twoFilters = conv2d(exactInput(f32([1, 2]), 1, [1, 1, 2]), f32([1, 2, 3, 4]), f32([0, 0]), pointwise);
    expect([...twoFilters.value]).toEqual([1 * 1 + 2 * 3, 1 * 2 + 2 * 4]); // kernel [1, 1, in 2, out 2]
  });

  it('convTranspose2d: PyTorch placement out[i·s − p + k] with kernel [k, k, out, in]', () => {
    const k2s2 = { inChannels: 1, filters: 1, kernel: 2, stride: 2, padding: 0 };
    const up = convTranspose2d(exactInput(f32([2]), 1, [1, 1, 1]), f32([1, 2, 3, 4]), f32([0.5]), k2s2);
    expect(up.shape).toEqual([2, 2, 1]);
    expect([...up.value]).toEqual([2.5, 4.5, 6.5, 8.5]);
    const kernel = f32([1, 2, 3, 4, 5, 6, 7, 8, 9]); // K[ky][kx] = 3·ky + kx + 1
    const k3s1p1 = { inChannels: 1, filters: 1, kernel: 3, stride: 1, padding: 1 };
    const same = convTranspose2d(exactInput(f32([1, 2]), 1, [1, 2, 1]), kernel, f32([0]), k3s1p1);
    expect(same.shape).toEqual([1, 2, 1]);
    expect([...same.value]).toEqual([1 * 5 + 2 * 4, 1 * 6 + 2 * 5]);
  });

  it('maxPool2d takes the window maximum and its largest error; reshape keeps the data', () => {
    const y = maxPool2d(withErrors([1, 5, 3, 2], [1e-6, 0, 3e-6, 0], [0, 1e-7, 0, 0], [2, 2, 1]), 2, 2);
    expect([...y.value]).toEqual([5]);
    expect(y.spread[0]).toBe(3e-6);
    expect(y.systematic[0]).toBe(1e-7);
    expect(reshape(y, [1]).value).toBe(y.value);
  });

  it('λ from the number of outputs: 2·N·exp(−λ²/2) = 1e-9', () => {
    expect(2 * 200_704 * Math.exp(-(confidenceFactor(200_704) ** 2) / 2)).toBeCloseTo(1e-9, 15);
    expect(confidenceFactor(256 * 784)).toBeGreaterThan(8);
  });

  it('compareWithReference: per-output ratio, NaN and a wrong length never pass', () => {
    const value = Float64Array.from([1, -2, 0.001, 4]);
    const ref = { n: 2, value, bound: Float64Array.from([1e-6, 1e-6, 1e-6, 4e-6]), lambda: 8 };
    const c = compareWithReference(f32([1 + 2 ** -21, -2, 0.001, 4 + 2 ** -18]), ref); // float32-exact offsets
    expect(c.worstRatio).toBeCloseTo(2 ** -18 / 4e-6, 12);
    expect(c.worst).toMatchObject({ sample: 1, index: 1, error: 2 ** -18, bound: 4e-6 });
    expect(c.maxAbsError).toBe(2 ** -18);
    expect(c.maxRelError).toBeCloseTo(2 ** -20, 15);
    expect(compareWithReference(f32([1, NaN, 0.001, 4]), ref).worstRatio).toBe(Infinity);
    expect(compareWithReference(f32([1]), ref).worstRatio).toBe(Infinity);
  });
});

/**
 * Every exported model family at trained scale: all kernels and biases ×3 (MLPs) or ×2 (DCGAN), with
 * non-trivial BatchNorm statistics. The parity must pass for both implementations, and graphs that are
 * wrong in the ways a converter goes wrong must fail by a wide margin.
 */
type Family = { name: string; spec: NetworkSpec; scale: number; n: number; swap?: { param: string; size: number } };
const families: Family[] = [
  { name: 'seed-001 WGAN generator', spec: seed001Generator(100), scale: 3, n: 256 },
  { name: 'seed-001 WGAN critic', spec: seed001Critic(), scale: 3, n: 64 },
  { name: 'gan-mlp generator', spec: seed002Generator(10), scale: 3, n: 64, swap: { param: '2.kernel', size: 1024 } },
  {
    name: 'gan-mlp discriminator',
    spec: seed002Discriminator(),
    scale: 3,
    n: 64,
    swap: { param: '2.kernel', size: 256 },
  },
  { name: 'vae decoder', spec: seed002Decoder(20), scale: 3, n: 64 },
  { name: 'dcgan generator', spec: dcganGenerator(10), scale: 2, n: 8 },
  { name: 'dcgan discriminator', spec: dcganDiscriminator(), scale: 2, n: 16, swap: { param: '8.kernel', size: 1024 } },
];

function trainedValues(spec: NetworkSpec, scale: number): Map<string, Float32Array> {
  const rng = Rng.fromSeed(11);
  const values = initialValues(spec, rng);
  const perturb = trainedScale(scale);
  for (const [k, v] of values) perturb(k, v, rng);
  return values;
}

function inputs(spec: NetworkSpec, n: number): Float32Array {
  const x = Rng.fromSeed(5).fillNormal(new Float32Array(n * spec.inputSize));
  if (spec.inputSize === 784) for (let i = 0; i < x.length; i++) x[i] = Math.tanh(x[i]); // image-like, in [−1, 1]
  return x;
}

async function onnxOf(spec: NetworkSpec, values: Map<string, Float32Array>, x: Float32Array, n: number) {
  const model = networkToOnnx(spec, values, { producerVersion: 'test' });
  const session = await ort.InferenceSession.create(model.bytes, { graphOptimizationLevel: 'all' });
  try {
    return await onnxForward(session, x, [n, ...model.io.input.shape]);
  } finally {
    await session.release();
  }
}

describe('parity against the float64 evaluation at trained scale, every model family (tfjs cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu', { quiet: true });
  });

  it.each(families)('$name: within the bound; a perturbed weight, a missing bias, a transpose fail', async (family) => {
    const { name, spec, scale, n, swap } = family;
    const values = trainedValues(spec, scale);
    const x = inputs(spec, n);
    const model = networkToOnnx(spec, values, { producerVersion: 'test' });
    const p = await measureParity(spec, values, model.bytes, model.io.input.shape, x, n);
    const e = (v: number) => v.toExponential(2);
    console.log(
      `[f64 parity] ${name} ×${scale}, ${n} samples: ` +
        `onnx abs ${e(p.onnxruntime.maxAbsError)} rel ${e(p.onnxruntime.maxRelError)} ` +
        `(${e(p.onnxruntime.worstRatio)} of bound); ` +
        `tfjs abs ${e(p.tfjs.maxAbsError)} rel ${e(p.tfjs.maxRelError)} (${e(p.tfjs.worstRatio)} of bound); ` +
        `max bound ${e(p.onnxruntime.maxBound)}, max |y| ${p.maxAbsOutput.toFixed(3)}`,
    );
    expect(p.maxAbsOutput).toBeGreaterThan(0.5);
    expect(p.onnxruntime.worstRatio).toBeLessThanOrEqual(1);
    expect(p.tfjs.worstRatio).toBeLessThanOrEqual(1);
    expect(p.onnxruntime.maxAbsError).toBeGreaterThan(0); // float32 really differs from float64

    const kernels = [...values.keys()].filter((k) => k.endsWith('.kernel'));
    const broken: [string, Map<string, Float32Array>, number][] = [];
    const perturbed = new Map(values);
    const first = Float32Array.from(values.get(kernels[0])!);
    first[Math.floor(first.length / 3)] += 1e-3;
    perturbed.set(kernels[0], first);
    broken.push([`${kernels[0]}[${Math.floor(first.length / 3)}] + 1e-3`, perturbed, 3]);
    const lastBias = kernels[kernels.length - 1].replace('kernel', 'bias');
    const noBias = new Map(values).set(lastBias, new Float32Array(values.get(lastBias)!.length));
    broken.push([`${lastBias} missing`, noBias, 100]);
    if (swap) {
      const transposed = permute(values.get(swap.param)!, [swap.size, swap.size], [1, 0]);
      broken.push([`${swap.param} transposed`, new Map(values).set(swap.param, transposed), 100]);
    }
    for (const [what, wrong, factor] of broken) {
      const c = compareWithReference(await onnxOf(spec, wrong, x, n), p.reference);
      console.log(`[f64 parity] ${name}, ${what}: abs ${e(c.maxAbsError)}, ${c.worstRatio.toFixed(1)}× the bound`);
      expect(c.worstRatio, what).toBeGreaterThan(factor);
    }
  });

  it('a wrong graph is refused naming the network, the sample and the numbers; rounding is not a "bug"', async () => {
    const spec = seed002Decoder(20);
    const values = trainedValues(spec, 3);
    const wrong = new Map(values);
    const w = Float32Array.from(values.get('0.kernel')!);
    w[100] += 1e-3;
    wrong.set('0.kernel', w);
    const x = inputs(spec, 32);
    const wrongModel = networkToOnnx(spec, wrong, { producerVersion: 'test' }).bytes;
    const p = await measureParity(spec, values, wrongModel, [20], x, 32);
    expect(p.tfjs.worstRatio).toBeLessThanOrEqual(1);
    const error = (() => {
      try {
        judgeParity('generator', p, { paritySeed: 0 });
        return null;
      } catch (err) {
        return err;
      }
    })();
    expect(isPipelineError(error)).toBe(true);
    if (!isPipelineError(error)) return;
    expect(error.message).toMatch(
      new RegExp(
        '^generator: onnxruntime \\(the exported graph\\) disagrees with the float64 evaluation of the checkpoint ' +
          'beyond what float32 rounding explains: sample \\d+, output \\d+: got .*\\|error\\| \\S+ > bound ',
      ),
    );
    expect(error.message).toMatch(/over 32 samples max \|error\| .* max relative .* largest bound/);
    expect(`${error.message} ${error.hint}`).not.toMatch(/bug/i);
    expect(error.where).toBe('generator.onnx');
    const rightModel = networkToOnnx(spec, values, { producerVersion: 'test' }).bytes;
    const ok = judgeParity('generator', await measureParity(spec, values, rightModel, [20], x, 32), { paritySeed: 0 });
    expect(ok).toMatchObject({ samples: 32, reference: 'float64', backend: 'cpu' });
    expect(ok.onnxruntime.worstRatio).toBeLessThanOrEqual(1);
  });
});

describe('the refusal this check replaces', () => {
  it('seed-001 generator ×4 on wasm: |onnx − tfjs| over the old 1e-5, both within the float32 bound', async () => {
    await initBackend('wasm', { quiet: true });
    const spec = seed001Generator(100);
    const values = trainedValues(spec, 4);
    const x = inputs(spec, 64);
    const model = networkToOnnx(spec, values, { producerVersion: 'test' });
    const p = await measureParity(spec, values, model.bytes, model.io.input.shape, x, 64);
    let gap = 0;
    const [a, b] = [p.tfjs.output, p.onnxruntime.output];
    for (let i = 0; i < a.length; i++) gap = Math.max(gap, Math.abs(a[i] - b[i]));
    console.log(
      `[f64 parity] seed-001 generator ×4, wasm: |onnx − tfjs| ${gap.toExponential(2)}; ` +
        `onnx ${p.onnxruntime.worstRatio.toFixed(2)}, tfjs ${p.tfjs.worstRatio.toFixed(2)} of the bound ` +
        `(max ${p.onnxruntime.maxBound.toExponential(2)})`,
    );
    expect(gap).toBeGreaterThan(1e-5);
    expect(() => judgeParity('generator', p, { paritySeed: 0 })).not.toThrow();
  });
});
