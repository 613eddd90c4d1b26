import type { LayerSpec, NetworkSpec } from '@wgan/train';
import { convPadding } from './convert.js';

/**
 * A float64 evaluation of a checkpoint's network, and a bound on how far a float32 implementation of the
 * same network (onnxruntime on the exported graph, tfjs's Network.apply) can be from it through rounding.
 *
 * The network is the NetworkSpec the checkpoint stores (the description the converter reads), evaluated
 * layer by layer in tfjs's conventions (dense kernels [in, out], images NHWC, conv kernels
 * [kh, kw, in, out], transposed-conv kernels [kh, kw, out, in]) on the float32 weights widened to float64;
 * it shares no layout code with the converter. Products of float32 numbers are exact in float64 and its
 * sums carry 2⁻⁵³ relative error, 2²⁹ times below float32's: the float64 result stands for the exact one.
 *
 * Why not the worst-case bound. The classical bound for an n-term float32 dot product is
 * γ_n·Σ|w_i x_i| (γ_n = n·u / (1 − n·u), u = 2⁻²⁴), propagated layer to layer through Σ|w_i|·e_i and
 * each activation's Lipschitz constant. On the seed-001 generator (1,024-wide layers) at initialisation it is
 * 1.5e-2 while the measured error is 1.3e-7 and one kernel entry changed by 1e-3 moves an output by
 * 7e-5: a worst-case bound accepts wrong graphs. So the bound is the probabilistic one of Higham & Mary
 * ("A new approach to probabilistic rounding error analysis", SIAM J. Sci. Comput. 41, 2019): rounding
 * errors δ_k are modelled as independent, mean zero, |δ_k| ≤ u. To first order the error of an output is
 * then Σ_k c_k·δ_k, and Hoeffding's inequality gives |Σ c_k δ_k| ≤ λ·u·‖c‖₂ except with probability
 * 2·exp(−λ²/2). Each value carries
 *
 *   spread σ      an upper bound on u·‖c‖₂ (c: the coefficients of every rounding so far in this value),
 *   systematic D  a worst-case part for errors that need not average out (tanh / sigmoid kernels),
 *
 * and the bound of an output is D + λ·σ, λ chosen from the number of outputs checked so that the chance
 * of any correct output exceeding its bound is below 1e-9 (`confidenceFactor`). Per layer kind:
 *
 *   - input: the float32 tensor both implementations receive, exact (σ = D = 0);
 *   - dense / conv2d / convTranspose2d, y = b + Σ_i p_i with p_i = w_i·x_i over n terms: the sums' roundings
 *     have coefficients equal to the partial sums s_k, the products' to p_i. The summation order is the
 *     implementation's (blocked GEMM, im2col, XNNPACK); over a uniformly random order of the n + 1 terms
 *     E[Σ_k s_k²] = (n + 2)·(Σp²/6 + y²/3) exactly (a random k-subset of the terms), which also bounds
 *     pairwise and blocked orders (fewer, shorter partial sums). So
 *         σ_local² = u²·((n + 2)·(Σp²/6 + y²/3) + Σp²),
 *     and the input errors enter as σ = √(Σ_i w_i²σ_i² + σ_local²) (the local roundings are new δs, so the
 *     two parts add in quadrature), D = Σ|w_i|·D_i. Σ w_i²σ_i² treats the errors of different inputs as
 *     uncorrelated, the one assumption beyond the rounding model: their shared upstream roundings reach
 *     the output through products of weight matrices whose signs mix. The assumption-free
 *     ‖Σ_i w_i c_i‖ ≤ Σ_i |w_i|·‖c_i‖ multiplies σ by Σ|w_i| (≈ 16 for a 1,024-wide layer at init) per
 *     layer and gives 9e-4 on the seed-001 generator, as useless as the worst case. n counts non-zero
 *     products: inputs for dense, k²·c_in for conv2d, ⌈k/s⌉²·c_in for convTranspose2d (padding and
 *     stride holes add exact zeros);
 *   - pointwise activations φ, mean value theorem: |φ(x̂) − φ(x)| ≤ L·|x̂ − x| with L the largest |φ'| on
 *     [x − r, x + r], r = D + λσ the input's bound (local Lipschitz constant, never above the global:
 *     tanh and ReLU 1, sigmoid 1/4, LeakyReLU max(1, α)); σ and D scale by L. Own rounding: none for
 *     ReLU, one rounding of α·x for LeakyReLU (into σ), and for tanh / sigmoid ACTIVATION_ULPS·u·max(|y|, ½)
 *     into D (float32 tanh / logistic kernels — MLAS's and XNNPACK's rational approximations, tfjs cpu's
 *     Math.tanh rounded — are accurate to a few ulps of max(|y|, ½); 16 are allowed);
 *   - batchNorm (inference), y = a·(x − μ) + β, a = γ/√(σ_B² + ε): σ, D scale by |a|; own rounding at most
 *     6 roundings of size ≤ |a|(|x| + |μ|) + |β| (x − μ, σ_B² + ε, √, ÷, ×, + β), plus, for an
 *     implementation that folds it into the preceding Gemm / Conv, the rescaled weights' roundings
 *     (coefficients a·p_i): σ_local² = u²·(6·(|a|(|x| + |μ|) + |β|)² + a²·Σp²);
 *   - maxPool: max is exact and |max x̂ − max x| ≤ max_i |x̂_i − x_i|: σ and D are the window's largest;
 *     reshape, flatten and dropout (inference) move values without arithmetic.
 * Where the first-order model is exceeded (huge σ) the bound is meaningless either way; the figures in
 * the export README show its distance from the measured errors and from wrong graphs.
 */
export const FLOAT32_UNIT_ROUNDOFF = 2 ** -24;
const U = FLOAT32_UNIT_ROUNDOFF;
/** Ulps of max(|y|, 1/2) allowed for a float32 tanh or sigmoid kernel. */
export const ACTIVATION_ULPS = 16;
/** The chance, under the rounding model, that any correct output of a check exceeds its bound. */
export const FALSE_ALARM_PROBABILITY = 1e-9;

/** λ with 2·outputs·exp(−λ²/2) ≤ FALSE_ALARM_PROBABILITY (a union bound over every output checked). */
export function confidenceFactor(outputs: number): number {
  return Math.sqrt(2 * Math.log((2 * Math.max(1, outputs)) / FALSE_ALARM_PROBABILITY));
}

/** A batch of n examples, each flat in tfjs order with per-example `shape`, with its rounding model. */
export interface Tracked {
  n: number;
  shape: number[];
  /** The float64 values. */
  value: Float64Array;
  /** σ: the probabilistic part of the float32 error (u times the norm of the rounding coefficients). */
  spread: Float64Array;
  /** D: the worst-case part of the float32 error. */
  systematic: Float64Array;
  /** Σp² of the affine layer that produced the value (x² elsewhere): a folded BatchNorm's rounding. */
  squares: Float64Array;
}

type Weights = Float32Array | Float64Array;

function blank(n: number, shape: number[]): Tracked {
  const size = n * shape.reduce((a, b) => a * b, 1);
  const zeros = () => new Float64Array(size);
  return { n, shape: [...shape], value: zeros(), spread: zeros(), systematic: zeros(), squares: zeros() };
}

/** An exact float32 input batch x [n, ...shape] (flat). */
export function exactInput(x: Float32Array, n: number, shape: number[]): Tracked {
  const t = blank(n, shape);
  if (x.length !== t.value.length) throw new Error(`input holds ${x.length} values, not ${n} × [${shape}]`);
  for (let i = 0; i < x.length; i++) {
    t.value[i] = x[i];
    t.squares[i] = x[i] * x[i];
  }
  return t;
}

/**
 * Accumulates one affine output: b + Σ p over `terms` non-zero products. `sumSquaredSpread` and
 * `sumAbsSystematic` are Σw_i²σ_i² and Σ|w_i|D_i of its inputs.
 */
function finishAffine(t: Tracked, o: number, terms: number, sumSquaredSpread: number, sumAbsSystematic: number): void {
  const y = t.value[o];
  const q = t.squares[o];
  const local = U * U * ((terms + 2) * (q / 6 + (y * y) / 3) + q);
  t.spread[o] = Math.sqrt(sumSquaredSpread + local);
  t.systematic[o] = sumAbsSystematic;
}

/** y = x·W + b, W [inputs, units] row-major. */
export function dense(t: Tracked, kernel: Weights, bias: Weights, inputs: number, units: number): Tracked {
  const size = t.value.length / t.n;
  if (size !== inputs) throw new Error(`dense expects ${inputs} inputs per example, got ${size}`);
  const out = blank(t.n, [units]);
  const spread = new Float64Array(units);
  const systematic = new Float64Array(units);
  for (let s = 0; s < t.n; s++) {
    const o = s * units;
    for (let j = 0; j < units; j++) {
      out.value[o + j] = bias[j];
      out.squares[o + j] = bias[j] * bias[j];
      spread[j] = 0;
      systematic[j] = 0;
    }
    for (let i = 0; i < inputs; i++) {
      const x = t.value[s * inputs + i];
      const sx = t.spread[s * inputs + i];
      const sx2 = sx * sx;
      const dx = t.systematic[s * inputs + i];
      const row = i * units;
      if (x !== 0) {
        for (let j = 0; j < units; j++) {
          const p = kernel[row + j] * x;
          out.value[o + j] += p;
          out.squares[o + j] += p * p;
        }
      }
      if (sx !== 0 || dx !== 0) {
        for (let j = 0; j < units; j++) {
          const wv = kernel[row + j];
          spread[j] += wv * wv * sx2;
          systematic[j] += Math.abs(wv) * dx;
        }
      }
    }
    for (let j = 0; j < units; j++) finishAffine(out, o + j, inputs, spread[j], systematic[j]);
  }
  return out;
}

/** Pointwise activations: value, largest |φ'| on [x − r, x + r], own rounding (probabilistic, systematic). */
function pointwise(
  t: Tracked,
  lambda: number,
  f: (x: number) => number,
  slope: (x: number, r: number) => number,
  rounding: (x: number, y: number) => [number, number],
): Tracked {
  const out = blank(t.n, t.shape);
  for (let i = 0; i < t.value.length; i++) {
    const x = t.value[i];
    const y = f(x);
    const l = slope(x, t.systematic[i] + lambda * t.spread[i]);
    const [ownSpread, ownSystematic] = rounding(x, y);
    out.value[i] = y;
    out.spread[i] = Math.hypot(l * t.spread[i], ownSpread);
    out.systematic[i] = l * t.systematic[i] + ownSystematic;
    out.squares[i] = y * y;
  }
  return out;
}

export function relu(t: Tracked, lambda: number): Tracked {
  return pointwise(
    t,
    lambda,
    (x) => (x > 0 ? x : 0),
    (x, r) => (x + r <= 0 ? 0 : 1),
    () => [0, 0],
  );
}

export function leakyRelu(t: Tracked, alpha: number, lambda: number): Tracked {
  const a = Math.abs(alpha);
  return pointwise(
    t,
    lambda,
    (x) => (x > 0 ? x : alpha * x),
    (x, r) => (x - r >= 0 ? 1 : x + r <= 0 ? a : Math.max(1, a)),
    (x) => [x < 0 ? U * a * Math.abs(x) : 0, 0],
  );
}

/** Largest sech² on [x − r, x + r], without cancellation: 4 / (eᵈ + e⁻ᵈ)², d the distance from 0. */
function tanhSlope(x: number, r: number): number {
  const d = Math.max(0, Math.abs(x) - r);
  const c = Math.exp(d) + Math.exp(-d);
  return 4 / (c * c);
}

/** Largest σ' on [x − r, x + r]: e⁻ᵈ / (1 + e⁻ᵈ)², at most 1/4. */
function sigmoidSlope(x: number, r: number): number {
  const d = Math.max(0, Math.abs(x) - r);
  const q = Math.exp(-d);
  return q / ((1 + q) * (1 + q));
}

const kernelRounding = (_x: number, y: number): [number, number] => [
  0,
  ACTIVATION_ULPS * U * Math.max(Math.abs(y), 0.5),
];

export function tanh(t: Tracked, lambda: number): Tracked {
  return pointwise(t, lambda, Math.tanh, tanhSlope, kernelRounding);
}

export function sigmoid(t: Tracked, lambda: number): Tracked {
  return pointwise(t, lambda, (x) => 1 / (1 + Math.exp(-x)), sigmoidSlope, kernelRounding);
}

/** Inference-mode BatchNorm over the last axis: (x − mean)·γ/√(var + ε) + β. */
export function batchNorm(
  t: Tracked,
  gammaW: Weights,
  beta: Weights,
  mean: Weights,
  variance: Weights,
  epsilon: number,
): Tracked {
  const features = gammaW.length;
  if (t.shape[t.shape.length - 1] !== features) {
    throw new Error(`batchNorm over ${features} features, the input is [${t.shape}]`);
  }
  const scale = Float64Array.from(gammaW, (c, j) => c / Math.sqrt(variance[j] + epsilon));
  const out = blank(t.n, t.shape);
  for (let i = 0; i < t.value.length; i++) {
    const j = i % features;
    const a = scale[j];
    const aa = Math.abs(a);
    const x = t.value[i];
    const y = a * (x - mean[j]) + beta[j];
    const size = aa * (Math.abs(x) + Math.abs(mean[j])) + Math.abs(beta[j]);
    out.value[i] = y;
    out.spread[i] = Math.sqrt((aa * t.spread[i]) ** 2 + U * U * (6 * size * size + a * a * t.squares[i]));
    out.systematic[i] = aa * t.systematic[i];
    out.squares[i] = y * y;
  }
  return out;
}

/** tfjs conv2d, NHWC, kernel [k, k, inChannels, filters], 'valid' or 'same' (tfjs's split of odd padding). */
export function conv2d(
  t: Tracked,
  kernel: Weights,
  bias: Weights,
  layer: { inChannels: number; filters: number; kernel: number; stride: number; padding: 'valid' | 'same' },
): Tracked {
  const [h, w, c] = t.shape;
  const { inChannels: ci, filters: co, kernel: k, stride: s } = layer;
  if (t.shape.length !== 3 || c !== ci) throw new Error(`conv2d expects [H, W, ${ci}], got [${t.shape}]`);
  const [[padTop], outH] = convPadding(h, k, s, layer.padding);
  const [[padLeft], outW] = convPadding(w, k, s, layer.padding);
  const out = blank(t.n, [outH, outW, co]);
  const inSize = h * w * c;
  const outSize = outH * outW * co;
  const spread = new Float64Array(co);
  const systematic = new Float64Array(co);
  for (let n = 0; n < t.n; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const o = n * outSize + (oy * outW + ox) * co;
        for (let f = 0; f < co; f++) {
          out.value[o + f] = bias[f];
          out.squares[o + f] = bias[f] * bias[f];
          spread[f] = 0;
          systematic[f] = 0;
        }
        for (let ky = 0; ky < k; ky++) {
          const iy = oy * s + ky - padTop;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox * s + kx - padLeft;
            if (ix < 0 || ix >= w) continue;
            const src = n * inSize + (iy * w + ix) * c;
            for (let ch = 0; ch < ci; ch++) {
              const x = t.value[src + ch];
              const sx = t.spread[src + ch];
              const sx2 = sx * sx;
              const dx = t.systematic[src + ch];
              const row = ((ky * k + kx) * ci + ch) * co;
              if (x !== 0) {
                for (let f = 0; f < co; f++) {
                  const p = kernel[row + f] * x;
                  out.value[o + f] += p;
                  out.squares[o + f] += p * p;
                }
              }
              if (sx !== 0 || dx !== 0) {
                for (let f = 0; f < co; f++) {
                  const wv = kernel[row + f];
                  spread[f] += wv * wv * sx2;
                  systematic[f] += Math.abs(wv) * dx;
                }
              }
            }
          }
        }
        for (let f = 0; f < co; f++) finishAffine(out, o + f, k * k * ci, spread[f], systematic[f]);
      }
    }
  }
  return out;
}

/**
 * PyTorch's ConvTranspose2d(k, stride s, padding p) in NHWC with tfjs's kernel [k, k, filters, inChannels]:
 * out[iy·s − p + ky, ix·s − p + kx, f] += x[iy, ix, c]·K[ky, kx, f, c], plus the bias;
 * out = (in − 1)·s − 2p + k.
 */
export function convTranspose2d(
  t: Tracked,
  kernel: Weights,
  bias: Weights,
  layer: { inChannels: number; filters: number; kernel: number; stride: number; padding: number },
): Tracked {
  const [h, w, c] = t.shape;
  const { inChannels: ci, filters: co, kernel: k, stride: s, padding: p } = layer;
  if (t.shape.length !== 3 || c !== ci) throw new Error(`convTranspose2d expects [H, W, ${ci}], got [${t.shape}]`);
  const outH = (h - 1) * s - 2 * p + k;
  const outW = (w - 1) * s - 2 * p + k;
  const taps = Math.ceil(k / s);
  const out = blank(t.n, [outH, outW, co]);
  const inSize = h * w * c;
  const outSize = outH * outW * co;
  const spread = new Float64Array(out.value.length);
  const systematic = new Float64Array(out.value.length);
  for (let n = 0; n < t.n; n++) {
    const base = n * outSize;
    for (let i = 0; i < outH * outW; i++) {
      for (let f = 0; f < co; f++) {
        out.value[base + i * co + f] = bias[f];
        out.squares[base + i * co + f] = bias[f] * bias[f];
      }
    }
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < w; ix++) {
        const src = n * inSize + (iy * w + ix) * c;
        for (let ky = 0; ky < k; ky++) {
          const oy = iy * s - p + ky;
          if (oy < 0 || oy >= outH) continue;
          for (let kx = 0; kx < k; kx++) {
            const ox = ix * s - p + kx;
            if (ox < 0 || ox >= outW) continue;
            const o = base + (oy * outW + ox) * co;
            for (let f = 0; f < co; f++) {
              const row = ((ky * k + kx) * co + f) * ci;
              let sv = 0;
              let sq = 0;
              let ss = 0;
              let sd = 0;
              for (let ch = 0; ch < ci; ch++) {
                const wv = kernel[row + ch];
                const aw = Math.abs(wv);
                const pv = wv * t.value[src + ch];
                sv += pv;
                sq += pv * pv;
                const sx = t.spread[src + ch];
                ss += wv * wv * sx * sx;
                sd += aw * t.systematic[src + ch];
              }
              out.value[o + f] += sv;
              out.squares[o + f] += sq;
              spread[o + f] += ss;
              systematic[o + f] += sd;
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < out.value.length; i++) finishAffine(out, i, taps * taps * ci, spread[i], systematic[i]);
  return out;
}

/** tfjs maxPool, NHWC, 'valid'. */
export function maxPool2d(t: Tracked, size: number, stride: number): Tracked {
  const [h, w, c] = t.shape;
  if (t.shape.length !== 3) throw new Error(`maxPool2d expects [H, W, C], got [${t.shape}]`);
  const outH = Math.floor((h - size) / stride) + 1;
  const outW = Math.floor((w - size) / stride) + 1;
  const out = blank(t.n, [outH, outW, c]);
  const inSize = h * w * c;
  const outSize = outH * outW * c;
  for (let n = 0; n < t.n; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let spread = 0;
          let systematic = 0;
          for (let ky = 0; ky < size; ky++) {
            for (let kx = 0; kx < size; kx++) {
              const i = n * inSize + ((oy * stride + ky) * w + ox * stride + kx) * c + ch;
              best = Math.max(best, t.value[i]);
              spread = Math.max(spread, t.spread[i]);
              systematic = Math.max(systematic, t.systematic[i]);
            }
          }
          const o = n * outSize + (oy * outW + ox) * c + ch;
          out.value[o] = best;
          out.spread[o] = spread;
          out.systematic[o] = systematic;
          out.squares[o] = best * best;
        }
      }
    }
  }
  return out;
}

/** Per-example reshape (row-major, so the flat data is unchanged). */
export function reshape(t: Tracked, shape: number[]): Tracked {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size * t.n !== t.value.length) throw new Error(`cannot reshape [${t.shape}] to [${shape}]`);
  return { ...t, shape: [...shape] };
}

function layerForward(t: Tracked, layer: LayerSpec, i: number, param: (name: string) => Weights, lambda: number) {
  const p = (name: string) => param(`${i}.${name}`);
  switch (layer.type) {
    case 'dense':
      return dense(reshape(t, [t.value.length / t.n]), p('kernel'), p('bias'), layer.inputs, layer.units);
    case 'leakyRelu':
      return leakyRelu(t, layer.alpha, lambda);
    case 'relu':
      return relu(t, lambda);
    case 'tanh':
      return tanh(t, lambda);
    case 'sigmoid':
      return sigmoid(t, lambda);
    case 'dropout':
      return t;
    case 'reshape':
      return reshape(t, layer.shape);
    case 'flatten':
      return reshape(t, [t.value.length / t.n]);
    case 'batchNorm':
      return batchNorm(t, p('gamma'), p('beta'), p('movingMean'), p('movingVariance'), layer.epsilon);
    case 'conv2d':
      return conv2d(t, p('kernel'), p('bias'), layer);
    case 'maxPool2d':
      return maxPool2d(t, layer.size, layer.stride);
    case 'convTranspose2d':
      return convTranspose2d(t, p('kernel'), p('bias'), layer);
  }
}

/** The float64 outputs [n, outputSize] (flat) and each one's float32 rounding bound D + λσ. */
export interface Reference {
  n: number;
  value: Float64Array;
  bound: Float64Array;
  /** λ, from the number of outputs (confidenceFactor). */
  lambda: number;
}

/** The network of `spec` (inference mode) on the float32 batch x [n, inputSize], in float64, with its bounds. */
export function referenceForward(
  spec: NetworkSpec,
  values: Map<string, Weights>,
  x: Float32Array,
  n: number,
): Reference {
  const param = (name: string): Weights => {
    const v = values.get(name);
    if (!v) throw new Error(`parameter ${name} is missing`);
    return v;
  };
  const lambda = confidenceFactor(n * spec.outputSize);
  let t = exactInput(x, n, [spec.inputSize]);
  spec.layers.forEach((layer, i) => {
    t = layerForward(t, layer, i, param, lambda);
  });
  t = reshape(t, [spec.outputSize]);
  const bound = t.systematic.map((d, i) => d + lambda * t.spread[i]);
  return { n, value: t.value, bound, lambda };
}

/** How one float32 implementation's outputs compare with the float64 evaluation and its bound. */
export interface ReferenceComparison {
  /** max |ŷ − y| over all outputs. */
  maxAbsError: number;
  /** max |ŷ − y| / max(|y|, 10⁻³·max|y|): outputs under a thousandth of the largest are judged against that. */
  maxRelError: number;
  /** The largest bound of any output. */
  maxBound: number;
  /** max |ŷ − y| / bound: at most 1 when every output is within its bound (Infinity for NaN or a wrong length). */
  worstRatio: number;
  /** The output with the worst ratio: its sample, its index within the sample, both values, error and bound. */
  worst: { sample: number; index: number; got: number; reference: number; error: number; bound: number };
}

/** Compares ŷ (flat [n, outputSize]) with the float64 evaluation, each output against its own bound. */
export function compareWithReference(got: Float32Array, ref: Reference): ReferenceComparison {
  const size = ref.value.length / ref.n;
  let maxBound = 0;
  let maxAbsOutput = 0;
  for (let i = 0; i < ref.value.length; i++) {
    maxAbsOutput = Math.max(maxAbsOutput, Math.abs(ref.value[i]));
    maxBound = Math.max(maxBound, ref.bound[i]);
  }
  if (got.length !== ref.value.length) {
    const worst = { sample: 0, index: 0, got: NaN, reference: ref.value[0], error: Infinity, bound: ref.bound[0] };
    return { maxAbsError: Infinity, maxRelError: Infinity, maxBound, worstRatio: Infinity, worst };
  }
  const floor = Math.max(1e-3 * maxAbsOutput, Number.MIN_VALUE);
  let maxAbsError = 0;
  let maxRelError = 0;
  let worstRatio = 0;
  let worstAt = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - ref.value[i]);
    const error = Number.isNaN(d) ? Infinity : d;
    maxAbsError = Math.max(maxAbsError, error);
    maxRelError = Math.max(maxRelError, error / Math.max(Math.abs(ref.value[i]), floor));
    const ratio = error === 0 ? 0 : error / ref.bound[i];
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstAt = i;
    }
  }
  const d = Math.abs(got[worstAt] - ref.value[worstAt]);
  const worst = {
    sample: Math.floor(worstAt / size),
    index: worstAt % size,
    got: got[worstAt],
    reference: ref.value[worstAt],
    error: Number.isNaN(d) ? Infinity : d,
    bound: ref.bound[worstAt],
  };
  return { maxAbsError, maxRelError, maxBound, worstRatio, worst };
}
