import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  acquireArtifactLock,
  artifactPaths,
  inFolder,
  artifactsRoot,
  createProgress,
  parentRef,
  PipelineError,
  Rng,
  sealArtifact,
  type Logger,
} from '@wgan/core';
import { initBackend, type BackendInfo } from '@wgan/core/backend';
import { loadDataset } from '@wgan/data-prep';
import { checkpointName, readCheckpoint, resolveCheckpoint, type Checkpoint } from './checkpoint.js';
import { checkTrainPaths, type TrainConfig } from './config.js';
import { e3ModelSize } from './diagnostics.js';
import { checkTrainingLabels, conditioningOf, trainingLabels } from './conditional.js';
import { buildModels, createTrainer } from './factory.js';
import { GanEpochReporter } from './gan-epoch-reporter.js';
import { freshRunning } from './metrics.js';
import { removeTemporaries, truncateMetrics, writeMetadata } from './run-files.js';
import { RunSession, type TrainStats } from './run-session.js';
import { BatchSampler, drawIterationInputs } from './sampling.js';
import { describeIgnored, resumedConfig } from './resume.js';
import pkg from '../package.json' with { type: 'json' };

export { firstCycleE4, type TrainStats } from './run-session.js';

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
    const { session, backend } = await openRun(config, options, runDir, folder);
    const { lastIteration, stopped } = await iterate(session, options);
    return await finishRun(session, backend, lastIteration, stopped);
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

/**
 * The generator iterations from the session's start to config.iterations (or a stop signal). Each:
 * draw the inputs, enqueue the iteration, read the statistics when due, then the epoch-end diagnostics,
 * the snapshot and the checkpoint when due.
 */
async function iterate(
  session: RunSession,
  options: TrainOptions,
): Promise<{ lastIteration: number; stopped: boolean }> {
  const { config, trainer, sampler, rng } = session;
  const start = session.startIteration;
  const labels = trainingLabels(config, session.trainLabels);
  // the progress bar's figure: Ŵ₁ for GANs, the first loss field (the VAE's loss) otherwise
  const headline = trainer.statFields.includes('dReal') ? 'W1' : trainer.lossFields[0];
  const progress =
    options.progress === false
      ? null
      : createProgress({ total: config.iterations, start, label: `train ${config.name}`, fields: [headline] });
  let lastIteration = start;
  try {
    for (let iteration = start + 1; iteration <= config.iterations; iteration++) {
      const epoch = sampler.completedEpochs; // the epoch this iteration's first batch comes from
      const inputs = drawIterationInputs(rng, sampler, config, labels);
      // the GAN's E4 is measured on the first cycle
      const recordE4 = iteration === 1 && config.model !== 'vae' ? await session.startFirstCycleE4() : null;
      if (recordE4) session.restartClock();
      trainer.iteration(inputs);
      session.enqueued(iteration, epoch);
      lastIteration = iteration;

      const due = dueAt(session, iteration, epoch, options.signal, recordE4 !== null);
      if (due.log) {
        const read = await session.readStats();
        if (recordE4) await recordE4(read[read.length - 1]);
      }
      if (due.epochEnd) await session.epochEnd(sampler.completedEpochs - 1, iteration);
      if (due.snapshot) await session.snapshot(iteration);
      if (due.checkpoint) await session.checkpoint(iteration);
      if (due.housekeeping) session.restartClock(); // training time excludes diagnostics and I/O
      const value = session.headlineValue;
      progress?.update(iteration, { [headline]: Number.isFinite(value) ? value.toFixed(3) : '-' });
      if (due.stop) {
        session.logger.warn('stopped by signal: checkpoint written', { iteration });
        return { lastIteration, stopped: true };
      }
    }
  } finally {
    progress?.stop();
    session.closeMetrics();
  }
  return { lastIteration, stopped: false };
}

/** What is due after an iteration: reading the statistics, epoch-end diagnostics, a snapshot, a checkpoint. */
function dueAt(
  session: RunSession,
  iteration: number,
  epochBefore: number,
  signal: AbortSignal | undefined,
  firstCycle: boolean,
) {
  const { config, milestones } = session;
  const every = (n: number) => n > 0 && iteration % n === 0;
  // an epoch ended during this iteration (its batches may straddle the boundary)
  const epochEnd = session.sampler.completedEpochs > epochBefore;
  const snapshot = milestones.has(iteration) || every(config.snapshotEvery);
  const stop = Boolean(signal?.aborted); // read once: a signal arriving later is handled next iteration
  const checkpoint = every(config.checkpointEvery) || milestones.has(iteration) || stop;
  const housekeeping = firstCycle || epochEnd || snapshot || checkpoint;
  return { log: iteration % config.logEvery === 0 || housekeeping, epochEnd, snapshot, checkpoint, stop, housekeeping };
}

/**
 * Setup: the checkpoint to resume from (its config, with a warning naming each requested setting it does
 * not apply), the data, the backend, the run folder, the networks and the trainer, the sampler, RNG and
 * running means where the checkpoint left them; a fresh run writes its iteration-0 snapshot and checkpoint.
 */
async function openRun(
  requested: TrainConfig,
  options: TrainOptions,
  runDir: string,
  folder: { created: boolean },
): Promise<{ session: RunSession; backend: BackendInfo }> {
  const { logger } = options;
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
  const config = checkpoint ? resumeConfig(requested, checkpoint, logger) : requested;
  const dataDir = checkTrainPaths(config).data;
  const data = await loadDataset(dataDir, ['train']);
  const images = data.train.images;
  const imageCount = data.train.count;
  checkBatchSize(config.batchSize, imageCount, dataDir);
  const conditioning = conditioningOf(config);
  if (conditioning) checkTrainingLabels(data.train.labels, conditioning.classes, dataDir);
  if (options.fresh && existsSync(runDir)) {
    await rm(runDir, { recursive: true, force: true });
    folder.created = true;
  }
  const backend = await initBackend(config.backend, { quiet: true });
  logger.info('backend', { name: backend.name, device: backend.device, reason: backend.reason });

  await mkdir(runDir, { recursive: true });
  await removeTemporaries(runDir);
  await rm(join(runDir, 'manifest.json'), { force: true }); // an unfinished run carries no manifest

  const rng = checkpoint ? Rng.fromState(checkpoint.state.rng) : Rng.fromSeed(config.seed);
  const { specs, generator, critic, zFixed } = await buildModels(config, rng, runDir, checkpoint);
  const trainer = await createTrainer(config, { generator, critic, images, imageCount, backend: backend.name });
  if (checkpoint) await trainer.setState(checkpoint.trainer);
  const startIteration = checkpoint?.state.iteration ?? 0;
  if (checkpoint) await truncateMetrics(runDir, startIteration);
  const session = new RunSession({
    config,
    runDir,
    logger,
    backend: backend.name,
    trainer,
    networks: { generator, critic },
    specs,
    zFixed,
    rng,
    sampler: new BatchSampler(imageCount, config.batchSize, config.seed, checkpoint?.state.sampler, {
      replacement: config.sampling === 'replacement',
    }),
    startIteration,
    running: checkpoint?.state.running ?? freshRunning(trainer.runningFields, 0),
    stats: checkpoint?.state.trainStats ?? { E3: e3ModelSize(specs.generator, specs.critic), E4: null, epochs: [] },
    elapsedMs: checkpoint?.state.elapsedMs ?? 0,
    parents: [parentRef(data.artifact, artifactsRoot())],
    trainLabels: data.train.labels,
    reporter:
      trainer.epochReporter ??
      new GanEpochReporter({ trainer, specs, images, imageCount, config, labels: data.train.labels }),
    appendMetrics: checkpoint !== null,
  });
  logStart(session, checkpoint !== null);
  if (!checkpoint) {
    await session.snapshot(0);
    await session.checkpoint(0);
  }
  return { session, backend };
}

/**
 * The config a resume trains with: the checkpoint's (resumedConfig), with a warning naming each requested
 * setting it does not apply and each key the checkpoint's config lacked (train's default stands in).
 */
function resumeConfig(requested: TrainConfig, checkpoint: Checkpoint, logger: Logger): TrainConfig {
  const resumed = resumedConfig(requested, checkpoint.config);
  if (resumed.ignored.length) {
    logger.warn(`--resume keeps the checkpoint's settings; not applied: ${describeIgnored(resumed.ignored)}`, {
      ignored: resumed.ignored.map((i) => i.key),
    });
  }
  if (checkpoint.defaultedConfig.length) {
    logger.warn(`the checkpoint's config lacks ${checkpoint.defaultedConfig.join(', ')}: train's defaults are used`, {
      defaulted: checkpoint.defaultedConfig,
    });
  }
  return resumed.config;
}

function logStart(session: RunSession, resuming: boolean): void {
  const { config, trainer, logger } = session;
  const e3 = session.stats.E3;
  logger.info('E3 model size', {
    nG: e3.nG,
    nD: e3.nD,
    ratio: Number(e3.ratio.toFixed(3)),
    sizeMb: Number(e3.sizeMb.toFixed(3)),
  });
  if (trainer.optimizerFallback)
    logger.warn(`${trainer.implementation}: the fused optimiser is not available, using the in-graph optimiser`, {
      reason: trainer.optimizerFallback,
    });
  logger.info(resuming ? 'resuming' : 'starting', {
    run: config.name,
    iteration: session.startIteration,
    of: config.iterations,
    implementation: trainer.implementation,
    ...(trainer.threads ? { threads: trainer.threads } : {}),
    ...(trainer.optimizerPath ? { optimizer: trainer.optimizerPath } : {}),
    model: config.model,
    loss: config.loss,
  });
}

/** The end of a run: train-stats.json, the log line; a run that was not stopped is sealed (its manifest). */
async function finishRun(
  session: RunSession,
  backend: BackendInfo,
  lastIteration: number,
  stopped: boolean,
): Promise<TrainResult> {
  const { config, trainer, logger, runDir, stats } = session;
  await session.writeStats();
  const elapsedMs = session.elapsedMs;
  const msPerIter = elapsedMs / Math.max(1, lastIteration);
  session.dispose();
  logger.info(stopped ? 'stopped' : 'done', {
    run: runDir,
    iterations: lastIteration,
    msPerIter: Number(msPerIter.toFixed(1)),
    seconds: Number((elapsedMs / 1000).toFixed(1)),
  });
  if (!stopped) {
    // sealed last: the manifest covers every file as it stays, the log included
    await writeMetadata(runDir, {
      step: config.iterations,
      totalSteps: config.iterations,
      completed: true,
      latestCheckpoint: checkpointName(config.iterations),
      backend: backend.name,
    });
    await sealArtifact(runDir, {
      stage: 'train',
      packageVersion: pkg.version,
      config,
      parents: session.parents,
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
  return { runDir, iterations: lastIteration, msPerIter, stopped, stats };
}
