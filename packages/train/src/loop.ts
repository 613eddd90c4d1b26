import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  acquireArtifactLock,
  artifactPaths,
  inFolder,
  artifactsRoot,
  createProgress,
  JsonlWriter,
  parentRef,
  PipelineError,
  Rng,
  sealArtifact,
  type Logger,
} from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { loadDataset } from '@wgan/data-prep';
import {
  pruneCheckpoints,
  readCheckpoint,
  resolveCheckpoint,
  writeCheckpoint,
  type CheckpointState,
  type RunningMeans,
} from './checkpoint.js';
import { checkTrainPaths, type TrainConfig } from './config.js';
import {
  e3ModelSize,
  epochDiagnostics,
  parameterDelta,
  type E3,
  type E4,
  type EpochDiagnostics,
} from './diagnostics.js';
import { buildModels, createTrainer } from './factory.js';
import { BatchSampler, drawIterationInputs } from './sampling.js';
import {
  METRICS_FILE,
  removeTemporaries,
  truncateMetrics,
  writeJson,
  writeMetadata,
  writeSnapshot,
} from './run-files.js';
import type { NetworkSpec } from './models/spec.js';
import type { FamilyEpochDiagnostics, StatsRecord, Trainer, TrainerState } from './trainer.js';
import { describeIgnored, resumedConfig } from './resume.js';
import { addToRunning, freshRunning, metricsLine, runningMeans } from './metrics.js';
import pkg from '../package.json' with { type: 'json' };

export interface TrainStats {
  E3: E3;
  E4: E4 | null;
  /** Per epoch: the GAN's E5–E7, or a family's own figures (Trainer.epochReporter). */
  epochs: (EpochDiagnostics | FamilyEpochDiagnostics)[];
}

export interface TrainOptions {
  logger: Logger;
  /** Continue from the run's latest checkpoint. */
  resume?: boolean;
  /** Delete an existing run folder first. */
  fresh?: boolean;
  /** Stop (with a checkpoint) when this resolves/aborts, e.g. on SIGINT. */
  signal?: AbortSignal;
  /** Print the progress bar (default true). */
  progress?: boolean;
}

export interface TrainResult {
  runDir: string;
  iterations: number;
  msPerIter: number;
  stopped: boolean;
  stats: TrainStats;
}

/**
 * The training loop (nanoGPT's shape): setup → resume → for each generator iteration: draw inputs,
 * run nCritic critic steps and one generator step, read metrics every logEvery iterations, diagnostics
 * at epoch ends, snapshots and checkpoints at their intervals → final snapshot, checkpoint, seal.
 */
export async function train(config: TrainConfig, options: TrainOptions): Promise<TrainResult> {
  checkTrainPaths(config);
  const runDir = artifactPaths.run(config.name, '--name');
  // One writer per run, for the whole run: taken before a --fresh deletion or a resume reads anything.
  const lock = acquireArtifactLock(runDir, { stage: 'train', logger: options.logger, flag: '--name' });
  const folder = { created: !existsSync(runDir) };
  try {
    return await trainRun(config, options, runDir, folder);
  } catch (e) {
    // A run this call created that failed before its first checkpoint leaves no partial folder behind;
    // a run with a checkpoint keeps it (it can be resumed).
    if (folder.created && !existsSync(join(runDir, 'checkpoints', 'latest')))
      await rm(runDir, { recursive: true, force: true });
    throw inFolder(e, runDir);
  } finally {
    lock.release();
  }
}

/** A batch must fit in the dataset: checked before the run folder is touched. */
export function checkBatchSize(batchSize: number, imageCount: number, dataDir: string): void {
  if (batchSize > imageCount) {
    throw new PipelineError(
      `batch size ${batchSize} is larger than the dataset's ${imageCount} training images`,
      '--batch-size',
      `give --batch-size at most ${imageCount} (the training images of ${dataDir})`,
    );
  }
}

async function trainRun(
  config: TrainConfig,
  options: TrainOptions,
  runDir: string,
  folder: { created: boolean },
): Promise<TrainResult> {
  const { logger } = options;
  // --- setup --------------------------------------------------------------------------------
  const latestExists = existsSync(join(runDir, 'checkpoints', 'latest'));
  if (!options.fresh && !options.resume && latestExists) {
    throw new PipelineError(
      'run folder already has checkpoints',
      runDir,
      'pass --resume to continue it, --fresh to start over, or --name for a new run',
    );
  }
  const resuming = Boolean(options.resume && latestExists && !options.fresh);
  const checkpoint = resuming ? await readCheckpoint(await resolveCheckpoint(runDir)) : null;
  if (checkpoint) {
    const resumed = resumedConfig(config, checkpoint.config);
    if (resumed.ignored.length) {
      logger.warn(`--resume keeps the checkpoint's settings; not applied: ${describeIgnored(resumed.ignored)}`, {
        ignored: resumed.ignored.map((i) => i.key),
      });
    }
    config = resumed.config;
  }
  const dataDir = checkTrainPaths(config).data;
  const data = await loadDataset(dataDir, ['train']);
  const images = data.train.images;
  const imageCount = data.train.count;
  checkBatchSize(config.batchSize, imageCount, dataDir);
  if (options.fresh && existsSync(runDir)) {
    await rm(runDir, { recursive: true, force: true });
    folder.created = true;
  }
  const backend = await initBackend(config.backend, { quiet: true });
  logger.info('backend', { name: backend.name, device: backend.device, reason: backend.reason });

  await mkdir(runDir, { recursive: true });
  await removeTemporaries(runDir);
  await rm(join(runDir, 'manifest.json'), { force: true }); // an unfinished run carries no manifest

  // --- init or resume ------------------------------------------------------------------------
  const rng = checkpoint ? Rng.fromState(checkpoint.state.rng) : Rng.fromSeed(config.seed);
  const { specs, generator, critic, zFixed } = await buildModels(config, rng, runDir, checkpoint);
  const trainer: Trainer = await createTrainer(config, {
    generator,
    critic,
    images,
    imageCount,
    backend: backend.name,
  });
  if (checkpoint) await trainer.setState(checkpoint.trainer);
  const start = checkpoint?.state.iteration ?? 0;
  const sampler = new BatchSampler(imageCount, config.batchSize, config.seed, checkpoint?.state.sampler, {
    replacement: config.sampling === 'replacement',
  });
  let running: RunningMeans = checkpoint?.state.running ?? freshRunning(trainer.runningFields, 0);
  const statsFile = join(runDir, 'train-stats.json');
  const stats: TrainStats = checkpoint?.state.trainStats ?? {
    E3: e3ModelSize(specs.generator, specs.critic),
    E4: null,
    epochs: [],
  };
  let elapsedMs = checkpoint?.state.elapsedMs ?? 0;
  if (checkpoint) await truncateMetrics(runDir, start);
  const metrics = new JsonlWriter(join(runDir, METRICS_FILE), checkpoint ? 'a' : 'w');
  const parents = [parentRef(data.artifact, artifactsRoot())];
  const milestones = new Set([...config.milestones, config.iterations]);

  const e3 = stats.E3;
  logger.info('E3 model size', {
    nG: e3.nG,
    nD: e3.nD,
    ratio: Number(e3.ratio.toFixed(3)),
    sizeMb: Number(e3.sizeMb.toFixed(3)),
  });
  logger.info(checkpoint ? 'resuming' : 'starting', {
    run: config.name,
    iteration: start,
    of: config.iterations,
    implementation: trainer.implementation,
    ...(trainer.threads ? { threads: trainer.threads } : {}),
    model: config.model,
    loss: config.loss,
  });

  const snapshot = async (iteration: number) =>
    writeSnapshot(runDir, iteration, await trainer.generate(zFixed, config.fixedSamples), config.fixedSamples);
  const saveCheckpoint = async (iteration: number) => {
    const state: CheckpointState = {
      iteration,
      sampler: sampler.position,
      rng: rng.getState(),
      running,
      elapsedMs,
      backend: backend.name,
      implementation: trainer.implementation,
      trainStats: stats,
    };
    await writeCheckpoint(runDir, { config, state, specs, trainer: await trainer.getState(), parents });
    await pruneCheckpoints(runDir, config.keepCheckpoints, [...milestones]);
    await writeMetadata(runDir, {
      step: iteration,
      totalSteps: config.iterations,
      completed: false,
      latestCheckpoint: String(iteration).padStart(8, '0'),
      backend: backend.name,
    });
  };
  if (!checkpoint) {
    await snapshot(0);
    await saveCheckpoint(0);
  }

  // --- loop ------------------------------------------------------------------------------------
  // the progress bar's figure: Ŵ₁ for GANs, the first loss field (the VAE's loss) otherwise
  const headline = trainer.statFields.includes('dReal') ? 'W1' : trainer.lossFields[0];
  const progress =
    options.progress === false
      ? null
      : createProgress({ total: config.iterations, start, label: `train ${config.name}`, fields: [headline] });
  const pendingMeta: { iteration: number; epoch: number }[] = [];
  let windowStart = performance.now();
  let lastGap = NaN;
  let stopped = false;

  /** Reads the pending iterations' stats and writes their metrics lines; stops on NaN/Inf. */
  const flush = async (): Promise<StatsRecord[]> => {
    const read = await trainer.readStats();
    const now = performance.now();
    const windowMs = now - windowStart;
    elapsedMs += windowMs;
    windowStart = now;
    const msPerIter = read.length ? windowMs / read.length : 0;
    read.forEach((s, k) => {
      const { iteration, epoch } = pendingMeta[k];
      const bad = trainer.lossFields.filter((f) => !Number.isFinite(s[f]));
      if (bad.length) {
        throw new PipelineError(
          `training diverged at iteration ${iteration}: ${trainer.lossFields.map((f) => `${f} = ${s[f]}`).join(', ')}`,
          join(runDir, METRICS_FILE),
          `the last good checkpoint is kept (${join(runDir, 'checkpoints', 'latest')}); lower the learning rate or change the seed, then --resume or --fresh`,
          1,
        );
      }
      running = addToRunning(running, trainer.runningFields, epoch, s);
      const line = metricsLine({ iteration, epoch }, s, running, trainer.runningFields, {
        wallMs: elapsedMs,
        msPerIter,
        backend: backend.name,
      });
      metrics.write(line);
      lastGap = typeof line.wassersteinGap === 'number' ? line.wassersteinGap : s[trainer.lossFields[0]];
    });
    pendingMeta.splice(0, read.length);
    return read;
  };

  let lastIteration = start;
  try {
    for (let iteration = start + 1; iteration <= config.iterations; iteration++) {
      const completedBefore = sampler.completedEpochs;
      const epoch = completedBefore; // the epoch this iteration's first batch comes from
      const inputs = drawIterationInputs(rng, sampler, config);
      const before = iteration === 1 && !trainer.epochReporter ? await trainer.getState() : null; // the GAN's E4 is measured on the first cycle
      if (before) windowStart = performance.now();
      trainer.iteration(inputs);
      pendingMeta.push({ iteration, epoch });
      lastIteration = iteration;

      const due = (every: number) => every > 0 && iteration % every === 0;
      // an epoch ended during this iteration (its batches may straddle the boundary)
      const epochEnded = sampler.completedEpochs > completedBefore;
      const endedEpoch = sampler.completedEpochs - 1;
      const snapshotDue = milestones.has(iteration) || due(config.snapshotEvery);
      const stopNow = Boolean(options.signal?.aborted); // read once: a signal arriving later is handled next iteration
      const checkpointDue = due(config.checkpointEvery) || milestones.has(iteration) || stopNow;
      const housekeeping = Boolean(before) || epochEnded || snapshotDue || checkpointDue;
      if (iteration % config.logEvery === 0 || housekeeping) {
        const read = await flush();
        if (before) {
          stats.E4 = firstCycleE4(specs, before, await trainer.getState(), read[read.length - 1]);
          logger.info('E4 first cycle', {
            lossDMean: Number(stats.E4.lossDMean.toFixed(3)),
            deltaD: Number(stats.E4.deltaD.toFixed(3)),
            deltaG: Number(stats.E4.deltaG.toFixed(3)),
          });
        }
      }
      if (epochEnded && trainer.epochReporter) {
        const d = await trainer.epochReporter.epochEnd({
          runDir,
          epoch: endedEpoch,
          iteration,
          running: runningMeans(running, trainer.runningFields),
        });
        stats.epochs.push(d);
        await writeJson(statsFile, stats);
        logger.info(`epoch ${endedEpoch} done`, {
          iteration,
          ...Object.fromEntries(Object.entries(d.summary).map(([k, v]) => [k, Number(v.toFixed(3))])),
        });
      } else if (epochEnded) {
        const weights = await trainer.getState();
        const d = await epochDiagnostics({
          generatorSpec: specs.generator,
          criticSpec: specs.critic,
          weights,
          images,
          imageCount,
          samples: config.diagnosticsSamples,
          latentDim: config.latentDim,
          loss: config.loss,
          lambda: config.lambda,
          clipValue: config.clipValue,
          rng: Rng.fromSeed(config.seed * 7919 + endedEpoch + 1),
          epoch: endedEpoch,
          iteration,
        });
        stats.epochs.push(d);
        await writeJson(statsFile, stats);
        logger.info(`epoch ${endedEpoch} done`, {
          iteration,
          E5_gap: Number(d.E5.wassersteinGap.toFixed(3)),
          ...(d.E6
            ? {
                E6_gbar: Number(d.E6.gradNormMean.toFixed(3)),
                E6_sg: Number(d.E6.gradNormStd.toFixed(3)),
                E6_gp: Number(d.E6.gp.toFixed(3)),
              }
            : {}),
          ...(d.E7 ? { E7_f: Number(d.E7.clipFraction.toFixed(3)) } : {}),
        });
      }
      if (snapshotDue) await snapshot(iteration);
      if (checkpointDue) await saveCheckpoint(iteration);
      if (housekeeping) windowStart = performance.now(); // training time excludes diagnostics and I/O
      progress?.update(iteration, { [headline]: Number.isFinite(lastGap) ? lastGap.toFixed(3) : '-' });
      if (stopNow) {
        stopped = true;
        logger.warn('stopped by signal: checkpoint written', { iteration });
        break;
      }
    }
  } finally {
    progress?.stop();
    metrics.close();
  }
  await writeJson(statsFile, stats);
  const done = !stopped;
  const iterationsRun = lastIteration;
  const msPerIter = elapsedMs / Math.max(1, iterationsRun);
  trainer.dispose();
  generator.dispose();
  critic.dispose();
  logger.info(done ? 'done' : 'stopped', {
    run: runDir,
    iterations: iterationsRun,
    msPerIter: Number(msPerIter.toFixed(1)),
    seconds: Number((elapsedMs / 1000).toFixed(1)),
  });
  if (done) {
    // sealed last: the manifest covers every file as it stays, the log included
    await writeMetadata(runDir, {
      step: config.iterations,
      totalSteps: config.iterations,
      completed: true,
      latestCheckpoint: String(config.iterations).padStart(8, '0'),
      backend: backend.name,
    });
    await sealArtifact(runDir, {
      stage: 'train',
      packageVersion: pkg.version,
      config,
      parents,
      meta: {
        iterations: config.iterations,
        backend: backend.name,
        device: backend.device,
        implementation: trainer.implementation,
        elapsedMs: Math.round(elapsedMs),
        msPerIter,
      },
    });
  }
  return { runDir, iterations: iterationsRun, msPerIter, stopped, stats };
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
