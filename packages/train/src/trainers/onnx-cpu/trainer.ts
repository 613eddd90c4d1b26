import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { PipelineError } from '@wgan/core';
import { oneHot, withOneHot } from '../../conditional.js';
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
import { adamStepScalars, buildGeneratorGraph, buildWganIterationGraph, slotNames } from './wgan-graph.js';

/**
 * The WGAN iteration on onnxruntime's CPU kernels: wgan-graph.ts compiles a whole generator iteration
 * (critic steps, generator step, optimiser updates) into one ONNX graph, run once per iteration with
 * the weights and optimiser slots as inputs and their updated values as outputs. MLAS's matrix products
 * run at several times the speed of tfjs's wasm kernels on one thread, so this is the fast CPU path.
 * Same mathematics and the same IterationInputs as the tfjs and WebGPU trainers (parity is tested).
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
}

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

export class OnnxCpuTrainer implements Trainer<IterationStats> {
  readonly implementation = 'onnx-cpu';
  readonly statFields = STAT_FIELDS;
  readonly lossFields = GAN_LOSS_FIELDS;
  readonly runningFields = GAN_RUNNING_FIELDS;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private pending: IterationStats[] = [];
  /** Weights and slots, keyed by the graph's input names (G.<param>, D.<param>.v, …). */
  private state: Tensors = {};
  /** Where the next run writes them (preallocated: onnxruntime fills JS memory, no copies); swapped after each run. */
  private spare: Tensors = {};
  private readonly statsOut: Ort.Tensor;
  private stepG = 0;
  private stepD = 0;
  /** The intra-op thread count the sessions run with (the training log names it). */
  readonly threads: number;

  private constructor(
    private readonly ort: typeof Ort,
    private readonly o: OnnxCpuTrainerOptions,
    private readonly G: DenseChain,
    private readonly D: DenseChain,
    private readonly session: Ort.InferenceSession,
    private readonly generator: Ort.InferenceSession,
  ) {
    this.statsOut = new ort.Tensor('float32', new Float32Array(STAT_FIELDS.length), [STAT_FIELDS.length]);
    this.threads = onnxThreads(o.threads);
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
      classes: o.classes,
    });
    const threads = onnxThreads(o.threads);
    const session = await ort.InferenceSession.create(graph.model, onnxSessionOptions(threads));
    const generator = await ort.InferenceSession.create(buildGeneratorGraph(G).model, onnxSessionOptions(threads));
    const trainer = new OnnxCpuTrainer(ort, o, G, D, session, generator);
    trainer.load(o.initial);
    return trainer;
  }

  private tensor(values: Float32Array, dims: number[]): Ort.Tensor {
    return new this.ort.Tensor('float32', values, dims);
  }

  /** Puts weights and slots into the graph's input tensors (zeros for absent slots: a fresh optimiser). */
  private load(state: TrainerState): void {
    const next: Tensors = {};
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
      for (const q of chain.params) {
        const v = values.get(q.name);
        if (!v || v.length !== q.shape.reduce((a, b) => a * b, 1))
          throw new PipelineError(
            `no value of the right size for ${q.name}`,
            `${prefix} weights`,
            'pass the full network state',
          );
        next[`${prefix}.${q.name}`] = this.tensor(Float32Array.from(v), q.shape);
        for (const s of slotNames(opt)) {
          const sv = slots.get(`${q.name}/${s}`);
          next[`${prefix}.${q.name}.${s}`] = this.tensor(
            sv ? Float32Array.from(sv) : new Float32Array(v.length),
            q.shape,
          );
        }
      }
    }
    this.state = next;
    this.spare = Object.fromEntries(
      Object.entries(next).map(([name, t]) => [name, this.tensor(new Float32Array(t.size), t.dims as number[])]),
    );
    this.stepG = state.generatorOptimizer.step;
    this.stepD = state.criticOptimizer.step;
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
    const { batchSize: B, nCritic } = this.o;
    const K = this.o.classes ?? 0;
    const d = this.D.inputSize - K; // image columns
    const dz = this.G.inputSize - K; // latent columns
    if (K > 0 && !inputs.labels)
      throw new Error('a conditional step needs the iteration labels (IterationInputs.labels)');
    // [v | onehot(y)] of a conditional run, v otherwise
    const join = (v: Float32Array, width: number, labels: Int32Array | undefined) =>
      K > 0 ? withOneHot(v, width, labels!, K) : v;
    // the batch rows are gathered now (inputs may be reused by the caller)
    const feeds: Tensors = {};
    for (let c = 0; c < nCritic; c++) {
      const real = new Float32Array(B * d);
      inputs.indices[c].forEach((k, i) => real.set(this.o.images.subarray(k * d, (k + 1) * d), i * d));
      const y = inputs.labels?.critic[c];
      feeds[`real_${c}`] = this.tensor(join(real, d, y), [B, d + K]);
      feeds[`zc_${c}`] = this.tensor(join(inputs.zCritic[c], dz, y), [B, dz + K]);
      feeds[`eps_${c}`] = this.tensor(inputs.eps[c], [B, 1]);
      if (K > 0) feeds[`y_${c}`] = this.tensor(oneHot(y!, K), [B, K]);
    }
    feeds.zg = this.tensor(join(inputs.zGen, dz, inputs.labels?.gen), [B, dz + K]);
    if (K > 0) feeds.yg = this.tensor(oneHot(inputs.labels!.gen, K), [B, K]);
    this.enqueue(async () => {
      const scalar = (x: number) => this.tensor(Float32Array.of(x), []);
      const { optimizerD, optimizerG } = this.o;
      for (let c = 0; c < nCritic && optimizerD.type === 'adam'; c++) {
        const { stepSize, epsHat } = adamStepScalars(optimizerD, this.stepD + c + 1);
        feeds[`stepD_${c}`] = scalar(stepSize);
        feeds[`epsD_${c}`] = scalar(epsHat);
      }
      if (optimizerG.type === 'adam') {
        const { stepSize, epsHat } = adamStepScalars(optimizerG, this.stepG + 1);
        feeds.stepG = scalar(stepSize);
        feeds.epsG = scalar(epsHat);
      }
      const fetches: Record<string, Ort.Tensor> = { stats: this.statsOut };
      for (const [name, t] of Object.entries(this.spare)) fetches[`${name}.next`] = t;
      await this.session.run({ ...this.state, ...feeds }, fetches);
      [this.state, this.spare] = [this.spare, this.state];
      this.stepD += nCritic;
      this.stepG += 1;
      const s = this.statsOut.data as Float32Array;
      this.pending.push(Object.fromEntries(STAT_FIELDS.map((f, j) => [f, s[j]])) as IterationStats);
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
    const read = (prefix: string, chain: DenseChain) =>
      new Map(
        chain.params.map((q) => [q.name, Float32Array.from(this.state[`${prefix}.${q.name}`].data as Float32Array)]),
      );
    const slots = (prefix: string, chain: DenseChain, opt: OptimizerConfig): NamedTensor[] =>
      chain.params.flatMap((q) =>
        slotNames(opt).map((s) => ({
          name: `${q.name}/${s}`,
          shape: q.shape,
          values: Float32Array.from(this.state[`${prefix}.${q.name}.${s}`].data as Float32Array),
        })),
      );
    const optimizer = (prefix: string, chain: DenseChain, opt: OptimizerConfig, step: number): OptimizerState => ({
      kind: opt.type,
      step,
      slots: slots(prefix, chain, opt),
    });
    return {
      generator: read('G', this.G),
      critic: read('D', this.D),
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
    const feeds: Tensors = { z: this.tensor(z, [n, this.G.inputSize]) };
    for (const q of this.G.params) feeds[`G.${q.name}`] = this.state[`G.${q.name}`];
    const out = await this.generator.run(feeds);
    return Float32Array.from(out.x.data as Float32Array);
  }

  dispose(): void {
    void this.session.release();
    void this.generator.release();
  }
}
