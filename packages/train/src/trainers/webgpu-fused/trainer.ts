/// <reference types="@webgpu/types" />
import type { OptimizerConfig } from '../../optimizers.js';
import { PipelineError } from '@wgan/core';
import type { NetworkSpec } from '../../models/spec.js';
import {
  GAN_LOSS_FIELDS,
  GAN_RUNNING_FIELDS,
  STAT_FIELDS,
  type IterationInputs,
  type IterationStats,
  type OptimizerState,
  type Trainer,
  type TrainerState,
  type WganStepSettings,
} from '../../trainer.js';
import { BufferSet, PipelineCache, Plan, PlanBuilder, readBuffer, writeLarge, type Dispatch } from './gpu.js';
import { grid2d, type ActivationKind } from './kernels/common.js';
import { gatherKernel, gatherUniform } from './kernels/gather.js';
import {
  DEFAULT_TILE_CHOICE,
  chooseTile,
  matmulKernel,
  matmulUniform,
  matmulWorkgroups,
  type MaskMode,
  type TileChoice,
} from './kernels/matmul.js';
import { optimizerKernel, optimizerUniform } from './kernels/optimizer.js';
import { penaltyKernel, penaltyUniform } from './kernels/penalty.js';
import { statsKernel, statsUniform } from './kernels/stats.js';
import { denseChain, flatten, unflatten, type DenseChain } from '../../models/dense-chain.js';

/**
 * The fused WebGPU training path for dense-chain GANs: one generator iteration — nCritic
 * critic steps and one generator step — is ONE command buffer of ~110 dispatches, built once as a plan,
 * so the per-iteration host cost is a single writeBuffer of the random inputs plus encoding.
 *
 * Critic step c (batch B, image size d; rows of the stacked critic batch x3 [R, d]):
 *
 *   x3 = [ x (real, gathered) ; x̃ = G(z_c) ; x̂ = εx + (1 − ε)x̃ ]        R = 3B (GP) or 2B (clipping)
 *   forward   A_l = act_l(A_{l−1} W_l + b_l), A_0 = x3, D = A_L (scalar per row)
 *   backward  δ_L = s with s = −1/B (real rows), +1/B (fake rows), 1 (x̂ rows)
 *             δ_l = act'_l(A_l) ⊙ (δ_{l+1} W_{l+1}ᵀ)
 *   The real/fake rows of δ are the W-loss deltas of mean D(x̃) − mean D(x); the x̂ rows are the chain of
 *   the input gradient g = ∇ₓD(x̂) = δ_1[x̂] W_1ᵀ (the same recursion with upstream 1).
 *   penalty   Gᵢ = (2λ/B)(‖gᵢ‖ − 1) gᵢ/‖gᵢ‖, written over x3's x̂ rows (ψ_0 = G)
 *             ψ_l = act'_l(A_l[x̂]) ⊙ (ψ_{l−1} W_l), written over A_l's x̂ rows (masks are piecewise
 *             constant for (leaky) ReLU, so this is the exact reverse mode of g's dependence on W)
 *   weights   [dW_l ; db_l] = [A_{l−1}]ᵀ · δ_l  over all R rows — real/fake rows give the W-loss
 *             gradient, x̂ rows give the penalty's ψ_{l−1}ᵀ δ_l — and the bias row sums the real/fake
 *             rows of δ_l only (the penalty does not depend on biases). The output bias's W-loss
 *             gradient, Σ s over the real and fake rows, is exactly 0 and is written as 0 (f32 rounding
 *             noise would otherwise be blown up by Adam's normalisation into ±lr steps).
 *   update    one Adam/RMSprop dispatch over the critic's flat parameter buffer (+ clip to [−c, c]).
 *
 * Generator step: x̃ = G(z), D(x̃), δ chain of −mean D with s = −1/B, dX = act'_out(x̃) ⊙ (δ_1 W_1ᵀ),
 * ordinary backprop through G, one optimiser dispatch over G. A final one-workgroup kernel reduces the
 * iteration's statistics into 8 floats, copied into a ring of pending stats read back by readStats().
 */

/** The loss's default optimiser, from train's config (its one source of defaults); kept here for the fused bench. */
export { defaultOptimizer } from '../../config.js';

export interface KernelTuning {
  tiles: TileChoice;
  /** Threads per workgroup of the 1-D kernels (gather, optimisers). */
  elementwiseWorkgroup: number;
  /** Threads per workgroup of the reductions (penalty rows, stats); a power of two. */
  reduceWorkgroup: number;
}

export const DEFAULT_TUNING: KernelTuning = {
  tiles: DEFAULT_TILE_CHOICE,
  elementwiseWorkgroup: 128,
  reduceWorkgroup: 128,
};

export interface FusedTrainerOptions extends WganStepSettings {
  /** Any GPUDevice; pass webgpuDevice().device to share tfjs's. */
  device: GPUDevice;
  generatorSpec: NetworkSpec;
  criticSpec: NetworkSpec;
  /** Weights and optimiser state to start from (optimiser slots may be empty: zeros). */
  initial: TrainerState;
  /** Training images [n, d] row-major, d = the generator's output size; uploaded once. */
  trainImages: Float32Array;
  tuning?: Partial<KernelTuning>;
}

interface Mat {
  buffer: GPUBuffer;
  /** Element offset of row 0. */
  offset: number;
  /** Row stride in elements. */
  ld: number;
}

function rowsFrom(m: Mat, row: number): Mat {
  return { buffer: m.buffer, offset: m.offset + row * m.ld, ld: m.ld };
}

interface Net {
  chain: DenseChain;
  opt: OptimizerConfig;
  params: GPUBuffer;
  grads: GPUBuffer;
  m: GPUBuffer | null;
  v: GPUBuffer;
  /** Updates applied so far (Adam's t). */
  step: number;
}

const STATS_FLOATS = 8;
const STATS_BYTES = STATS_FLOATS * 4;

export class WebgpuFusedTrainer implements Trainer<IterationStats> {
  readonly statFields = STAT_FIELDS;
  readonly lossFields = GAN_LOSS_FIELDS;
  readonly runningFields = GAN_RUNNING_FIELDS;
  readonly implementation = 'webgpu-fused';
  readonly device: GPUDevice;
  readonly batchSize: number;
  readonly nCritic: number;
  readonly loss: 'gp' | 'clip';
  readonly latentDim: number;
  readonly imageSize: number;
  private readonly lambda: number;
  private readonly clipValue: number;
  private readonly tuning: KernelTuning;
  private readonly buffers: BufferSet;
  private readonly pipelines: PipelineCache;
  private readonly gen: Net;
  private readonly critic: Net;
  private readonly trainRows: number;
  private readonly trainChunks: { buffer: GPUBuffer; rowBase: number; rowCount: number }[] = [];
  /** Rows of the stacked critic batch: 3B (GP) or 2B (clipping). */
  private readonly rows: number;
  private readonly layout: { z: number; eps: number; idx: number; schedule: number; total: number };
  private readonly inputs: GPUBuffer;
  private readonly inputData: ArrayBuffer;
  private readonly clipCount: GPUBuffer;
  private readonly statsCurrent: GPUBuffer;
  private statsRing: GPUBuffer;
  private ringCapacity = 256;
  private pending = 0;
  private readonly errors: Promise<GPUError | null>[] = [];
  private readonly plan: Plan;
  private disposed = false;

  /** Builds every buffer, pipeline and the iteration plan; validation errors become a PipelineError. */
  static async create(options: FusedTrainerOptions): Promise<WebgpuFusedTrainer> {
    const { device } = options;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let trainer: WebgpuFusedTrainer | null = null;
    let thrown: unknown = null;
    try {
      trainer = new WebgpuFusedTrainer(options);
    } catch (e) {
      thrown = e;
    }
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (thrown) throw thrown;
    const error = validation ?? oom;
    if (error) {
      trainer?.dispose();
      throw new PipelineError(
        `WebGPU rejected the fused trainer: ${error.message}`,
        'webgpu device',
        'this is a bug or a device limit; run with --trainer tfjs meanwhile',
        1,
      );
    }
    return trainer!;
  }

  private constructor(o: FusedTrainerOptions) {
    this.device = o.device;
    this.batchSize = o.batchSize;
    this.nCritic = o.nCritic;
    this.loss = o.loss;
    this.lambda = o.lambda;
    this.clipValue = o.clipValue;
    this.tuning = { ...DEFAULT_TUNING, ...o.tuning };
    const genChain = denseChain(o.generatorSpec);
    const criticChain = denseChain(o.criticSpec);
    this.latentDim = genChain.inputSize;
    this.imageSize = genChain.outputSize;
    checkShapes(o, genChain, criticChain, this.tuning, this.device.limits);
    this.buffers = new BufferSet(this.device);
    this.pipelines = new PipelineCache(this.device);
    const B = this.batchSize;
    const nC = this.nCritic;
    const d = this.imageSize;
    const dz = this.latentDim;
    this.rows = this.loss === 'gp' ? 3 * B : 2 * B;

    this.gen = this.makeNet(genChain, o.optimizerG);
    this.critic = this.makeNet(criticChain, o.optimizerD);
    this.setStateNow(o.initial);

    // The training set, in as many storage buffers as the binding-size limit requires.
    this.trainRows = o.trainImages.length / d;
    const rowsPerChunk = Math.max(1, Math.floor(this.device.limits.maxStorageBufferBindingSize / (d * 4)));
    for (let rowBase = 0; rowBase < this.trainRows; rowBase += rowsPerChunk) {
      const rowCount = Math.min(rowsPerChunk, this.trainRows - rowBase);
      const buffer = this.buffers.create(
        `train[${rowBase}]`,
        rowCount * d * 4,
        GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      );
      writeLarge(this.device, buffer, 0, o.trainImages.subarray(rowBase * d, (rowBase + rowCount) * d));
      this.trainChunks.push({ buffer, rowBase, rowCount });
    }

    // The iteration's inputs, one buffer: z (nCritic + 1 blocks) | ε | indices (u32) | optimiser schedule.
    const z = 0;
    const eps = (nC + 1) * B * dz;
    const idx = eps + nC * B;
    const schedule = idx + nC * B;
    const total = schedule + (nC + 1) * 8;
    this.layout = { z, eps, idx, schedule, total };
    this.inputData = new ArrayBuffer(total * 4);
    this.inputs = this.buffers.storage('inputs', total);

    this.clipCount = this.buffers.storage('clipCount', 1);
    this.statsCurrent = this.buffers.storage('stats', STATS_FLOATS);
    this.statsRing = this.buffers.storage('statsRing', this.ringCapacity * STATS_FLOATS);
    this.plan = this.buildIterationPlan();
  }

  private makeNet(chain: DenseChain, opt: OptimizerConfig): Net {
    const n = chain.size;
    return {
      chain,
      opt,
      params: this.buffers.storage(`${chain.role}/params`, n),
      grads: this.buffers.storage(`${chain.role}/grads`, n),
      m: opt.type === 'adam' ? this.buffers.storage(`${chain.role}/m`, n) : null,
      v: this.buffers.storage(`${chain.role}/v`, n),
      step: 0,
    };
  }

  // ---------------------------------------------------------------- plan building

  private mm(
    plan: PlanBuilder,
    o: {
      a: Mat;
      transA?: boolean;
      b: Mat;
      transB?: boolean;
      c: Mat;
      M: number;
      N: number;
      K: number;
      bias?: number;
      activation?: ActivationKind;
      alpha?: number;
      mask?: Mat | 'inPlace';
      maskActivation?: ActivationKind;
      biasRows?: number;
    },
  ): void {
    const tile = chooseTile(this.tuning.tiles, o.M, o.N);
    const mask: MaskMode = o.mask === undefined ? 'none' : o.mask === 'inPlace' ? 'inPlace' : 'buffer';
    const kernel = matmulKernel({
      transA: o.transA ?? false,
      transB: o.transB ?? false,
      bias: o.bias !== undefined,
      activation: o.activation ?? 'none',
      mask,
      maskActivation: o.maskActivation ?? 'none',
      biasRow: o.biasRows !== undefined,
      tile,
    });
    const maskMat = typeof o.mask === 'object' ? o.mask : null;
    const uniform = matmulUniform({
      M: o.M,
      N: o.N,
      K: o.K,
      aOffset: o.a.offset,
      lda: o.a.ld,
      bOffset: o.b.offset,
      ldb: o.b.ld,
      cOffset: o.c.offset,
      ldc: o.c.ld,
      biasOffset: o.bias ?? 0,
      maskOffset: maskMat?.offset ?? 0,
      ldm: maskMat?.ld ?? 0,
      biasRows: o.biasRows ?? 0,
      alpha: o.alpha ?? 0,
    });
    const bufs = [o.a.buffer, o.b.buffer, o.c.buffer];
    if (maskMat) bufs.push(maskMat.buffer);
    plan.add(kernel, uniform, bufs, matmulWorkgroups(tile, o.M, o.N), `${o.M}×${o.N}×${o.K}`);
  }

  /** act(x·W + b) through every layer: hidden activations into `hidden[l]`, the last layer into `out`. */
  private forward(plan: PlanBuilder, net: Net, input: Mat, rows: number, hidden: GPUBuffer[], out: Mat): void {
    const layers = net.chain.layers;
    layers.forEach((L, l) => {
      const a = l === 0 ? input : { buffer: hidden[l - 1], offset: 0, ld: L.inputs };
      const c = l === layers.length - 1 ? out : { buffer: hidden[l], offset: 0, ld: L.units };
      this.mm(plan, {
        a,
        b: { buffer: net.params, offset: L.kernelOffset, ld: L.units },
        c,
        M: rows,
        N: L.units,
        K: L.inputs,
        bias: L.biasOffset,
        activation: L.activation,
        alpha: L.alpha,
      });
    });
  }

  /** δ_l = act'_l(A_l) ⊙ (δ_{l+1} W_{l+1}ᵀ) for the hidden layers of `net`, from δ of its last layer. */
  private backwardDeltas(
    plan: PlanBuilder,
    net: Net,
    rows: number,
    acts: GPUBuffer[],
    deltas: GPUBuffer[],
    lastDelta: Mat,
  ): void {
    const layers = net.chain.layers;
    for (let l = layers.length - 2; l >= 0; l--) {
      const next = layers[l + 1];
      const a = l === layers.length - 2 ? lastDelta : { buffer: deltas[l + 1], offset: 0, ld: next.units };
      this.mm(plan, {
        a,
        b: { buffer: net.params, offset: next.kernelOffset, ld: next.units },
        transB: true,
        c: { buffer: deltas[l], offset: 0, ld: layers[l].units },
        M: rows,
        N: next.inputs,
        K: next.units,
        mask: { buffer: acts[l], offset: 0, ld: layers[l].units },
        maskActivation: layers[l].activation,
        alpha: layers[l].alpha,
      });
    }
  }

  /** [dW_l ; db_l] = Aᵀ_{l−1} · δ_l into the gradient buffer, the bias row summing the first biasRows rows. */
  private weightGradient(
    plan: PlanBuilder,
    net: Net,
    l: number,
    input: Mat,
    delta: Mat,
    rows: number,
    biasRows: number,
  ): void {
    const L = net.chain.layers[l];
    this.mm(plan, {
      a: input,
      transA: true,
      b: delta,
      c: { buffer: net.grads, offset: L.kernelOffset, ld: L.units },
      M: L.inputs + 1,
      N: L.units,
      K: rows,
      biasRows,
    });
  }

  private optimizerStep(plan: PlanBuilder, net: Net, scheduleIndex: number, clip: boolean, countClip: boolean): void {
    const wg = this.tuning.elementwiseWorkgroup;
    const kernel = optimizerKernel(net.opt.type, clip, wg);
    const bufs = [net.params, net.grads, this.inputs];
    if (net.m) bufs.push(net.m);
    bufs.push(net.v);
    if (clip) bufs.push(this.clipCount);
    const [x, y] = grid2d(Math.ceil(net.chain.size / wg), this.device.limits.maxComputeWorkgroupsPerDimension);
    plan.add(
      kernel,
      optimizerUniform({
        n: net.chain.size,
        schedule: this.layout.schedule + scheduleIndex * 8,
        countClip: countClip ? 1 : 0,
      }),
      bufs,
      [x, y, 1],
      `${net.chain.role} ${net.chain.size}`,
    );
  }

  private buildIterationPlan(): Plan {
    const B = this.batchSize;
    const nC = this.nCritic;
    const d = this.imageSize;
    const dz = this.latentDim;
    const R = this.rows;
    const gp = this.loss === 'gp';
    const gl = this.gen.chain.layers;
    const cl = this.critic.chain.layers;
    const buf = this.buffers;

    const x3 = buf.storage('critic/x3', R * d);
    const genActs = gl.slice(0, -1).map((L, l) => buf.storage(`generator/act${l}`, B * L.units));
    const genDeltas = gl.map((L, l) => buf.storage(`generator/delta${l}`, B * L.units));
    const criticActs = cl.slice(0, -1).map((L, l) => buf.storage(`critic/act${l}`, R * L.units));
    const criticDeltas = cl.slice(0, -1).map((L, l) => buf.storage(`critic/delta${l}`, R * L.units));
    const gx = buf.storage('critic/inputGradient', B * d);
    const rowStats = buf.storage('critic/rowStats', nC * 2 * B);
    const dOut = buf.storage('critic/outputs', nC * R + B);
    const xg = buf.storage('generator/output', B * d);
    // Output-layer deltas: ±1/B for the W-loss rows, 1 for the x̂ rows; −1/B for L_G = −mean D(G(z)).
    const criticScale = buf.storage('critic/outputDelta', R);
    const scale = new Float32Array(R);
    scale
      .fill(-1 / B, 0, B)
      .fill(1 / B, B, 2 * B)
      .fill(1, 2 * B);
    this.device.queue.writeBuffer(criticScale, 0, scale);
    const genScale = buf.storage('generator/outputDelta', B);
    this.device.queue.writeBuffer(genScale, 0, new Float32Array(B).fill(-1 / B));

    const plan = new PlanBuilder(this.device, this.pipelines, this.buffers);
    const zAt = (s: number): Mat => ({ buffer: this.inputs, offset: this.layout.z + s * B * dz, ld: dz });
    const W = (net: Net, l: number): Mat => ({
      buffer: net.params,
      offset: net.chain.layers[l].kernelOffset,
      ld: net.chain.layers[l].units,
    });
    const x3Mat: Mat = { buffer: x3, offset: 0, ld: d };
    /** Input of critic layer l: x3 for l = 0, else A_{l−1}. */
    const criticIn = (l: number): Mat =>
      l === 0 ? x3Mat : { buffer: criticActs[l - 1], offset: 0, ld: cl[l - 1].units };
    const criticOutDelta: Mat = { buffer: criticScale, offset: 0, ld: 1 };
    const criticDelta = (l: number): Mat =>
      l === cl.length - 1 ? criticOutDelta : { buffer: criticDeltas[l], offset: 0, ld: cl[l].units };
    const wg = this.tuning.elementwiseWorkgroup;
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;

    for (let c = 0; c < nC; c++) {
      // Fake rows x̃ = G(z_c), written straight into the critic batch.
      this.forward(plan, this.gen, zAt(c), B, genActs, rowsFrom(x3Mat, B));
      // Real rows (gathered by index) and interpolates.
      const [gxW, gyW] = grid2d(Math.ceil((B * d) / wg), maxDim);
      for (const chunk of this.trainChunks) {
        plan.add(
          gatherKernel(wg),
          gatherUniform({
            B,
            dim: d,
            idxOffset: this.layout.idx + c * B,
            epsOffset: this.layout.eps + c * B,
            rowBase: chunk.rowBase,
            rowCount: chunk.rowCount,
            fakeOffset: B * d,
            interpOffset: 2 * B * d,
            interp: gp ? 1 : 0,
          }),
          [chunk.buffer, this.inputs, this.inputs, x3],
          [gxW, gyW, 1],
          `${B}×${d}`,
        );
      }
      this.forward(plan, this.critic, x3Mat, R, criticActs, { buffer: dOut, offset: c * R, ld: 1 });
      this.backwardDeltas(plan, this.critic, R, criticActs, criticDeltas, criticOutDelta);
      if (gp) {
        // g = δ_1[x̂] W_1ᵀ, then G = ∂penalty/∂g over the x̂ rows of x3, then ψ_l over the x̂ rows of A_l.
        this.mm(plan, {
          a: rowsFrom(criticDelta(0), 2 * B),
          b: W(this.critic, 0),
          transB: true,
          c: { buffer: gx, offset: 0, ld: d },
          M: B,
          N: d,
          K: cl[0].units,
        });
        plan.add(
          penaltyKernel(this.tuning.reduceWorkgroup),
          penaltyUniform({ B, dim: d, gOffset: 0, outOffset: 2 * B * d, statsOffset: c * 2 * B, lambda: this.lambda }),
          [gx, x3, rowStats],
          [B, 1, 1],
          `${B}×${d}`,
        );
        for (let l = 0; l < cl.length - 1; l++) {
          this.mm(plan, {
            a: rowsFrom(criticIn(l), 2 * B),
            b: W(this.critic, l),
            c: rowsFrom(criticIn(l + 1), 2 * B),
            M: B,
            N: cl[l].units,
            K: cl[l].inputs,
            mask: 'inPlace',
            maskActivation: cl[l].activation,
            alpha: cl[l].alpha,
          });
        }
      }
      for (let l = 0; l < cl.length; l++) {
        this.weightGradient(plan, this.critic, l, criticIn(l), criticDelta(l), R, l === cl.length - 1 ? 0 : 2 * B);
      }
      this.optimizerStep(plan, this.critic, c, !gp, c === nC - 1);
    }

    // Generator step: L_G = −mean D(G(z)).
    const xgMat: Mat = { buffer: xg, offset: 0, ld: d };
    this.forward(plan, this.gen, zAt(nC), B, genActs, xgMat);
    this.forward(plan, this.critic, xgMat, B, criticActs, { buffer: dOut, offset: nC * R, ld: 1 });
    const genOutDelta: Mat = { buffer: genScale, offset: 0, ld: 1 };
    this.backwardDeltas(plan, this.critic, B, criticActs, criticDeltas, genOutDelta);
    const lastG = gl[gl.length - 1];
    this.mm(plan, {
      a: cl.length === 1 ? genOutDelta : { buffer: criticDeltas[0], offset: 0, ld: cl[0].units },
      b: W(this.critic, 0),
      transB: true,
      c: { buffer: genDeltas[gl.length - 1], offset: 0, ld: d },
      M: B,
      N: d,
      K: cl[0].units,
      mask: xgMat,
      maskActivation: lastG.activation,
      alpha: lastG.alpha,
    });
    for (let l = gl.length - 1; l >= 0; l--) {
      const input = l === 0 ? zAt(nC) : { buffer: genActs[l - 1], offset: 0, ld: gl[l].inputs };
      const delta: Mat = { buffer: genDeltas[l], offset: 0, ld: gl[l].units };
      this.weightGradient(plan, this.gen, l, input, delta, B, B);
      if (l > 0) {
        this.mm(plan, {
          a: delta,
          b: W(this.gen, l),
          transB: true,
          c: { buffer: genDeltas[l - 1], offset: 0, ld: gl[l - 1].units },
          M: B,
          N: gl[l].inputs,
          K: gl[l].units,
          mask: { buffer: genActs[l - 1], offset: 0, ld: gl[l - 1].units },
          maskActivation: gl[l - 1].activation,
          alpha: gl[l - 1].alpha,
        });
      }
    }
    this.optimizerStep(plan, this.gen, nC, false, false);

    plan.add(
      statsKernel(this.tuning.reduceWorkgroup),
      statsUniform({ nCritic: nC, B, rows: R, gp: gp ? 1 : 0, genOffset: nC * R, nClipParams: this.critic.chain.size }),
      [dOut, rowStats, this.clipCount, this.statsCurrent],
      [1, 1, 1],
    );
    return plan.build('iteration');
  }

  // ---------------------------------------------------------------- Trainer

  /** Dispatches per kernel class in one iteration ("matmul": 90, ...), and the total. */
  dispatchCounts(): Record<string, number> {
    const counts = this.plan.counts();
    return { ...counts, total: this.plan.dispatches.length };
  }

  /** The iteration's dispatches in order (kind, variant label, shape, workgroups), for benchmarks. */
  describeDispatches(): Pick<Dispatch, 'kind' | 'label' | 'info' | 'workgroups'>[] {
    return this.plan.dispatches.map(({ kind, label, info, workgroups }) => ({ kind, label, info, workgroups }));
  }

  /**
   * Benchmarks only: submits the iteration's dispatches that `only` keeps, on whatever the buffers hold
   * (the numbers it leaves are meaningless; call setState afterwards to train on). Times a kernel class.
   */
  benchmarkSubmit(only: (d: Pick<Dispatch, 'kind' | 'label' | 'info'>, index: number) => boolean): void {
    this.checkLive();
    const keep = new Set(this.plan.dispatches.filter((d, i) => only(d, i)));
    const encoder = this.device.createCommandEncoder({ label: 'benchmark' });
    const pass = encoder.beginComputePass();
    this.plan.encode(pass, (d) => keep.has(d));
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  /** GPU buffers alive (tests check dispose and temporary readbacks free what they make). */
  get liveBuffers(): number {
    return this.buffers.count;
  }

  iteration(inputs: IterationInputs): void {
    this.checkLive();
    const B = this.batchSize;
    const nC = this.nCritic;
    const dz = this.latentDim;
    const { z, eps, idx, schedule } = this.layout;
    checkInputs(inputs, nC, B, dz, this.trainRows);
    const f = new Float32Array(this.inputData);
    const u = new Uint32Array(this.inputData);
    for (let c = 0; c < nC; c++) {
      f.set(inputs.zCritic[c], z + c * B * dz);
      f.set(inputs.eps[c], eps + c * B);
      u.set(inputs.indices[c], idx + c * B);
      f.set(
        this.scheduleEntry(this.critic, this.critic.step + c + 1, this.loss === 'clip' ? this.clipValue : 0),
        schedule + c * 8,
      );
    }
    f.set(inputs.zGen, z + nC * B * dz);
    f.set(this.scheduleEntry(this.gen, this.gen.step + 1, 0), schedule + nC * 8);

    this.device.pushErrorScope('validation');
    this.device.queue.writeBuffer(this.inputs, 0, this.inputData);
    const encoder = this.device.createCommandEncoder({ label: 'iteration' });
    let retired: GPUBuffer | null = null;
    if (this.pending === this.ringCapacity) {
      retired = this.statsRing;
      this.ringCapacity *= 2;
      this.statsRing = this.buffers.storage('statsRing', this.ringCapacity * STATS_FLOATS);
      encoder.copyBufferToBuffer(retired, 0, this.statsRing, 0, this.pending * STATS_BYTES);
    }
    if (this.loss === 'clip') encoder.clearBuffer(this.clipCount);
    const pass = encoder.beginComputePass({ label: 'iteration' });
    this.plan.encode(pass);
    pass.end();
    encoder.copyBufferToBuffer(this.statsCurrent, 0, this.statsRing, this.pending * STATS_BYTES, STATS_BYTES);
    this.device.queue.submit([encoder.finish()]);
    this.errors.push(this.device.popErrorScope());
    if (retired) this.buffers.destroy(retired);
    this.pending++;
    this.critic.step += nC;
    this.gen.step += 1;
  }

  /** The optimiser's per-step scalars (float64 on the host, as PyTorch computes them). */
  private scheduleEntry(net: Net, t: number, clip: number): number[] {
    const o = net.opt;
    if (o.type === 'adam')
      return [
        o.lr / (1 - o.beta1 ** t),
        Math.sqrt(1 - o.beta2 ** t),
        o.beta1,
        1 - o.beta1,
        o.beta2,
        1 - o.beta2,
        o.eps,
        clip,
      ];
    return [o.lr, o.alpha, 1 - o.alpha, o.eps, clip, 0, 0, 0];
  }

  async readStats(): Promise<IterationStats[]> {
    this.checkLive();
    const n = this.pending;
    this.pending = 0;
    const raw =
      n > 0
        ? new Float32Array(await readBuffer(this.device, this.buffers, this.statsRing, 0, n * STATS_BYTES))
        : new Float32Array(0);
    await this.throwGpuErrors();
    const out: IterationStats[] = [];
    const gp = this.loss === 'gp';
    for (let i = 0; i < n; i++) {
      const s = raw.subarray(i * STATS_FLOATS, (i + 1) * STATS_FLOATS);
      out.push({
        lossD: s[0],
        lossG: s[1],
        dReal: s[2],
        dFake: s[3],
        gp: gp ? s[4] : 0,
        gradNormMean: gp ? s[5] : NaN,
        gradNormStd: gp && this.batchSize > 1 ? s[6] : NaN,
        clipFraction: gp ? NaN : s[7],
      });
    }
    return out;
  }

  private async throwGpuErrors(): Promise<void> {
    const errors = (await Promise.all(this.errors.splice(0))).filter((e): e is GPUError => e !== null);
    if (errors.length)
      throw new PipelineError(
        `WebGPU error during training: ${errors[0].message}`,
        'webgpu device',
        'this is a bug in the fused trainer; run with the tfjs trainer meanwhile',
        1,
      );
  }

  async getState(): Promise<TrainerState> {
    this.checkLive();
    const read = async (b: GPUBuffer, n: number) =>
      new Float32Array(await readBuffer(this.device, this.buffers, b, 0, n * 4));
    const netState = async (net: Net) => {
      const params = unflatten(net.chain, await read(net.params, net.chain.size));
      const slotNames = net.opt.type === 'adam' ? ['m', 'v'] : ['v'];
      const slots: OptimizerState['slots'] = [];
      for (const slot of slotNames) {
        const flat = await read(slot === 'm' ? net.m! : net.v, net.chain.size);
        for (const p of net.chain.params)
          slots.push({
            name: `${p.name}/${slot}`,
            shape: p.shape,
            values: flat.slice(p.offset, p.offset + p.shape.reduce((a, b) => a * b, 1)),
          });
      }
      return { params, optimizer: { kind: net.opt.type, step: net.step, slots } as OptimizerState };
    };
    const g = await netState(this.gen);
    const c = await netState(this.critic);
    await this.throwGpuErrors();
    return { generator: g.params, critic: c.params, generatorOptimizer: g.optimizer, criticOptimizer: c.optimizer };
  }

  async setState(state: TrainerState): Promise<void> {
    this.checkLive();
    this.setStateNow(state);
  }

  private setStateNow(state: TrainerState): void {
    const load = (net: Net, values: Map<string, Float32Array>, opt: OptimizerState, what: string) => {
      if (opt.kind !== net.opt.type)
        throw new PipelineError(
          `${what} optimiser state is ${opt.kind}, the trainer uses ${net.opt.type}`,
          `${what} optimizer`,
          'resume with the optimiser the checkpoint was written with',
        );
      const params = flatten(net.chain, values, `${what} weights`);
      const slots = new Map(opt.slots.map((s) => [s.name, s.values]));
      const slotNames = net.opt.type === 'adam' ? ['m', 'v'] : ['v'];
      const flats = slotNames.map((s) =>
        opt.slots.length === 0
          ? new Float32Array(net.chain.size)
          : flatten(net.chain, slots, `${what} optimizer`, `/${s}`),
      );
      if (!Number.isInteger(opt.step) || opt.step < 0)
        throw new PipelineError(
          `${what} optimiser step ${opt.step}`,
          `${what} optimizer`,
          'the step must be a non-negative integer',
        );
      writeLarge(this.device, net.params, 0, params);
      if (net.m) writeLarge(this.device, net.m, 0, flats[0]);
      writeLarge(this.device, net.v, 0, flats[flats.length - 1]);
      net.step = opt.step;
    };
    load(this.gen, state.generator, state.generatorOptimizer, 'generator');
    load(this.critic, state.critic, state.criticOptimizer, 'critic');
  }

  async generate(z: Float32Array, n: number): Promise<Float32Array> {
    this.checkLive();
    const dz = this.latentDim;
    const d = this.imageSize;
    if (!Number.isInteger(n) || n < 0 || z.length !== n * dz)
      throw new Error(`generate: z has ${z.length} values, expected n·d_z = ${n}·${dz}`);
    const out = new Float32Array(n * d);
    const widest = Math.max(...this.gen.chain.layers.map((L) => L.units), dz);
    const chunk = Math.max(
      1,
      Math.min(n, Math.floor(this.device.limits.maxStorageBufferBindingSize / (4 * widest)), 4096),
    );
    for (let start = 0; start < n; start += chunk) {
      const rows = Math.min(chunk, n - start);
      const zBuf = this.buffers.storage('generate/z', rows * dz);
      const hidden = this.gen.chain.layers
        .slice(0, -1)
        .map((L) => this.buffers.storage('generate/act', rows * L.units));
      const outBuf = this.buffers.storage('generate/out', rows * d);
      const builder = new PlanBuilder(this.device, this.pipelines, this.buffers);
      this.forward(builder, this.gen, { buffer: zBuf, offset: 0, ld: dz }, rows, hidden, {
        buffer: outBuf,
        offset: 0,
        ld: d,
      });
      const plan = builder.build('generate');
      try {
        this.device.pushErrorScope('validation');
        writeLarge(this.device, zBuf, 0, z.subarray(start * dz, (start + rows) * dz));
        const encoder = this.device.createCommandEncoder({ label: 'generate' });
        const pass = encoder.beginComputePass();
        plan.encode(pass);
        pass.end();
        this.device.queue.submit([encoder.finish()]);
        this.errors.push(this.device.popErrorScope());
        out.set(new Float32Array(await readBuffer(this.device, this.buffers, outBuf, 0, rows * d * 4)), start * d);
      } finally {
        for (const b of [zBuf, outBuf, plan.uniformBuffer, ...hidden]) this.buffers.destroy(b);
      }
    }
    await this.throwGpuErrors();
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.buffers.destroyAll();
  }

  private checkLive(): void {
    if (this.disposed) throw new Error('WebgpuFusedTrainer used after dispose()');
  }
}

function checkShapes(
  o: FusedTrainerOptions,
  gen: DenseChain,
  critic: DenseChain,
  tuning: KernelTuning,
  limits: GPUSupportedLimits,
): void {
  const bad = (message: string, where: string, hint: string) => new PipelineError(message, where, hint);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1)
    throw bad(`batch size ${o.batchSize}`, 'batchSize', 'use a positive integer');
  if (!Number.isInteger(o.nCritic) || o.nCritic < 1)
    throw bad(`nCritic ${o.nCritic}`, 'nCritic', 'use a positive integer');
  if (critic.inputSize !== gen.outputSize)
    throw bad(
      `critic takes ${critic.inputSize} inputs, generator makes ${gen.outputSize}`,
      'critic spec',
      'the critic must read the generator’s images',
    );
  if (critic.outputSize !== 1)
    throw bad(`critic outputs ${critic.outputSize} values`, 'critic spec', 'a WGAN critic ends in one unit');
  const out = critic.layers[critic.layers.length - 1];
  if (out.activation !== 'none')
    throw bad(`critic output activation ${out.activation}`, 'critic spec', 'a WGAN critic has a raw (linear) output');
  if (o.loss === 'gp') {
    const curved = critic.layers.find((L) => L.activation === 'tanh' || L.activation === 'sigmoid');
    if (curved)
      throw bad(
        `critic layer ${curved.index} uses ${curved.activation}`,
        'critic spec',
        'the closed-form gradient penalty needs piecewise-linear (leakyRelu/relu) critic activations',
      );
  }
  const d = gen.outputSize;
  if (o.trainImages.length === 0 || o.trainImages.length % d !== 0)
    throw bad(
      `${o.trainImages.length} training values are not whole images of ${d}`,
      'trainImages',
      `pass [n, ${d}] images row-major`,
    );
  const threads = [...tuning.tiles.tiles, tuning.tiles.narrow]
    .map((t) => t.wx * t.wy)
    .concat([tuning.elementwiseWorkgroup, tuning.reduceWorkgroup]);
  const maxThreads = limits.maxComputeInvocationsPerWorkgroup;
  if (threads.some((t) => t > maxThreads))
    throw bad(
      `a workgroup of ${Math.max(...threads)} threads exceeds the device's ${maxThreads}`,
      'tuning',
      'use smaller tiles or workgroups',
    );
  const memory = [...tuning.tiles.tiles, tuning.tiles.narrow].map((t) => 4 * t.tk * (t.wy * t.rm + t.wx * t.rn));
  if (memory.some((m) => m > limits.maxComputeWorkgroupStorageSize))
    throw bad(`a tile needs ${Math.max(...memory)} bytes of workgroup memory`, 'tuning', 'use smaller tiles');
  if (o.batchSize > limits.maxComputeWorkgroupsPerDimension)
    throw bad(
      `batch size ${o.batchSize} above ${limits.maxComputeWorkgroupsPerDimension}`,
      'batchSize',
      'use a smaller batch',
    );
}

function checkInputs(inputs: IterationInputs, nC: number, B: number, dz: number, trainRows: number): void {
  const fail = (what: string) => {
    throw new Error(`iteration inputs: ${what}`);
  };
  if (inputs.indices.length !== nC || inputs.zCritic.length !== nC || inputs.eps.length !== nC)
    fail(`need ${nC} critic steps of indices, zCritic and eps`);
  for (let c = 0; c < nC; c++) {
    if (inputs.indices[c].length !== B) fail(`indices[${c}] has ${inputs.indices[c].length} values, expected ${B}`);
    if (inputs.zCritic[c].length !== B * dz)
      fail(`zCritic[${c}] has ${inputs.zCritic[c].length} values, expected ${B * dz}`);
    if (inputs.eps[c].length !== B) fail(`eps[${c}] has ${inputs.eps[c].length} values, expected ${B}`);
    for (const i of inputs.indices[c]) if (i >= trainRows) fail(`index ${i} ≥ ${trainRows} training images`);
  }
  if (inputs.zGen.length !== B * dz) fail(`zGen has ${inputs.zGen.length} values, expected ${B * dz}`);
}
