import type { GanLoss } from './losses.js';
import type { NamedTensor } from './models/serialize.js';
import type { OptimizerConfig } from './optimizers.js';

/**
 * What one generator iteration consumes, drawn on the CPU from the run's Rng in a fixed order so that
 * every implementation (src/trainers/<implementation>/) sees the very same numbers:
 *
 *   for c in 0 .. nCritic−1:  indices[c] (B rows of the epoch's data order), zCritic[c] (B·d_z normals),
 *                             eps[c] (B uniforms in [0, 1), the interpolation weights; drawn for every
 *                             loss so the stream does not depend on it)
 *   then                      zGen (B·d_z normals) for the generator step.
 */
export interface IterationInputs {
  /** nCritic arrays of B row indices into the training images. */
  indices: Uint32Array[];
  /** nCritic arrays of B × d_z latent vectors (row-major). */
  zCritic: Float32Array[];
  /** nCritic arrays of B interpolation weights ε ~ U[0, 1). */
  eps: Float32Array[];
  /** B × d_z latent vectors for the generator step. */
  zGen: Float32Array;
}

/**
 * The numbers one generator iteration reports (metrics.jsonl). Critic figures are those of the
 * iteration's critic steps: lossD and gp are means over the nCritic steps; dReal, dFake and the gradient
 * norm statistics are of the last critic step (the seed's "batch means on the same step").
 */
export type IterationStats = {
  /** L_D averaged over the nCritic critic steps (E4's L̄_D). */
  lossD: number;
  /** L_G of the generator step. */
  lossG: number;
  /** E[D(x_real)] and E[D(G(z))] on the last critic step's batch. */
  dReal: number;
  dFake: number;
  /** λ·E[(‖∇D(x̂)‖ − 1)²] averaged over the critic steps (GP runs; 0 otherwise). */
  gp: number;
  /**
   * Mean and std of ‖∇D(x̂)‖₂ over the last critic step's B interpolates (GP runs; NaN otherwise). The std is
   * the population one, √(Σ(gᵢ − ḡ)²/B): E6's estimator (diagnostics.ts), so metrics.jsonl and E6 agree.
   */
  gradNormMean: number;
  gradNormStd: number;
  /** Fraction of critic weights at ±c after the last clip (clip runs; NaN otherwise). */
  clipFraction: number;
};

/** The GAN trainers' statistics, in the order they are stored on the device. */
export const STAT_FIELDS = [
  'lossD',
  'lossG',
  'dReal',
  'dFake',
  'gp',
  'gradNormMean',
  'gradNormStd',
  'clipFraction',
] as const;
/** GAN statistics that must stay finite (a NaN stops the run) and that get running means. */
export const GAN_LOSS_FIELDS = ['lossD', 'lossG'] as const;
export const GAN_RUNNING_FIELDS = ['lossD', 'lossG', 'gp'] as const;

/** Any model family's per-iteration statistics: named numbers (NaN where a figure does not apply). */
export type StatsRecord = Record<string, number>;

/** Parameters or optimiser slots of one network, by parameter name. */
export type NamedValues = Map<string, Float32Array>;

export interface OptimizerState {
  kind: 'adam' | 'rmsprop';
  /** Number of updates applied so far (Adam's t). */
  step: number;
  /** Slot tensors named "<param>/m", "<param>/v" (Adam) or "<param>/v" (RMSprop). */
  slots: NamedTensor[];
}

/**
 * The settings of one GAN iteration: built once from the run's config by the factory (`stepSettings`) and
 * passed as they are to every trainer (tfjs-autodiff takes any GAN loss, the dense WGAN trainers `gp` or
 * `clip`). No trainer has defaults of its own for these.
 */
export interface WganStepSettings<L extends GanLoss = 'gp' | 'clip'> {
  loss: L;
  lambda: number;
  clipValue: number;
  nCritic: number;
  batchSize: number;
  optimizerG: OptimizerConfig;
  optimizerD: OptimizerConfig;
}

export interface TrainerState {
  generator: NamedValues;
  critic: NamedValues;
  generatorOptimizer: OptimizerState;
  criticOptimizer: OptimizerState;
}

/**
 * One implementation of the GAN's training step. `iteration` only enqueues work: its statistics stay on
 * the device until `readStats` (called every logEvery iterations) reads all pending ones in one go.
 */
export interface Trainer<S extends StatsRecord = StatsRecord> {
  /** The `--implementation` value this trainer is: "tfjs-autodiff", "tfjs-manual", "onnx-cpu", "webgpu-fused". */
  readonly implementation: string;
  /** CPU threads the implementation computes with, where it chooses them (onnx-cpu). */
  readonly threads?: number;
  /** Where the optimiser update runs, where the implementation has a choice (onnx-cpu: "fused (…)" or "graph"). */
  readonly optimizerPath?: string;
  /** Why the implementation fell back from its faster optimiser path (the training log warns with it). */
  readonly optimizerFallback?: string;
  /** Names of the statistics readStats returns (metrics.jsonl's columns, in this order). */
  readonly statFields: readonly string[];
  /** Statistics that must be finite: a NaN or Inf there stops the run, keeping the last good checkpoint. */
  readonly lossFields: readonly string[];
  /** Statistics whose running means (per epoch, the seed's "running means") are logged as <name>Running. */
  readonly runningFields: readonly string[];
  iteration(inputs: IterationInputs): void;
  /** The stats of every iteration since the last call, oldest first. */
  readStats(): Promise<S[]>;
  /** Current weights and optimiser state (for checkpoints, E4 and evaluation). */
  getState(): Promise<TrainerState>;
  /** Replaces weights and optimiser state (resume). */
  setState(state: TrainerState): Promise<void>;
  /** G(z) for z [n, d_z] → images [n, 784] in [−1, 1] (snapshots). */
  generate(z: Float32Array, n: number): Promise<Float32Array>;
  /**
   * A model family's own diagnostics (the VAE's: vae/diagnostics.ts). When present, the loop calls it at
   * every epoch end instead of the GAN's E5–E7 and skips the first-cycle E4, which only GANs define.
   */
  readonly epochReporter?: EpochReporter;
  dispose(): void;
}

/** What the loop hands a family's epoch-end diagnostics. */
export interface EpochContext {
  runDir: string;
  /** The epoch that just ended (0-based) and the iteration it ended in. */
  epoch: number;
  iteration: number;
  /** The epoch's running means of the trainer's runningFields (training batches). */
  running: Record<string, number>;
}

/** One epoch's family diagnostics as train-stats.json stores them (`epochs`), with a flat summary for the log line. */
export interface FamilyEpochDiagnostics {
  epoch: number;
  iteration: number;
  summary: Record<string, number>;
  [detail: string]: unknown;
}

export interface EpochReporter {
  /** Writes the family's per-epoch files under ctx.runDir and returns its figures. */
  epochEnd(ctx: EpochContext): Promise<FamilyEpochDiagnostics>;
}
