import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { PipelineError } from '@wgan/core';
import { denseChain, type DenseChain } from '../../models/dense-chain.js';
import type { NetworkSpec } from '../../models/spec.js';
import type { NamedTensor } from '../../models/serialize.js';
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
import type { OptimizerConfig } from '../../optimizers.js';
import { chooseOptimizerPath, fusedUpdate, type FusedOptimizerAddon } from './fused-optimizer.js';
import { buildCriticStepGraph, buildFakesGraph, buildGeneratorStepGraph, CRITIC_STEP_STATS } from './step-graphs.js';
import { adamStepScalars, buildGeneratorGraph, buildWganIterationGraph, slotNames } from './wgan-graph.js';

/**
 * The WGAN iteration on onnxruntime's CPU kernels (MLAS's matrix products run at several times the speed of
 * tfjs's wasm kernels on one thread, so this is the fast CPU path), in one of two ways:
 * - `fused` (the default where the addon loads): one run per step — G's forward pass for all the critics'
 *   fakes, each critic step's gradients (step-graphs.ts), the generator step's gradients — and between the
 *   runs the fused optimiser (native/fused_optimizer.c) updates the weights and slots in place, one pass
 *   over contiguous buffers per network. Weights, slots and gradients live in JS-owned Float32Arrays that
 *   the runs read and write without copies.
 * - `graph`: wgan-graph.ts compiles the whole generator iteration (critic steps, generator step, optimiser
 *   updates as pointwise ONNX nodes) into one graph, run once per iteration with the weights and slots as
 *   inputs and their updated values as outputs. Used where the addon is not built or does not load.
 * Both compute the same float32 operations in the same order (the same functions build the graphs, and the
 * addon repeats the optimiser nodes' arithmetic), the same mathematics and the same IterationInputs as the
 * tfjs and WebGPU trainers (parity is tested).
 */
export interface OnnxCpuTrainerOptions extends WganStepSettings {
  generatorSpec: NetworkSpec;
  criticSpec: NetworkSpec;
  initial: TrainerState;
  /** Training examples [n, d] row-major. */
  images: Float32Array;
  imageCount: number;
  /** onnxruntime intra-op threads; 0 or absent: one per core the process may use (os.availableParallelism). */
  threads?: number;
  /**
   * Where the optimiser update runs: `fused` (the native addon; an error where it does not load), `graph`
   * (pointwise nodes in the iteration graph), `auto` or absent: fused where the addon loads, else graph.
   */
  optimizer?: OnnxOptimizerPath;
  /** Fused path: threads of the optimiser update (default 1, see FUSED_UPDATE_THREADS). */
  fusedUpdateThreads?: number;
  /** onnxruntime's profiler on every session, files `<prefix>-<session>_<date>.json` (bench's profile-onnx). */
  profileFilePrefix?: string;
}

export type OnnxOptimizerPath = 'auto' | 'fused' | 'graph';

type Tensors = Record<string, Ort.Tensor>;

let ortModule: typeof Ort | null = null;
/** onnxruntime-node, loaded on first use (it is external to the GPU bundle and not needed there). */
export async function loadOnnxRuntime(): Promise<typeof Ort> {
  ortModule ??= (await import('onnxruntime-node')) as typeof Ort;
  return ortModule;
}

/** The intra-op threads for a requested count: 0 or absent means every core the process may use. */
export function onnxThreads(requested: number | undefined): number {
  return requested && requested > 0 ? requested : availableParallelism();
}

/**
 * Session options of the iteration graph: the highest graph optimisation level, one node at a time, and
 * `threads` intra-op threads that sleep between parallel sections instead of spinning (on a machine shared
 * with other work, spinning workers took the cores the compute needed: 2 threads ran ~40% slower).
 */
export function onnxSessionOptions(threads: number): Ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * One network's parameters, or one optimiser slot or the gradient of them: one contiguous buffer (what the
 * fused optimiser updates in one call), a view and an onnxruntime tensor on that view per parameter (what
 * the runs read or write, in place).
 */
class FlatParams {
  readonly data: Float32Array;
  readonly views: Float32Array[];
  readonly tensors: Ort.Tensor[];
  constructor(ort: typeof Ort, chain: DenseChain) {
    const sizes = chain.params.map((q) => size(q.shape));
    this.data = new Float32Array(sizes.reduce((a, b) => a + b, 0));
    let offset = 0;
    this.views = sizes.map((n) => this.data.subarray(offset, (offset += n)));
    this.tensors = chain.params.map((q, i) => new ort.Tensor('float32', this.views[i], q.shape));
  }
}

/** Weights (`G`, `D`) and slots (`G.m`, `D.v`, …): the graphs' input names are `G.<param>`, `G.<param>.m`. */
type Store = Map<string, FlatParams>;
const inputName = (key: string, param: string) => {
  const [net, slot] = key.split('.');
  return slot ? `${net}.${param}.${slot}` : `${net}.${param}`;
};

/**
 * Threads of the fused update unless told (fusedUpdateThreads): one. It is memory-bound (~0.23 ms for the
 * critic's 0.53 M parameters, ~1.1 ms for the generator's 1.48 M, one thread), and on the shared 2-core
 * machine a second thread was slower in most A/B runs (it waits for a core); the addon can split.
 */
const FUSED_UPDATE_THREADS = 1;

const f32 = Math.fround;
/** The graph's float32 mean of scalars: a running float32 sum, then one division. */
const meanF32 = (xs: number[]) => (xs.length ? f32(xs.slice(1).reduce((a, x) => f32(a + x), xs[0]) / xs.length) : NaN);

/** The sessions and buffers of the fused-optimiser path (absent on the graph path). */
interface FusedPath {
  addon: FusedOptimizerAddon;
  fakesRun: Ort.InferenceSession;
  critic: Ort.InferenceSession;
  generatorStep: Ort.InferenceSession;
  gradG: FlatParams;
  gradD: FlatParams;
  /** All the critic steps' latents [n_critic·B, d_z] and their fakes [n_critic·B, d], one tensor per step on the fakes. */
  zCritic: Ort.Tensor;
  fakes: Ort.Tensor;
  fakeRows: Ort.Tensor[];
  criticStats: Ort.Tensor;
  lossG: Ort.Tensor;
}

export class OnnxCpuTrainer implements Trainer<IterationStats> {
  readonly implementation = 'onnx-cpu';
  readonly statFields = STAT_FIELDS;
  readonly lossFields = GAN_LOSS_FIELDS;
  readonly runningFields = GAN_RUNNING_FIELDS;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private pending: IterationStats[] = [];
  /** The critic steps' real batches, refilled by every iteration (see gatherRealBatches). */
  private realBatches: Ort.Tensor[] = [];
  private state: Store = new Map();
  /** Graph path: where the next run writes the updated weights and slots (swapped with `state` after each run). */
  private spare: Store = new Map();
  private readonly statsOut: Ort.Tensor;
  private stepG = 0;
  private stepD = 0;
  /** The intra-op thread count the sessions run with (the training log names it). */
  readonly threads: number;
  /** Where the optimiser update runs: "fused (native addon, <isa>)" or "graph" (the training log names it). */
  readonly optimizerPath: string;
  /** Fused path: milliseconds spent in the addon's updates so far (the profiler reports it). */
  fusedOptimizerMs = 0;
  private readonly updateThreads: number;

  private constructor(
    private readonly ort: typeof Ort,
    private readonly o: OnnxCpuTrainerOptions,
    private readonly G: DenseChain,
    private readonly D: DenseChain,
    /** The iteration graph (graph path) or null (fused path). */
    private readonly session: Ort.InferenceSession | null,
    private readonly generator: Ort.InferenceSession,
    private readonly fused: FusedPath | null,
    /** Why `auto` fell back to the graph path (the training log says it). */
    readonly optimizerFallback: string | undefined,
  ) {
    this.statsOut = new ort.Tensor('float32', new Float32Array(STAT_FIELDS.length), [STAT_FIELDS.length]);
    this.threads = onnxThreads(o.threads);
    this.updateThreads = o.fusedUpdateThreads ?? FUSED_UPDATE_THREADS;
    this.optimizerPath = fused ? `fused (native addon, ${fused.addon.isa()})` : 'graph';
  }

  static async create(o: OnnxCpuTrainerOptions): Promise<OnnxCpuTrainer> {
    const ort = await loadOnnxRuntime();
    const G = denseChain(o.generatorSpec);
    const D = denseChain(o.criticSpec);
    if (D.outputSize !== 1)
      throw new PipelineError('the critic must output one score', 'critic spec', 'use a scalar critic');
    if (o.loss === 'gp' && D.layers.slice(0, -1).some((l) => l.activation !== 'leakyRelu' && l.activation !== 'relu')) {
      throw new PipelineError(
        'the gradient penalty in closed form needs LeakyReLU/ReLU hidden layers in the critic',
        'critic spec',
        'use --implementation tfjs-autodiff',
      );
    }
    if (D.layers[D.layers.length - 1].activation !== 'none')
      throw new PipelineError('the critic must end in a linear layer', 'critic spec', 'remove the output activation');
    const threads = onnxThreads(o.threads);
    const session = (model: Uint8Array, name: string) =>
      ort.InferenceSession.create(model, {
        ...onnxSessionOptions(threads),
        ...(o.profileFilePrefix ? { enableProfiling: true, profileFilePrefix: `${o.profileFilePrefix}-${name}` } : {}),
      });
    const generator = await session(buildGeneratorGraph(G).model, 'generator');
    const path = chooseOptimizerPath(o.optimizer ?? 'auto');
    let trainer: OnnxCpuTrainer;
    if (path.addon) {
      const { batchSize: B, nCritic } = o;
      const rows = nCritic * B;
      const fakes = new Float32Array(rows * D.inputSize);
      const fused: FusedPath = {
        addon: path.addon,
        fakesRun: await session(buildFakesGraph(G, rows).model, 'fakes'),
        critic: await session(buildCriticStepGraph(D, o).model, 'critic-step'),
        generatorStep: await session(buildGeneratorStepGraph(G, D, B).model, 'generator-step'),
        gradG: new FlatParams(ort, G),
        gradD: new FlatParams(ort, D),
        zCritic: new ort.Tensor('float32', new Float32Array(rows * G.inputSize), [rows, G.inputSize]),
        fakes: new ort.Tensor('float32', fakes, [rows, D.inputSize]),
        fakeRows: Array.from(
          { length: nCritic },
          (_, c) =>
            new ort.Tensor('float32', fakes.subarray(c * B * D.inputSize, (c + 1) * B * D.inputSize), [B, D.inputSize]),
        ),
        criticStats: new ort.Tensor('float32', new Float32Array(CRITIC_STEP_STATS.length), [CRITIC_STEP_STATS.length]),
        lossG: new ort.Tensor('float32', new Float32Array(1), [1]),
      };
      trainer = new OnnxCpuTrainer(ort, o, G, D, null, generator, fused, undefined);
    } else {
      const graph = buildWganIterationGraph({
        generator: G,
        critic: D,
        loss: o.loss,
        lambda: o.lambda,
        clipValue: o.clipValue,
        nCritic: o.nCritic,
        batchSize: o.batchSize,
        optimizerG: o.optimizerG,
        optimizerD: o.optimizerD,
      });
      const iteration = await session(graph.model, 'iteration');
      trainer = new OnnxCpuTrainer(ort, o, G, D, iteration, generator, null, path.fallback);
    }
    trainer.load(o.initial);
    return trainer;
  }

  private tensor(values: Float32Array, dims: number[]): Ort.Tensor {
    return new this.ort.Tensor('float32', values, dims);
  }

  /** Puts weights and slots into the flat buffers (zeros for absent slots: a fresh optimiser). */
  private load(state: TrainerState): void {
    const next: Store = new Map();
    for (const [prefix, chain, values, opt, optState] of [
      ['G', this.G, state.generator, this.o.optimizerG, state.generatorOptimizer],
      ['D', this.D, state.critic, this.o.optimizerD, state.criticOptimizer],
    ] as const) {
      if (optState.kind !== opt.type)
        throw new PipelineError(
          `${prefix === 'G' ? 'generator' : 'critic'} optimiser state is ${optState.kind}, the run uses ${opt.type}`,
          'optimizer state',
          'resume with the optimiser the checkpoint was written with',
        );
      const slots = new Map(optState.slots.map((s) => [s.name, s.values]));
      const weights = new FlatParams(this.ort, chain);
      const slotBuffers = slotNames(opt).map((s) => [s, new FlatParams(this.ort, chain)] as const);
      chain.params.forEach((q, i) => {
        const v = values.get(q.name);
        if (!v || v.length !== size(q.shape))
          throw new PipelineError(
            `no value of the right size for ${q.name}`,
            `${prefix} weights`,
            'pass the full network state',
          );
        weights.views[i].set(v);
        for (const [s, buffer] of slotBuffers) {
          const sv = slots.get(`${q.name}/${s}`);
          if (sv) buffer.views[i].set(sv);
        }
      });
      next.set(prefix, weights);
      for (const [s, buffer] of slotBuffers) next.set(`${prefix}.${s}`, buffer);
    }
    this.state = next;
    if (this.session)
      this.spare = new Map([...next].map(([key]) => [key, new FlatParams(this.ort, this.chainOf(key))]));
    this.stepG = state.generatorOptimizer.step;
    this.stepD = state.criticOptimizer.step;
  }

  private chainOf(key: string): DenseChain {
    return key.startsWith('G') ? this.G : this.D;
  }

  /** The graph inputs of the weights and slots under `keys` (all when absent). */
  private feedsOf(store: Store, keys?: string[]): Tensors {
    const feeds: Tensors = {};
    for (const [key, buffer] of store) {
      if (keys && !keys.includes(key)) continue;
      this.chainOf(key).params.forEach((q, i) => (feeds[inputName(key, q.name)] = buffer.tensors[i]));
    }
    return feeds;
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await work();
      } catch (e) {
        this.failure = e;
      }
    });
  }

  private async settled(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }

  iteration(inputs: IterationInputs): void {
    // the caller may reuse `inputs`: keep this iteration's row indices (B numbers per critic step); the rows
    // themselves are gathered when the iteration runs, into buffers reused by every iteration — a fresh
    // megabyte per iteration kept V8 in external-memory-pressure mark-compacts (~10% of the time)
    const step = {
      indices: inputs.indices.map((ix) => ix.slice()),
      zCritic: inputs.zCritic,
      eps: inputs.eps,
      zGen: inputs.zGen,
    };
    this.enqueue(() => {
      const real = this.gatherRealBatches(step.indices);
      const x = { real, zCritic: step.zCritic, eps: step.eps, zGen: step.zGen };
      return this.fused ? this.fusedIteration(this.fused, x) : this.graphIteration(x);
    });
  }

  /** The critic steps' real batches as [B, d] tensors over buffers owned by the trainer (runs never overlap). */
  private gatherRealBatches(indices: Uint32Array[]): Ort.Tensor[] {
    const { batchSize: B } = this.o;
    const d = this.D.inputSize;
    while (this.realBatches.length < indices.length)
      this.realBatches.push(this.tensor(new Float32Array(B * d), [B, d]));
    indices.forEach((ix, c) => {
      const rows = this.realBatches[c].data as Float32Array;
      ix.forEach((k, i) => rows.set(this.o.images.subarray(k * d, (k + 1) * d), i * d));
    });
    return this.realBatches.slice(0, indices.length);
  }

  /** The graph path: the whole iteration in one run. */
  private async graphIteration(x: {
    real: Ort.Tensor[];
    zCritic: Float32Array[];
    eps: Float32Array[];
    zGen: Float32Array;
  }) {
    const { batchSize: B, nCritic, optimizerD, optimizerG } = this.o;
    const d = this.D.inputSize;
    const dz = this.G.inputSize;
    const feeds: Tensors = {};
    const scalar = (v: number) => this.tensor(Float32Array.of(v), []);
    for (let c = 0; c < nCritic; c++) {
      feeds[`real_${c}`] = x.real[c];
      feeds[`zc_${c}`] = this.tensor(x.zCritic[c], [B, dz]);
      feeds[`eps_${c}`] = this.tensor(x.eps[c], [B, 1]);
      if (optimizerD.type === 'adam') {
        const { stepSize, epsHat } = adamStepScalars(optimizerD, this.stepD + c + 1);
        feeds[`stepD_${c}`] = scalar(stepSize);
        feeds[`epsD_${c}`] = scalar(epsHat);
      }
    }
    feeds.zg = this.tensor(x.zGen, [B, dz]);
    if (optimizerG.type === 'adam') {
      const { stepSize, epsHat } = adamStepScalars(optimizerG, this.stepG + 1);
      feeds.stepG = scalar(stepSize);
      feeds.epsG = scalar(epsHat);
    }
    const fetches: Tensors = { stats: this.statsOut };
    for (const [name, t] of Object.entries(this.feedsOf(this.spare))) fetches[`${name}.next`] = t;
    await (this.session as Ort.InferenceSession).run({ ...this.feedsOf(this.state), ...feeds }, fetches);
    [this.state, this.spare] = [this.spare, this.state];
    this.stepD += nCritic;
    this.stepG += 1;
    const s = this.statsOut.data as Float32Array;
    this.pending.push(Object.fromEntries(STAT_FIELDS.map((f, j) => [f, s[j]])) as IterationStats);
  }

  /**
   * The fused path: G's forward pass for every critic step's fakes, then per critic step one run for the
   * gradients and the fused update of D, then one run for the generator step's gradients and the update
   * of G. The statistics are combined as the iteration graph combines them (float32 means).
   */
  private async fusedIteration(
    f: FusedPath,
    x: { real: Ort.Tensor[]; zCritic: Float32Array[]; eps: Float32Array[]; zGen: Float32Array },
  ) {
    const { batchSize: B, nCritic, optimizerD, optimizerG } = this.o;
    const gp = this.o.loss === 'gp';
    const dz = this.G.inputSize;
    const d = this.D.inputSize;
    const bufs = (net: 'G' | 'D', grad: FlatParams) => ({
      p: (this.state.get(net) as FlatParams).data,
      g: grad.data,
      m: this.state.get(`${net}.m`)?.data,
      v: (this.state.get(`${net}.v`) as FlatParams).data,
    });
    const gFeeds = this.feedsOf(this.state, ['G']);
    const dFeeds = this.feedsOf(this.state, ['D']);
    const gradFetches = (net: 'G' | 'D', grad: FlatParams): Tensors =>
      Object.fromEntries(this.chainOf(net).params.map((q, i) => [`${net}.${q.name}.grad`, grad.tensors[i]]));

    const zc = f.zCritic.data as Float32Array;
    x.zCritic.forEach((z, c) => zc.set(z, c * B * dz));
    const fakesFetches = { x: f.fakes };
    releaseCopies(f.addon, await f.fakesRun.run({ ...gFeeds, z: f.zCritic }, fakesFetches), fakesFetches);
    const lossesD: number[] = [];
    const penalties: number[] = [];
    const dFetches = { ...gradFetches('D', f.gradD), stats: f.criticStats };
    const s = f.criticStats.data as Float32Array;
    for (let c = 0; c < nCritic; c++) {
      const feeds: Tensors = { ...dFeeds, real: x.real[c], fake: f.fakeRows[c] };
      if (gp) feeds.eps = this.tensor(x.eps[c], [B, 1]);
      releaseCopies(f.addon, await f.critic.run(feeds, dFetches), dFetches);
      this.stepD += 1;
      const t0 = performance.now();
      fusedUpdate(f.addon, optimizerD, this.stepD, bufs('D', f.gradD), gp ? 0 : this.o.clipValue, this.updateThreads);
      this.fusedOptimizerMs += performance.now() - t0;
      lossesD.push(s[0]);
      penalties.push(s[1]);
    }
    const stats = Object.fromEntries(CRITIC_STEP_STATS.map((k, j) => [k, s[j]]));
    const gFetches = { ...gradFetches('G', f.gradG), generatorLoss: f.lossG };
    releaseCopies(
      f.addon,
      await f.generatorStep.run({ ...gFeeds, ...dFeeds, zg: this.tensor(x.zGen, [B, dz]) }, gFetches),
      gFetches,
    );
    this.stepG += 1;
    const t0 = performance.now();
    fusedUpdate(f.addon, optimizerG, this.stepG, bufs('G', f.gradG), 0, this.updateThreads);
    this.fusedOptimizerMs += performance.now() - t0;
    const D = this.state.get('D') as FlatParams;
    this.pending.push({
      lossD: meanF32(lossesD),
      lossG: (f.lossG.data as Float32Array)[0],
      dReal: stats.dReal,
      dFake: stats.dFake,
      gp: gp ? meanF32(penalties) : 0,
      gradNormMean: stats.gradNormMean,
      gradNormStd: stats.gradNormStd,
      clipFraction: gp ? NaN : f32(f.addon.countAtBound(D.data, this.o.clipValue) / D.data.length),
    });
  }

  async readStats(): Promise<IterationStats[]> {
    await this.settled();
    const out = this.pending;
    this.pending = [];
    return out;
  }

  async getState(): Promise<TrainerState> {
    await this.settled();
    const read = (key: string) =>
      new Map(this.chainOf(key).params.map((q, i) => [q.name, Float32Array.from(this.state.get(key)!.views[i])]));
    const optimizer = (prefix: string, chain: DenseChain, opt: OptimizerConfig, step: number): OptimizerState => ({
      kind: opt.type,
      step,
      slots: chain.params.flatMap((q, i): NamedTensor[] =>
        slotNames(opt).map((s) => ({
          name: `${q.name}/${s}`,
          shape: q.shape,
          values: Float32Array.from(this.state.get(`${prefix}.${s}`)!.views[i]),
        })),
      ),
    });
    return {
      generator: read('G'),
      critic: read('D'),
      generatorOptimizer: optimizer('G', this.G, this.o.optimizerG, this.stepG),
      criticOptimizer: optimizer('D', this.D, this.o.optimizerD, this.stepD),
    };
  }

  async setState(state: TrainerState): Promise<void> {
    await this.settled();
    this.load(state);
  }

  async generate(z: Float32Array, n: number): Promise<Float32Array> {
    await this.settled();
    const feeds: Tensors = { ...this.feedsOf(this.state, ['G']), z: this.tensor(z, [n, this.G.inputSize]) };
    const out = await this.generator.run(feeds);
    return Float32Array.from(out.x.data as Float32Array);
  }

  /** Ends onnxruntime's profiling of every session (profileFilePrefix). */
  async endProfiling(): Promise<void> {
    await this.settled();
    for (const s of this.sessions()) s.endProfiling();
  }

  private sessions(): Ort.InferenceSession[] {
    return [this.session, this.generator, this.fused?.fakesRun, this.fused?.critic, this.fused?.generatorStep].filter(
      (s): s is Ort.InferenceSession => s !== null && s !== undefined,
    );
  }

  dispose(): void {
    for (const s of this.sessions()) void s.release();
  }
}

/**
 * onnxruntime-node returns a copy of every output in a fresh ArrayBuffer, even of the preallocated ones it
 * has just filled; the fused path reads only its preallocated tensors, so the copies are freed at once
 * (otherwise ~18 MB of garbage per iteration drives V8 into a mark-compact every few iterations).
 */
function releaseCopies(addon: FusedOptimizerAddon, outputs: Tensors, fetches: Tensors): void {
  for (const [name, t] of Object.entries(outputs))
    if (t.data !== fetches[name]?.data) addon.release(t.data as Float32Array);
}
