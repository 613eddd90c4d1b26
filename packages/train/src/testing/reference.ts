/**
 * The float64 reference of the WGAN training step, for tests only, written independently of every
 * trainer: dense-chain networks evaluated with plain per-sample loops, their input gradient by the chain
 * rule, the gradient penalty's weight gradients by reverse mode through the per-sample input-gradient
 * recursion (checked against central finite differences in penalty-closed-form.test.ts), PyTorch's
 * Adam / RMSprop formulas, clipping, and the statistics of IterationStats. One full generator iteration
 * (`refIteration`) is what the parity table (trainers/parity.test.ts) compares every implementation with.
 * No stacked batch, no fused bias rows, derivatives from PRE-activations.
 *
 * Conditional runs (K = cfg.classes > 0): the generator's input is [z | onehot(y)], the critic's
 * [x | onehot(y)]; real rows carry their labels, each critic step's fakes are generated with the same
 * labels, x̂ interpolates the image columns only (the label columns are copied), and the penalty's norm
 * and gradient are over the image columns of ∇D (the first d inputs): ∇ₓD(x̂, y).
 */
import type { NetworkSpec } from '../models/spec.js';
import type { IterationInputs, IterationStats, WganStepSettings } from '../trainer.js';

export type Act = 'none' | 'leakyRelu' | 'relu' | 'tanh' | 'sigmoid';

export interface RefLayer {
  name: number;
  inputs: number;
  units: number;
  /** W[p * units + q]: input p → unit q (the [in, out] convention). */
  W: Float64Array;
  b: Float64Array;
  act: Act;
  alpha: number;
}

export type RefNet = RefLayer[];

/** Builds a float64 network from a spec and float32 values (names "<i>.kernel", "<i>.bias"). */
export function refNet(spec: NetworkSpec, values: Map<string, Float32Array>): RefNet {
  const net: RefNet = [];
  spec.layers.forEach((l, i) => {
    if (l.type === 'dense')
      net.push({
        name: i,
        inputs: l.inputs,
        units: l.units,
        W: Float64Array.from(values.get(`${i}.kernel`)!),
        b: Float64Array.from(values.get(`${i}.bias`)!),
        act: 'none',
        alpha: 0,
      });
    else if (l.type === 'leakyRelu') Object.assign(net[net.length - 1], { act: 'leakyRelu', alpha: l.alpha });
    else if (l.type === 'relu' || l.type === 'tanh' || l.type === 'sigmoid') net[net.length - 1].act = l.type;
    else throw new Error(`reference: unsupported layer ${l.type}`);
  });
  return net;
}

export function netValues(net: RefNet): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const L of net) {
    out.set(`${L.name}.kernel`, L.W);
    out.set(`${L.name}.bias`, L.b);
  }
  return out;
}

function act(a: Act, alpha: number, h: number): number {
  switch (a) {
    case 'none':
      return h;
    case 'leakyRelu':
      return h > 0 ? h : alpha * h;
    case 'relu':
      return h > 0 ? h : 0;
    case 'tanh':
      return Math.tanh(h);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-h));
  }
}

/** d act / d h at the pre-activation h (PyTorch's choice at h = 0: the negative side). */
function actDeriv(a: Act, alpha: number, h: number): number {
  switch (a) {
    case 'none':
      return 1;
    case 'leakyRelu':
      return h > 0 ? 1 : alpha;
    case 'relu':
      return h > 0 ? 1 : 0;
    case 'tanh':
      return 1 - Math.tanh(h) ** 2;
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-h));
      return s * (1 - s);
    }
  }
}

interface Trace {
  /** inputs[l] = input of layer l; pre[l] = its pre-activation; out = last post-activation. */
  inputs: Float64Array[];
  pre: Float64Array[];
  out: Float64Array;
}

export function forward(net: RefNet, x: ArrayLike<number>): Trace {
  let a = Float64Array.from(x);
  const inputs: Float64Array[] = [];
  const pre: Float64Array[] = [];
  for (const L of net) {
    inputs.push(a);
    const h = new Float64Array(L.units);
    for (let q = 0; q < L.units; q++) {
      let s = L.b[q];
      for (let p = 0; p < L.inputs; p++) s += a[p] * L.W[p * L.units + q];
      h[q] = s;
    }
    pre.push(h);
    a = h.map((v) => act(L.act, L.alpha, v));
  }
  return { inputs, pre, out: a };
}

export interface Grads {
  W: Float64Array[];
  b: Float64Array[];
}

export function zeroGrads(net: RefNet): Grads {
  return { W: net.map((L) => new Float64Array(L.W.length)), b: net.map((L) => new Float64Array(L.b.length)) };
}

/** Central differences (f(p + h) − f(p − h)) / 2h of `f` with respect to every weight and bias of `net`. */
export function centralDifferences(net: RefNet, f: () => number, h = 1e-6): Grads {
  const fd = zeroGrads(net);
  net.forEach((L, l) => {
    for (const [p, out] of [
      [L.W, fd.W[l]],
      [L.b, fd.b[l]],
    ] as const) {
      for (let i = 0; i < p.length; i++) {
        const keep = p[i];
        p[i] = keep + h;
        const up = f();
        p[i] = keep - h;
        const down = f();
        p[i] = keep;
        out[i] = (up - down) / (2 * h);
      }
    }
  });
  return fd;
}

/**
 * Ordinary backprop of (upstream · output) for one sample: adds the weight gradients to `grads` (if
 * given) and returns the gradient with respect to the input.
 */
export function backprop(net: RefNet, t: Trace, upstream: Float64Array, grads: Grads | null): Float64Array {
  let delta = upstream.map(
    (u, q) => u * actDeriv(net[net.length - 1].act, net[net.length - 1].alpha, t.pre[net.length - 1][q]),
  );
  for (let l = net.length - 1; l >= 0; l--) {
    const L = net[l];
    const a = t.inputs[l];
    if (grads) {
      for (let p = 0; p < L.inputs; p++)
        for (let q = 0; q < L.units; q++) grads.W[l][p * L.units + q] += a[p] * delta[q];
      for (let q = 0; q < L.units; q++) grads.b[l][q] += delta[q];
    }
    const back = new Float64Array(L.inputs);
    for (let p = 0; p < L.inputs; p++) {
      let s = 0;
      for (let q = 0; q < L.units; q++) s += L.W[p * L.units + q] * delta[q];
      back[p] = s;
    }
    if (l === 0) return back;
    const P = net[l - 1];
    delta = back.map((v, p) => v * actDeriv(P.act, P.alpha, t.pre[l - 1][p]));
  }
  throw new Error('unreachable');
}

/** ∇ₓD(x) of a scalar critic with a linear output, by the backward recursion. */
export function inputGradient(critic: RefNet, x: ArrayLike<number>): Float64Array {
  return backprop(critic, forward(critic, x), Float64Array.of(1), null);
}

/**
 * Adds ∂/∂θ of coef·(‖∇ₓD(x̂)‖ − 1)² to `grads` and returns the norm. The input gradient is
 * g = W_0 δ_0 with δ_{L−1} = 1, δ_{l−1} = m_{l−1} ⊙ (W_l δ_l), m the (piecewise-constant) activation
 * slopes; reverse mode through that recursion gives the weight gradients (biases get none).
 */
export function penaltyGrads(
  critic: RefNet,
  xh: ArrayLike<number>,
  coef: number,
  grads: Grads,
  imageColumns = critic[0].inputs,
): number {
  const t = forward(critic, xh);
  const L = critic.length;
  const deltas: Float64Array[] = new Array(L);
  deltas[L - 1] = Float64Array.of(1);
  for (let l = L - 1; l >= 1; l--) {
    const W = critic[l];
    const P = critic[l - 1];
    const d = new Float64Array(W.inputs);
    for (let p = 0; p < W.inputs; p++) {
      let s = 0;
      for (let q = 0; q < W.units; q++) s += W.W[p * W.units + q] * deltas[l][q];
      d[p] = s * actDeriv(P.act, P.alpha, t.pre[l - 1][p]);
    }
    deltas[l - 1] = d;
  }
  const L0 = critic[0];
  // the penalty sees ∇D over the image columns only: the label columns of g are left at 0
  const g = new Float64Array(L0.inputs);
  for (let p = 0; p < imageColumns; p++) {
    let s = 0;
    for (let q = 0; q < L0.units; q++) s += L0.W[p * L0.units + q] * deltas[0][q];
    g[p] = s;
  }
  const norm = Math.hypot(...g);
  const G = g.map((v) => (norm > 0 ? (coef * 2 * (norm - 1) * v) / norm : 0));
  // g = W_0 δ_0: ∂/∂W_0[p, q] = G[p] δ_0[q]; ∂/∂δ_0 = W_0ᵀ G.
  let upstream = new Float64Array(L0.units);
  for (let p = 0; p < L0.inputs; p++) {
    for (let q = 0; q < L0.units; q++) {
      grads.W[0][p * L0.units + q] += G[p] * deltas[0][q];
      upstream[q] += L0.W[p * L0.units + q] * G[p];
    }
  }
  // δ_l = m_l ⊙ (W_{l+1} δ_{l+1}): ξ = m_l ⊙ ∂δ_l; ∂/∂W_{l+1}[p, q] = ξ[p] δ_{l+1}[q]; ∂δ_{l+1} = W_{l+1}ᵀ ξ.
  for (let l = 0; l < L - 1; l++) {
    const M = critic[l];
    const W = critic[l + 1];
    const xi = upstream.map((v, p) => v * actDeriv(M.act, M.alpha, t.pre[l][p]));
    const next = new Float64Array(W.units);
    for (let p = 0; p < W.inputs; p++) {
      for (let q = 0; q < W.units; q++) {
        grads.W[l + 1][p * W.units + q] += xi[p] * deltas[l + 1][q];
        next[q] += W.W[p * W.units + q] * xi[p];
      }
    }
    upstream = next;
  }
  return norm;
}

export interface CriticLoss {
  loss: number;
  dReal: number;
  dFake: number;
  /** λ · mean (‖g‖ − 1)². */
  penalty: number;
  norms: number[];
}

/**
 * L_D = mean D(x̃) − mean D(x) [+ λ mean (‖∇D(x̂)‖ − 1)²] and, if `grads` is given, its gradient. With
 * `imageColumns` < the critic's inputs (a conditional critic), x̂ interpolates those columns, copies the
 * rest (the shared label), and the penalty is over the image columns of ∇D.
 */
export function criticLoss(
  critic: RefNet,
  real: Float64Array[],
  fake: Float64Array[],
  eps: ArrayLike<number>,
  lambda: number,
  gp: boolean,
  grads: Grads | null,
  imageColumns = critic[0].inputs,
): CriticLoss {
  const B = real.length;
  let dReal = 0;
  let dFake = 0;
  let penalty = 0;
  const norms: number[] = [];
  for (let i = 0; i < B; i++) {
    const tr = forward(critic, real[i]);
    const tf = forward(critic, fake[i]);
    dReal += tr.out[0] / B;
    dFake += tf.out[0] / B;
    if (grads) {
      backprop(critic, tr, Float64Array.of(-1 / B), grads);
      backprop(critic, tf, Float64Array.of(1 / B), grads);
    }
    if (gp) {
      const e = eps[i];
      const xh = real[i].map((x, j) => (j < imageColumns ? e * x + (1 - e) * fake[i][j] : x));
      const norm = grads
        ? penaltyGrads(critic, xh, lambda / B, grads, imageColumns)
        : Math.hypot(...inputGradient(critic, xh).subarray(0, imageColumns));
      norms.push(norm);
      penalty += (lambda * (norm - 1) ** 2) / B;
    }
  }
  return { loss: dFake - dReal + penalty, dReal, dFake, penalty, norms };
}

/**
 * L_G = −mean D(G(z)) and, if `grads` is given, its gradient with respect to G. `labels` (a conditional
 * run: one-hot rows appended to G's output before the critic, K = labels[i].length) default to none.
 */
export function generatorLoss(
  gen: RefNet,
  critic: RefNet,
  z: Float64Array[],
  grads: Grads | null,
  labels: Float64Array[] | null = null,
): number {
  const B = z.length;
  let loss = 0;
  z.forEach((zi, i) => {
    const tg = forward(gen, zi);
    const x = labels ? Float64Array.from([...tg.out, ...labels[i]]) : tg.out;
    const tc = forward(critic, x);
    loss -= tc.out[0] / B;
    if (grads) {
      const dx = backprop(critic, tc, Float64Array.of(-1 / B), null);
      backprop(gen, tg, dx.subarray(0, tg.out.length), grads);
    }
  });
  return loss;
}

export type RefOptimizer =
  | { type: 'adam'; lr: number; beta1: number; beta2: number; eps: number }
  | { type: 'rmsprop'; lr: number; alpha: number; eps: number };

export interface RefOptState {
  step: number;
  m: Grads;
  v: Grads;
}

/** One PyTorch-formula update of every parameter (then clip to [−c, c] when clip > 0). */
export function optimizerStep(net: RefNet, grads: Grads, opt: RefOptimizer, state: RefOptState, clip: number): void {
  state.step += 1;
  const t = state.step;
  net.forEach((L, l) => {
    for (const [p, g, m, v] of [
      [L.W, grads.W[l], state.m.W[l], state.v.W[l]],
      [L.b, grads.b[l], state.m.b[l], state.v.b[l]],
    ] as const) {
      for (let i = 0; i < p.length; i++) {
        if (opt.type === 'adam') {
          m[i] = opt.beta1 * m[i] + (1 - opt.beta1) * g[i];
          v[i] = opt.beta2 * v[i] + (1 - opt.beta2) * g[i] * g[i];
          const mHat = m[i] / (1 - opt.beta1 ** t);
          p[i] -= (opt.lr * mHat) / (Math.sqrt(v[i]) / Math.sqrt(1 - opt.beta2 ** t) + opt.eps);
        } else {
          v[i] = opt.alpha * v[i] + (1 - opt.alpha) * g[i] * g[i];
          p[i] -= (opt.lr * g[i]) / (Math.sqrt(v[i]) + opt.eps);
        }
        if (clip > 0) p[i] = Math.min(clip, Math.max(-clip, p[i]));
      }
    }
  });
}

/** The step settings the reference needs (the trainers' WganStepSettings; nCritic and B come with the inputs). */
export type RefConfig = Pick<
  WganStepSettings,
  'loss' | 'lambda' | 'clipValue' | 'optimizerG' | 'optimizerD' | 'classes'
>;

export interface RefTrainer {
  gen: RefNet;
  critic: RefNet;
  genOpt: RefOptState;
  criticOpt: RefOptState;
}

export function refTrainer(
  genSpec: NetworkSpec,
  criticSpec: NetworkSpec,
  gen: Map<string, Float32Array>,
  critic: Map<string, Float32Array>,
): RefTrainer {
  const g = refNet(genSpec, gen);
  const c = refNet(criticSpec, critic);
  return {
    gen: g,
    critic: c,
    genOpt: { step: 0, m: zeroGrads(g), v: zeroGrads(g) },
    criticOpt: { step: 0, m: zeroGrads(c), v: zeroGrads(c) },
  };
}

/** One generator iteration (nCritic critic steps, one generator step) on the reference. */
export function refIteration(
  r: RefTrainer,
  inputs: IterationInputs,
  trainImages: Float32Array,
  cfg: RefConfig,
): IterationStats {
  const nC = inputs.indices.length;
  const B = inputs.indices[0].length;
  const K = cfg.classes ?? 0;
  if (K > 0 && !inputs.labels) throw new Error('reference: a conditional step needs inputs.labels');
  const d = r.critic[0].inputs - K;
  const dz = r.gen[0].inputs - K;
  const gp = cfg.loss === 'gp';
  const hot = (y: number) => Float64Array.from({ length: K }, (_, j) => (j === y ? 1 : 0));
  // [v | onehot(y)] for a conditional run, v unchanged otherwise
  const join = (v: ArrayLike<number>, y: number | undefined) =>
    K > 0 ? Float64Array.from([...Array.from(v), ...hot(y as number)]) : Float64Array.from(v);
  const rows = (z: Float32Array, labels?: Int32Array) =>
    Array.from({ length: z.length / dz }, (_, i) => join(z.subarray(i * dz, (i + 1) * dz), labels?.[i]));
  let lossD = 0;
  let gpSum = 0;
  let last: CriticLoss | null = null;
  for (let c = 0; c < nC; c++) {
    const y = inputs.labels?.critic[c];
    const real = Array.from(inputs.indices[c], (k, i) => join(trainImages.subarray(k * d, (k + 1) * d), y?.[i]));
    const fake = rows(inputs.zCritic[c], y).map((z, i) => join(forward(r.gen, z).out, y?.[i]));
    const grads = zeroGrads(r.critic);
    last = criticLoss(r.critic, real, fake, inputs.eps[c], cfg.lambda, gp, grads, d);
    lossD += last.loss / nC;
    gpSum += last.penalty / nC;
    optimizerStep(r.critic, grads, cfg.optimizerD, r.criticOpt, gp ? 0 : cfg.clipValue);
  }
  const gGrads = zeroGrads(r.gen);
  const yGen = inputs.labels?.gen;
  const genLabels = yGen ? Array.from(yGen, (y) => hot(y)) : null;
  const lossG = generatorLoss(r.gen, r.critic, rows(inputs.zGen, yGen), gGrads, genLabels);
  optimizerStep(r.gen, gGrads, cfg.optimizerG, r.genOpt, 0);
  const norms = last!.norms;
  const mean = norms.reduce((a, b) => a + b, 0) / B;
  const std = Math.sqrt(norms.reduce((a, b) => a + (b - mean) ** 2, 0) / B); // population std, as E6
  let clipped = 0;
  let total = 0;
  for (const L of r.critic)
    for (const p of [L.W, L.b])
      for (const v of p) {
        total++;
        if (Math.abs(v) >= cfg.clipValue) clipped++;
      }
  return {
    lossD,
    lossG,
    dReal: last!.dReal,
    dFake: last!.dFake,
    gp: gp ? gpSum : 0,
    gradNormMean: gp ? mean : NaN,
    gradNormStd: gp && B > 1 ? std : NaN,
    clipFraction: gp ? NaN : clipped / total,
  };
}

/** D(x) or G(z) of a reference network, as a plain array. */
export function forwardRef(net: RefNet, x: ArrayLike<number>): number[] {
  return Array.from(forward(net, x).out);
}

/** ∇ₓD(x) of a scalar critic, as a plain array. */
export function inputGradientRef(net: RefNet, x: ArrayLike<number>): number[] {
  return Array.from(inputGradient(net, x));
}

/**
 * A dense chain of the given sizes with parameters θ (per layer: the [in, out] kernel row-major, then the
 * bias; tfjs's order), hidden activations LeakyReLU(α) (ReLU for α = 0), output linear or tanh. Layers are
 * named as denseStack names them (0, 2, 4, ...).
 */
export function refChain(sizes: number[], theta: ArrayLike<number>, alpha: number, out: 'none' | 'tanh'): RefNet {
  let o = 0;
  const take = (n: number) => Float64Array.from({ length: n }, () => theta[o++]);
  return sizes.slice(0, -1).map((inputs, k) => {
    const units = sizes[k + 1];
    const last = k === sizes.length - 2;
    const act: Act = last ? out : alpha === 0 ? 'relu' : 'leakyRelu';
    return { name: 2 * k, inputs, units, W: take(inputs * units), b: take(units), act, alpha: last ? 0 : alpha };
  });
}

/** A reference chain with weights U(−1, 1)·scale/√fan-in and biases U(−0.1, 0.1) from `rand`. */
export function randomRefNet(
  sizes: number[],
  rand: () => number,
  alpha: number,
  out: 'none' | 'tanh',
  scale = 1,
): RefNet {
  const theta: number[] = [];
  sizes.slice(0, -1).forEach((n, k) => {
    for (let i = 0; i < n * sizes[k + 1]; i++) theta.push(((rand() * 2 - 1) * scale) / Math.sqrt(n));
    for (let j = 0; j < sizes[k + 1]; j++) theta.push((rand() * 2 - 1) * 0.1);
  });
  return refChain(sizes, theta, alpha, out);
}

/** A network's parameters in refChain's order. */
export function flattenRef(net: RefNet): number[] {
  return net.flatMap((L) => [...L.W, ...L.b]);
}

/** `like` with parameters θ (flattenRef's order). */
export function unflattenRef(like: RefNet, theta: ArrayLike<number>): RefNet {
  let o = 0;
  const take = (n: number) => Float64Array.from({ length: n }, () => theta[o++]);
  return like.map((L) => ({ ...L, W: take(L.W.length), b: take(L.b.length) }));
}

/** Central finite difference of f at θ along each coordinate. */
export function finiteDifferences(f: (theta: number[]) => number, theta: number[], h = 1e-6): number[] {
  return theta.map((_, i) => {
    const plus = theta.slice();
    const minus = theta.slice();
    plus[i] += h;
    minus[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

/** ‖a − b‖₂ / ‖b‖₂. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(1e-12, Math.sqrt(den));
}
