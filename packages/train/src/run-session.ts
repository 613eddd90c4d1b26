import { join } from 'node:path';
import { JsonlWriter, PipelineError, type Logger, type ParentRef, type Rng } from '@wgan/core';
import type { BackendName } from '@wgan/core/backend';
import { checkpointName, pruneCheckpoints, writeCheckpoint, type RunningMeans } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { parameterDelta, type E3, type E4, type EpochDiagnostics } from './diagnostics.js';
import { addToRunning, metricsLine, runningMeans } from './metrics.js';
import type { Network } from './models/network.js';
import type { NetworkSpec } from './models/spec.js';
import { METRICS_FILE, writeJson, writeMetadata, writeSnapshot } from './run-files.js';
import type { BatchSampler } from './sampling.js';
import type { EpochReporter, FamilyEpochDiagnostics, StatsRecord, Trainer, TrainerState } from './trainer.js';

export interface TrainStats {
  E3: E3;
  E4: E4 | null;
  /** Per epoch: the GAN's E5–E7 (with their log summary), or a family's own figures (Trainer.epochReporter). */
  epochs: (EpochDiagnostics | FamilyEpochDiagnostics)[];
}

/** Everything a run session is opened with (loop.ts builds it: fresh, or from the latest checkpoint). */
export interface RunSessionParts {
  config: TrainConfig;
  runDir: string;
  logger: Logger;
  backend: BackendName;
  trainer: Trainer;
  /** The networks the trainer was built from (disposed with it). */
  networks: { generator: Network; critic: Network };
  specs: { generator: NetworkSpec; critic: NetworkSpec };
  zFixed: Float32Array;
  rng: Rng;
  sampler: BatchSampler;
  /** The iteration the session starts after: 0, or the resumed checkpoint's. */
  startIteration: number;
  running: RunningMeans;
  stats: TrainStats;
  elapsedMs: number;
  parents: ParentRef[];
  /** The family's epoch-end diagnostics: the trainer's own (the VAE's), else the GAN's E5–E7. */
  reporter: EpochReporter;
  /** Continue metrics.jsonl (a resume) instead of starting it. */
  appendMetrics: boolean;
}

/**
 * One training run's mutable state between iterations, and its housekeeping: reading the trainer's
 * statistics into metrics.jsonl (with running means, stopping on NaN/Inf), epoch-end diagnostics, snapshots
 * of G(z_fixed) and checkpoints. Training time counts only the iterations: `restartClock` after any
 * housekeeping.
 */
export class RunSession {
  readonly config: TrainConfig;
  readonly runDir: string;
  readonly logger: Logger;
  readonly trainer: Trainer;
  readonly rng: Rng;
  readonly sampler: BatchSampler;
  readonly startIteration: number;
  readonly stats: TrainStats;
  readonly parents: ParentRef[];
  /** The seed's milestones and the final iteration: always a snapshot and a kept checkpoint. */
  readonly milestones: Set<number>;
  /** Ŵ₁ of the last read iteration for GANs (the first loss field otherwise), for the progress bar. */
  headlineValue = NaN;
  private running: RunningMeans;
  private elapsed: number;
  private windowStart = performance.now();
  private readonly pending: { iteration: number; epoch: number }[] = [];
  private readonly metrics: JsonlWriter;

  constructor(private readonly p: RunSessionParts) {
    this.config = p.config;
    this.runDir = p.runDir;
    this.logger = p.logger;
    this.parents = p.parents;
    this.startIteration = p.startIteration;
    this.trainer = p.trainer;
    this.rng = p.rng;
    this.sampler = p.sampler;
    this.stats = p.stats;
    this.running = p.running;
    this.elapsed = p.elapsedMs;
    this.milestones = new Set([...p.config.milestones, p.config.iterations]);
    this.metrics = new JsonlWriter(join(p.runDir, METRICS_FILE), p.appendMetrics ? 'a' : 'w');
  }

  /** Training wall time so far, ms (without diagnostics, snapshots and checkpoints). */
  get elapsedMs(): number {
    return this.elapsed;
  }

  get statsFile(): string {
    return join(this.p.runDir, 'train-stats.json');
  }

  /** Notes an enqueued iteration, whose statistics the next `readStats` returns. */
  enqueued(iteration: number, epoch: number): void {
    this.pending.push({ iteration, epoch });
  }

  /** Starts the training clock again: the time since is training time. */
  restartClock(): void {
    this.windowStart = performance.now();
  }

  /** Reads the pending iterations' stats and writes their metrics lines; stops on NaN/Inf. */
  async readStats(): Promise<StatsRecord[]> {
    const { trainer } = this;
    const { backend } = this.p;
    const read = await trainer.readStats();
    const now = performance.now();
    const windowMs = now - this.windowStart;
    this.elapsed += windowMs;
    this.windowStart = now;
    const msPerIter = read.length ? windowMs / read.length : 0;
    read.forEach((s, k) => {
      const { iteration, epoch } = this.pending[k];
      if (trainer.lossFields.some((f) => !Number.isFinite(s[f]))) throw this.diverged(iteration, s);
      this.running = addToRunning(this.running, trainer.runningFields, epoch, s);
      const line = metricsLine({ iteration, epoch }, s, this.running, trainer.runningFields, {
        wallMs: this.elapsed,
        msPerIter,
        backend,
      });
      this.metrics.write(line);
      this.headlineValue = typeof line.wassersteinGap === 'number' ? line.wassersteinGap : s[trainer.lossFields[0]];
    });
    this.pending.splice(0, read.length);
    return read;
  }

  private diverged(iteration: number, s: StatsRecord): PipelineError {
    const { runDir } = this.p;
    const values = this.trainer.lossFields.map((f) => `${f} = ${s[f]}`).join(', ');
    return new PipelineError(
      `training diverged at iteration ${iteration}: ${values}`,
      join(runDir, METRICS_FILE),
      `the last good checkpoint is kept (${join(runDir, 'checkpoints', 'latest')}); lower the learning rate or ` +
        'change the seed, then --resume or --fresh',
      1,
    );
  }

  /**
   * Starts measuring E4 on the run's first cycle (GANs): the state before it. The returned function takes the
   * cycle's statistics and records E4 from the state after it.
   */
  async startFirstCycleE4(): Promise<(cycleStats: StatsRecord) => Promise<void>> {
    const before = await this.trainer.getState();
    return async (cycleStats) => {
      const e4 = firstCycleE4(this.p.specs, before, await this.trainer.getState(), cycleStats);
      this.stats.E4 = e4;
      this.p.logger.info('E4 first cycle', {
        lossDMean: Number(e4.lossDMean.toFixed(3)),
        deltaD: Number(e4.deltaD.toFixed(3)),
        deltaG: Number(e4.deltaG.toFixed(3)),
      });
    };
  }

  /** The ended epoch's diagnostics (the family's reporter), stored in train-stats.json and logged. */
  async epochEnd(epoch: number, iteration: number): Promise<void> {
    const d = await this.p.reporter.epochEnd({
      runDir: this.p.runDir,
      epoch,
      iteration,
      running: runningMeans(this.running, this.trainer.runningFields),
    });
    this.stats.epochs.push(d);
    await writeJson(this.statsFile, this.stats);
    this.p.logger.info(`epoch ${epoch} done`, {
      iteration,
      ...Object.fromEntries(Object.entries(d.summary).map(([k, v]) => [k, Number(v.toFixed(3))])),
    });
  }

  /** snapshots/iter-<8 digits>.f32: G(z_fixed) now. */
  async snapshot(iteration: number): Promise<void> {
    const { config, runDir, zFixed } = this.p;
    await writeSnapshot(
      runDir,
      iteration,
      await this.trainer.generate(zFixed, config.fixedSamples),
      config.fixedSamples,
    );
  }

  /** A checkpoint of everything a resume needs, old ones pruned, metadata.json updated. */
  async checkpoint(iteration: number): Promise<void> {
    const { config, runDir, specs, parents, backend } = this.p;
    const state = {
      iteration,
      sampler: this.sampler.position,
      rng: this.rng.getState(),
      running: this.running,
      elapsedMs: this.elapsed,
      backend,
      implementation: this.trainer.implementation,
      trainStats: this.stats,
    };
    await writeCheckpoint(runDir, { config, state, specs, trainer: await this.trainer.getState(), parents });
    await pruneCheckpoints(runDir, config.keepCheckpoints, [...this.milestones]);
    await writeMetadata(runDir, {
      step: iteration,
      totalSteps: config.iterations,
      completed: false,
      latestCheckpoint: checkpointName(iteration),
      backend,
    });
  }

  /** Ends metrics.jsonl (after the last iteration, or on a failure). */
  closeMetrics(): void {
    this.metrics.close();
  }

  /** Frees the trainer and the networks (device memory). */
  dispose(): void {
    this.trainer.dispose();
    this.p.networks.generator.dispose();
    this.p.networks.critic.dispose();
  }

  /** train-stats.json as it stands. */
  async writeStats(): Promise<void> {
    await writeJson(this.statsFile, this.stats);
  }
}

/**
 * E4 of the run's first training cycle (iteration 1): L̄_D as the trainer reports it (the mean of the
 * n_critic critic losses) and ‖Δθ_D‖, ‖Δθ_G‖ between the states before and after it.
 */
export function firstCycleE4(
  specs: { generator: NetworkSpec; critic: NetworkSpec },
  before: TrainerState,
  after: TrainerState,
  stats: StatsRecord,
): E4 {
  return {
    lossDMean: stats.lossD,
    deltaD: parameterDelta(specs.critic, before.critic, after.critic),
    deltaG: parameterDelta(specs.generator, before.generator, after.generator),
  };
}
