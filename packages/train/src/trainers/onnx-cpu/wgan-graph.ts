import type { DenseChain } from '../../models/dense-chain.js';
import type { OptimizerConfig } from '../../optimizers.js';
import type { WganStepSettings } from '../../trainer.js';
import { GraphBuilder, type ValueInfo } from './graph.js';
import { Ops } from './ops.js';

/**
 * One generator iteration of a dense-chain WGAN — n_critic critic steps with the gradient penalty (or
 * clipping) and one generator step, each with its optimiser update — as ONE ONNX graph, for
 * onnxruntime's CPU kernels (MLAS). Weights and optimiser slots go in as inputs and come out updated;
 * the iteration's random inputs (real rows, latents, ε) and the optimisers' per-step scalars are inputs.
 *
 * The critic step stacks x3 = [x ; x̃ ; x̂] (3B rows), runs one forward pass, and one backward recursion
 * with output deltas (−1/B for real rows, +1/B for fake rows, 1 for x̂ rows): its real/fake rows are
 * the W-loss deltas δ_k, its x̂ rows the chain u_k of the closed-form input gradient
 * g = u_0 W_0ᵀ = ∇ₓD(x̂). With G = ∂GP/∂g = (2λ/B)(‖g‖ − 1) g/‖g‖ and ψ_{−1} = G, ψ_k = (ψ_{k−1} W_k) ⊙ m_k(x̂),
 * each layer's whole weight gradient is one product dW_k = [a_{k−1}(x, x̃) ; ψ_{k−1}]ᵀ δ_k (the x̂ rows give the
 * penalty's term, the others the W-loss's), and db_k sums δ_k over the real and fake rows only. This is
 * the algebra of the tfjs-manual trainer (trainers/tfjs-manual/) and of the fused WGSL path; parity with
 * both is tested.
 */
export interface WganGraphOptions extends WganStepSettings {
  generator: DenseChain;
  critic: DenseChain;
}

export interface WganGraph {
  model: Uint8Array;
  /** Input names: weights `G.<param>`/`D.<param>`, slots `<…>.m`/`<…>.v`, data, optimiser scalars. */
  inputs: ValueInfo[];
  /** Output names: `<input>.next` for every weight and slot, and `stats` [8]. */
  outputs: ValueInfo[];
  opTypes: string[];
}

export type Params = Record<string, string>;

interface Forward {
  /** Input of each dense layer. */
  inputs: string[];
  /** Slope mask φ'(h) of each hidden layer. */
  masks: string[];
  output: string;
}

export function slotNames(opt: OptimizerConfig): string[] {
  return opt.type === 'adam' ? ['m', 'v'] : ['v'];
}

export function forward(o: Ops, chain: DenseChain, p: Params, x: string, tag: string): Forward {
  const inputs: string[] = [];
  const masks: string[] = [];
  let a = x;
  for (const layer of chain.layers) {
    inputs.push(a);
    const h = o.gemm(a, p[`${layer.index}.kernel`], { bias: p[`${layer.index}.bias`] }, `${tag}_h${layer.index}`);
    switch (layer.activation) {
      case 'leakyRelu':
        masks.push(o.where(o.greater(h, o.scalar(0)), o.scalar(1), o.scalar(layer.alpha), `${tag}_m${layer.index}`));
        a = o.leakyRelu(h, layer.alpha, `${tag}_a${layer.index}`);
        break;
      case 'relu':
        masks.push(o.castFloat(o.greater(h, o.scalar(0)), `${tag}_m${layer.index}`));
        a = o.relu(h, `${tag}_a${layer.index}`);
        break;
      case 'tanh':
        a = o.tanh(h, `${tag}_a${layer.index}`);
        break;
      case 'sigmoid':
        a = o.sigmoid(h, `${tag}_a${layer.index}`);
        break;
      case 'none':
        a = h;
        break;
    }
  }
  return { inputs, masks, output: a };
}

/**
 * Backward pass of a chain from dL/d(output after the activation): weight gradients into `grads` (when
 * given) and dL/dx when `wantInput`.
 */
function backward(
  o: Ops,
  chain: DenseChain,
  p: Params,
  f: Forward,
  dOut: string,
  grads: Params | null,
  wantInput: boolean,
  tag: string,
): string | null {
  const last = chain.layers[chain.layers.length - 1].activation;
  let dh = dOut;
  if (last === 'tanh') dh = o.mul(dOut, o.sub(o.scalar(1), o.square(f.output)), `${tag}_dtanh`);
  else if (last === 'sigmoid') dh = o.mul(dOut, o.mul(f.output, o.sub(o.scalar(1), f.output)), `${tag}_dsig`);
  for (let k = chain.layers.length - 1; k >= 0; k--) {
    const layer = chain.layers[k];
    if (grads) {
      grads[`${layer.index}.kernel`] = o.gemm(f.inputs[k], dh, { transA: true }, `${tag}_dW${layer.index}`);
      grads[`${layer.index}.bias`] = o.sum(dh, [0], `${tag}_db${layer.index}`, false);
    }
    if (k === 0 && !wantInput) return null;
    const da = o.gemm(dh, p[`${layer.index}.kernel`], { transB: true }, `${tag}_da${layer.index}`);
    if (k === 0) return da;
    dh = o.mul(da, f.masks[k - 1], `${tag}_dh${chain.layers[k - 1].index}`);
  }
  return null;
}

/**
 * The optimiser's update of every parameter; returns the new parameters and slots. Adam's bias corrections
 * come folded into its two per-step scalars (see adamStepScalars): p − s·m/(√v + ε̂), nine pointwise passes.
 */
function optimizerStep(
  o: Ops,
  chain: DenseChain,
  opt: OptimizerConfig,
  p: Params,
  slots: Record<string, Params>,
  grads: Params,
  scalars: { stepSize?: string; epsHat?: string },
  clip: number | null,
  tag: string,
): { params: Params; slots: Record<string, Params> } {
  const next: Params = {};
  const nextSlots: Record<string, Params> = Object.fromEntries(slotNames(opt).map((s) => [s, {}]));
  for (const { name } of chain.params) {
    const g = grads[name];
    let updated: string;
    if (opt.type === 'adam') {
      const decayedM = opt.beta1 === 0 ? '' : o.mul(slots.m[name], o.scalar(opt.beta1), `${tag}_mb`);
      const m = opt.beta1 === 0 ? g : o.add(decayedM, o.mul(g, o.scalar(1 - opt.beta1), `${tag}_mg`), `${tag}_m`);
      const decayedV = o.mul(slots.v[name], o.scalar(opt.beta2), `${tag}_vb`);
      const v = o.add(decayedV, o.mul(o.square(g, `${tag}_g2`), o.scalar(1 - opt.beta2), `${tag}_vg`), `${tag}_v`);
      const denom = o.add(o.sqrt(v, `${tag}_sqrt`), scalars.epsHat as string, `${tag}_den`);
      const step = o.mul(o.div(m, denom, `${tag}_ratio`), scalars.stepSize as string, `${tag}_step`);
      updated = o.sub(p[name], step, `${tag}_p`);
      nextSlots.m[name] = m;
      nextSlots.v[name] = v;
    } else {
      const decayedV = o.mul(slots.v[name], o.scalar(opt.alpha), `${tag}_vb`);
      const v = o.add(decayedV, o.mul(o.square(g, `${tag}_g2`), o.scalar(1 - opt.alpha), `${tag}_vg`), `${tag}_v`);
      const denom = o.add(o.sqrt(v, `${tag}_sqrt`), o.scalar(opt.eps), `${tag}_den`);
      updated = o.sub(p[name], o.mul(o.div(g, denom, `${tag}_ratio`), o.scalar(opt.lr), `${tag}_step`), `${tag}_p`);
      nextSlots.v[name] = v;
    }
    next[name] = clip === null ? updated : o.clip(updated, -clip, clip, `${tag}_clip`);
  }
  return { params: next, slots: nextSlots };
}

/**
 * Adam's per-step scalars at step t (1-based) for the graph's inputs `step*`/`eps*`: with b = √(1 − β₂ᵗ),
 * lr/(1 − β₁ᵗ)·m/(√v/b + ε) = s·m/(√v + ε̂) for s = lr·b/(1 − β₁ᵗ) and ε̂ = ε·b.
 */
export function adamStepScalars(
  opt: Extract<OptimizerConfig, { type: 'adam' }>,
  t: number,
): { stepSize: number; epsHat: number } {
  const b = Math.sqrt(1 - opt.beta2 ** t);
  return { stepSize: (opt.lr * b) / (1 - opt.beta1 ** t), epsHat: opt.eps * b };
}

/** The critic step's output deltas over x3 = [x ; x̃ ; x̂]: −1/B for real rows, +1/B for fakes, 1 for x̂ rows. */
export function criticOutputDeltas(o: Ops, B: number, gp: boolean): string {
  const rowsPerStep = gp ? 3 : 2;
  const deltaOut = new Float32Array(rowsPerStep * B);
  deltaOut.fill(-1 / B, 0, B);
  deltaOut.fill(1 / B, B, 2 * B);
  if (gp) deltaOut.fill(1, 2 * B);
  return o.constant('delta_out', [rowsPerStep * B, 1], deltaOut);
}

/** What one critic step computes before its optimiser update (graph value names). */
export interface CriticStepValues {
  /** dL_D/dθ of every critic parameter, by parameter name. */
  grads: Params;
  lossD: string;
  /** λ·mean((‖∇D(x̂)‖ − 1)²); null with weight clipping. */
  penalty: string | null;
  dReal: string;
  dFake: string;
  /** Mean and population std of ‖∇D(x̂)‖ (NaN constants with weight clipping). */
  normMean: string;
  normStd: string;
}

/**
 * One critic step's loss, statistics and weight gradients (see buildWganIterationGraph's note): real rows,
 * fake rows and ε [B, 1] go in; `deltaOut` is criticOutputDeltas' constant.
 */
export function criticStepGradients(
  o: Ops,
  D: DenseChain,
  dParams: Params,
  x: { real: string; fake: string; eps: string; deltaOut: string },
  opts: Pick<WganStepSettings, 'loss' | 'lambda' | 'batchSize'>,
  t: string,
): CriticStepValues {
  const { batchSize: B, lambda } = opts;
  const gp = opts.loss === 'gp';
  const { real, fake, eps } = x;
  const deltaOutName = x.deltaOut;
  let stats: Pick<CriticStepValues, 'dReal' | 'dFake' | 'normMean' | 'normStd'>;
  let penaltyValue: string | null = null;
  const parts = [real, fake];
  if (gp) parts.push(o.add(fake, o.mul(eps, o.sub(real, fake)), `${t}_xhat`));
  const x3 = o.concatRows(parts, `${t}_x`);
  const f = forward(o, D, dParams, x3, `${t}_D`);
  const dReal = o.meanAll(o.rows(f.output, 0, B), `${t}_dReal`);
  const dFake = o.meanAll(o.rows(f.output, B, 2 * B), `${t}_dFake`);
  // one backward recursion over all rows: δ_k
  const K = D.layers.length;
  const deltas: string[] = new Array(K);
  deltas[K - 1] = deltaOutName;
  for (let k = K - 1; k >= 1; k--) {
    const da = o.gemm(deltas[k], dParams[`${D.layers[k].index}.kernel`], { transB: true }, `${t}_da${k}`);
    deltas[k - 1] = o.mul(da, f.masks[k - 1], `${t}_delta${k - 1}`);
  }
  const grads: Params = {};
  let lossD = o.sub(dFake, dReal, `${t}_w`);
  let psi: string | null = null;
  if (gp) {
    const u0 = o.rows(deltas[0], 2 * B, 3 * B, `${t}_u0`);
    const grad = o.gemm(u0, dParams[`${D.layers[0].index}.kernel`], { transB: true }, `${t}_gradx`);
    const norms = o.sqrt(o.sum(o.square(grad), [1]), `${t}_norms`); // [B, 1]
    const dev = o.sub(norms, o.scalar(1), `${t}_dev`);
    const penalty = o.mul(o.meanAll(o.square(dev)), o.scalar(lambda), `${t}_gp`);
    // ∂GP/∂g_i = (2λ/B)(‖g_i‖ − 1) g_i/‖g_i‖, and 0 where ‖g_i‖ = 0 (torch's norm backward: a ReLU critic dead
    // on an interpolate has g_i = 0 exactly, and 0/0 would turn every weight into NaN)
    const alive = o.greater(norms, o.scalar(0), `${t}_alive`);
    const coef = o.where(alive, o.div(dev, o.max(norms, o.scalar(1e-30))), o.scalar(0), `${t}_coef`);
    psi = o.mul(grad, o.mul(coef, o.scalar((2 * lambda) / B)), `${t}_Gpen`);
    lossD = o.add(lossD, penalty, `${t}_lossD`);
    penaltyValue = penalty;
    const normMean = o.meanAll(norms, `${t}_nmean`);
    // population std, E6's estimator
    const normStd = o.sqrt(o.div(o.sumAll(o.square(o.sub(norms, normMean))), o.scalar(B)), `${t}_nstd`);
    stats = { dReal, dFake, normMean, normStd };
  } else {
    stats = { dReal, dFake, normMean: o.scalar(NaN), normStd: o.scalar(NaN) };
  }
  for (let k = 0; k < K; k++) {
    const layer = D.layers[k];
    const aRealFake = gp ? o.rows(f.inputs[k], 0, 2 * B, `${t}_arf${k}`) : f.inputs[k];
    const A = psi ? o.concatRows([aRealFake, psi], `${t}_A${k}`) : aRealFake;
    grads[`${layer.index}.kernel`] = o.gemm(A, deltas[k], { transA: true }, `${t}_dW${layer.index}`);
    grads[`${layer.index}.bias`] = o.sum(
      gp ? o.rows(deltas[k], 0, 2 * B) : deltas[k],
      [0],
      `${t}_db${layer.index}`,
      false,
    );
    if (psi && k < K - 1)
      psi = o.mul(o.matmul(psi, dParams[`${layer.index}.kernel`]), o.rows(f.masks[k], 2 * B, 3 * B), `${t}_psi${k}`);
  }
  return { grads, lossD, penalty: penaltyValue, ...stats };
}

/** The generator step's loss −mean D(G(z)) and G's weight gradients, against critic weights `dParams`. */
export function generatorStepGradients(
  o: Ops,
  G: DenseChain,
  D: DenseChain,
  gParams: Params,
  dParams: Params,
  zg: string,
  B: number,
): { grads: Params; lossG: string } {
  const fg = forward(o, G, gParams, zg, 'g_G');
  const fd = forward(o, D, dParams, fg.output, 'g_D');
  const lossG = o.neg(o.meanAll(fd.output), 'lossG');
  const dScore = o.constant('g_dscore', [B, 1], new Float32Array(B).fill(-1 / B));
  const dx = backward(o, D, dParams, fd, dScore, null, true, 'g_bD') as string;
  const grads: Params = {};
  backward(o, G, gParams, fg, dx, grads, false, 'g_bG');
  return { grads, lossG };
}

export function buildWganIterationGraph(opts: WganGraphOptions): WganGraph {
  const { generator: G, critic: D, batchSize: B, nCritic } = opts;
  const g = new GraphBuilder('wgan-iteration');
  const o = new Ops(g);
  const inputs: ValueInfo[] = [];
  const declare = (name: string, shape: number[]) => {
    inputs.push({ name: g.reserve(name), shape });
    return name;
  };
  const paramInputs = (chain: DenseChain, prefix: string): Params =>
    Object.fromEntries(chain.params.map((q) => [q.name, declare(`${prefix}.${q.name}`, q.shape)]));
  const slotInputs = (chain: DenseChain, prefix: string, opt: OptimizerConfig): Record<string, Params> =>
    Object.fromEntries(
      slotNames(opt).map((s) => [
        s,
        Object.fromEntries(chain.params.map((q) => [q.name, declare(`${prefix}.${q.name}.${s}`, q.shape)])),
      ]),
    );

  const gParams0 = paramInputs(G, 'G');
  const gSlots0 = slotInputs(G, 'G', opts.optimizerG);
  let dParams = paramInputs(D, 'D');
  let dSlots = slotInputs(D, 'D', opts.optimizerD);
  const d = D.inputSize;
  const dz = G.inputSize;

  const gp = opts.loss === 'gp';
  const deltaOutName = criticOutputDeltas(o, B, gp);

  const lossesD: string[] = [];
  const penalties: string[] = [];
  let last: CriticStepValues | null = null;
  // G does not change during the critic steps: every step's fakes in one forward pass (larger products run faster)
  const zAll = Array.from({ length: nCritic }, (_, c) => declare(`zc_${c}`, [B, dz]));
  const fakesAll =
    nCritic > 0 ? forward(o, G, gParams0, nCritic > 1 ? o.concatRows(zAll, 'zc_all') : zAll[0], 'c_G').output : '';
  for (let c = 0; c < nCritic; c++) {
    const t = `c${c}`;
    const real = declare(`real_${c}`, [B, d]);
    const eps = declare(`eps_${c}`, [B, 1]);
    const stepScalars =
      opts.optimizerD.type === 'adam' ? { stepSize: declare(`stepD_${c}`, []), epsHat: declare(`epsD_${c}`, []) } : {};
    const fake = nCritic > 1 ? o.rows(fakesAll, c * B, (c + 1) * B, `${t}_fake`) : fakesAll;
    last = criticStepGradients(o, D, dParams, { real, fake, eps, deltaOut: deltaOutName }, opts, t);
    lossesD.push(last.lossD);
    if (last.penalty) penalties.push(last.penalty);
    const next = optimizerStep(
      o,
      D,
      opts.optimizerD,
      dParams,
      dSlots,
      last.grads,
      stepScalars,
      gp ? null : opts.clipValue,
      `${t}_opt`,
    );
    dParams = next.params;
    dSlots = next.slots;
  }

  // generator step against the updated critic
  const zg = declare('zg', [B, dz]);
  const gScalars =
    opts.optimizerG.type === 'adam' ? { stepSize: declare('stepG', []), epsHat: declare('epsG', []) } : {};
  const { grads: gGrads, lossG } = generatorStepGradients(o, G, D, gParams0, dParams, zg, B);
  const gNext = optimizerStep(o, G, opts.optimizerG, gParams0, gSlots0, gGrads, gScalars, null, 'g_opt');

  // statistics, IterationStats order
  const mean = (xs: string[]) =>
    xs.length
      ? o.div(
          xs.slice(1).reduce((acc, x) => o.add(acc, x), xs[0]),
          o.scalar(xs.length),
        )
      : o.scalar(NaN);
  let clipFraction = o.scalar(NaN);
  if (!gp) {
    const total = D.params.reduce((s, q) => s + q.shape.reduce((a, b) => a * b, 1), 0);
    const atBound = D.params.map((q) =>
      o.sumAll(o.castFloat(o.equal(o.abs(dParams[q.name]), o.scalar(opts.clipValue)))),
    );
    clipFraction = o.div(
      atBound.slice(1).reduce((acc, x) => o.add(acc, x), atBound[0]),
      o.scalar(total),
      'clipFraction',
    );
  }
  const stats = o.stack(
    [
      mean(lossesD),
      lossG,
      last!.dReal,
      last!.dFake,
      gp ? mean(penalties) : o.scalar(0),
      last!.normMean,
      last!.normStd,
      clipFraction,
    ],
    'stats_all',
  );

  // outputs: every weight and slot, and the stats
  const outputs: ValueInfo[] = [];
  const renamed = new Set<string>();
  const emit = (from: string, name: string, shape: number[]) => {
    // a node output becomes the graph output by renaming (no copy); a value emitted twice gets an Identity
    const produced = !inputs.some((i) => i.name === from) && !renamed.has(from);
    outputs.push({ name: produced ? g.rename(from, name) : g.output(from, name), shape });
    if (produced) renamed.add(name);
  };
  for (const [prefix, chain, params, slots] of [
    ['G', G, gNext.params, gNext.slots],
    ['D', D, dParams, dSlots],
  ] as const) {
    for (const q of chain.params) {
      emit(params[q.name], `${prefix}.${q.name}.next`, q.shape);
      for (const [s, values] of Object.entries(slots)) emit(values[q.name], `${prefix}.${q.name}.${s}.next`, q.shape);
    }
  }
  emit(stats, 'stats', [8]);
  const model = g.encode({
    inputs,
    outputs,
    producerVersion: '0.1.0',
    docString: 'one WGAN generator iteration (critic steps + generator step + optimiser updates)',
  });
  return { model, inputs, outputs, opTypes: g.opTypes() };
}

/** G's forward pass alone, weights as inputs: z [N, d_z] → x [N, d] (snapshots and samples). */
export function buildGeneratorGraph(G: DenseChain): { model: Uint8Array; inputs: ValueInfo[] } {
  const g = new GraphBuilder('generator');
  const o = new Ops(g);
  const inputs: ValueInfo[] = [{ name: g.reserve('z'), shape: ['N', G.inputSize] }];
  const p: Params = {};
  for (const q of G.params) {
    p[q.name] = g.reserve(`G.${q.name}`);
    inputs.push({ name: p[q.name], shape: q.shape });
  }
  const out = forward(o, G, p, 'z', 'G').output;
  const model = g.encode({
    inputs,
    outputs: [{ name: g.output(out, 'x'), shape: ['N', G.outputSize] }],
    producerVersion: '0.1.0',
  });
  return { model, inputs };
}

/**
 * Floating-point operations of the matrix products in one generator iteration as buildWganIterationGraph
 * computes it (2·m·n·k per product; the pointwise work and the optimiser updates, O(parameters), are left
 * out), from the architecture alone. With M = Σ in·out over a chain's layers, M' = M less the first layer,
 * r = 3B rows per critic step with the penalty (2B with clipping): each critic step runs a forward pass
 * (2rM_D), the backward recursion's deltas (2rM'_D) and one weight-gradient product per layer (2rM_D), and
 * with the penalty the input gradient (2B·in₀·out₀) and the ψ chain (2B·(M_D − M_last)); the critics' fakes
 * are one forward pass of G (2·n_critic·B·M_G); the generator step is G's and D's forward passes, D's
 * input-gradient backward pass and G's weight and input gradients (2B·(2M_G + M'_G + 2M_D)).
 */
export function iterationFlops(
  o: Pick<WganGraphOptions, 'generator' | 'critic' | 'batchSize' | 'nCritic' | 'loss'>,
): number {
  const sizes = (c: DenseChain) => c.layers.map((l) => l.inputs * l.units);
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const [mg, md] = [sizes(o.generator), sizes(o.critic)];
  const [MG, MD] = [total(mg), total(md)];
  const B = o.batchSize;
  const gp = o.loss === 'gp';
  const r = (gp ? 3 : 2) * B;
  const penalty = gp ? 2 * B * md[0] + 2 * B * (MD - md[md.length - 1]) : 0;
  const criticStep = 2 * r * MD + 2 * r * (MD - md[0]) + 2 * r * MD + penalty;
  const fakes = 2 * o.nCritic * B * MG;
  const generatorStep = 2 * B * (2 * MG + (MG - mg[0]) + 2 * MD);
  return o.nCritic * criticStep + fakes + generatorStep;
}
