import { DelayedError, FlowProducer, Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { PipelineError } from '@wgan/core';
import {
  failedResult,
  MAX_BUSY_DELAYS,
  RunBusy,
  runJob,
  runPaths,
  StageFailure,
  writeResult,
  type RunResult,
  type StageCommand,
} from './executor.js';
import { writeReport } from './report.js';
import { expandRuns, specHash, type RunPlan, type StudySpec } from './spec.js';

/**
 * Studies on BullMQ: `submit` adds one flow per study (a parent "aggregate" job whose children are the
 * runs), `worker` takes jobs from any machine that shares the artifacts root. Job ids are deterministic
 * (study + run name; study + spec hash for the parent), so submitting the same spec twice adds nothing.
 * A run job spawns the stage CLIs (training never runs on the worker's event loop); a job whose worker
 * died returns to the queue through BullMQ's stalled-job check and resumes from the run's checkpoint.
 */

export const QUEUE_NAME = 'wgan-study';

export function connectionFor(url: string): ConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PipelineError(`not a URL: "${url}"`, '--redis', 'give a Redis URL such as redis://host:6379');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new PipelineError(`"${url}" is not a redis:// URL`, '--redis', 'give a Redis URL such as redis://host:6379');
  }
  // workers wait out a Redis restart instead of failing their commands
  return { url, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(200 * times, 2000) };
}

export interface RunJobData {
  kind: 'run';
  plan: RunPlan;
  evaluate: StudySpec['evaluate'];
  /** Times this job found another job on its run and was delayed. */
  busyDelays?: number;
}

export { MAX_BUSY_DELAYS };

export interface AggregateJobData {
  kind: 'aggregate';
  spec: StudySpec;
}

export function runJobId(plan: RunPlan): string {
  return `${plan.study}__${plan.name}`;
}

export function aggregateJobId(spec: StudySpec): string {
  return `${spec.name}__report__${specHash(spec)}`;
}

export interface SubmitResult {
  parentId: string;
  runs: number;
  /** Runs whose job was already in the queue (a duplicate submit). */
  alreadyQueued: number;
}

/** Adds the study's flow; the spec is validated (and runs expanded) before anything is queued. */
export async function submitStudy(
  spec: StudySpec,
  connection: ConnectionOptions,
  queueName = QUEUE_NAME,
): Promise<SubmitResult> {
  const plans = expandRuns(spec);
  const queue = new Queue(queueName, { connection });
  const flow = new FlowProducer({ connection });
  try {
    const existing = await Promise.all(plans.map((p) => queue.getJob(runJobId(p))));
    await flow.add({
      name: 'aggregate',
      queueName,
      data: { kind: 'aggregate', spec } satisfies AggregateJobData,
      opts: { jobId: aggregateJobId(spec), attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
      children: plans.map((plan) => ({
        name: 'run',
        queueName,
        data: { kind: 'run', plan, evaluate: spec.evaluate } satisfies RunJobData,
        opts: {
          jobId: runJobId(plan),
          attempts: spec.attempts,
          backoff: { type: 'exponential', delay: 1000 },
          // a run that used up its attempts is reported failed; the parent still aggregates
          ignoreDependencyOnFailure: true,
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    });
    return { parentId: aggregateJobId(spec), runs: plans.length, alreadyQueued: existing.filter(Boolean).length };
  } finally {
    await flow.close();
    await queue.close();
  }
}

export interface WorkerOptions {
  root: string;
  connection: ConnectionOptions;
  queueName?: string;
  /** Jobs at once on this worker (default 1). */
  concurrency?: number;
  /** BullMQ's job lock: a dead worker's job is stalled after this long (default 30 s). */
  lockDuration?: number;
  /** How often stalled jobs are looked for (default lockDuration ÷ 2). */
  stalledInterval?: number;
  train?: StageCommand;
  evaluateCli?: StageCommand;
  log?: (line: string) => void;
  onStage?: (job: string, stage: 'train' | 'evaluate' | 'ring' | 'anchor', pid: number) => void;
}

/** A BullMQ worker that runs the study jobs of `queueName` until closed. */
export function startWorker(options: WorkerOptions): Worker {
  const log = options.log ?? ((l: string) => process.stderr.write(`${new Date().toISOString()} ${l}\n`));
  const lockDuration = options.lockDuration ?? 30_000;
  const processor = async (job: Job<RunJobData | AggregateJobData>, token?: string): Promise<unknown> => {
    if (job.data.kind === 'aggregate') {
      const { dir, report } = await writeReport(job.data.spec, options.root);
      const { done, failed, missing } = report.counts;
      log(`report ${job.data.spec.name}: ${done} done, ${failed} failed, ${missing} missing → ${dir}`);
      return { dir, counts: report.counts };
    }
    const { plan, evaluate } = job.data;
    const attempt = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    log(`run ${plan.name} (${plan.cell}, seed ${plan.seed}) attempt ${attempt}/${attempts}`);
    const t0 = performance.now();
    try {
      const result: RunResult = await runJob(plan, {
        root: options.root,
        evaluate,
        train: options.train,
        evaluateCli: options.evaluateCli,
        onStage: (stage, pid) => {
          log(`run ${plan.name} ${stage} pid ${pid}`);
          options.onStage?.(plan.name, stage, pid);
        },
      });
      log(`run ${plan.name} done (${result.trained})`);
      // insideMs: the job's own time (stages included); the rest of the worker's time on it is the queue's
      return { ...result, insideMs: performance.now() - t0 };
    } catch (e) {
      const busyDelays = job.data.busyDelays ?? 0;
      if ((e instanceof RunBusy || (e instanceof StageFailure && e.busy)) && busyDelays < MAX_BUSY_DELAYS) {
        // someone else is on this run: look again later without using up an attempt (a lock left by a
        // dead worker on another host is never taken over, so the wait is bounded and then fails)
        log(`run ${plan.name}: another job is on it (${(e as Error).message}); delayed`);
        await job.updateData({ ...job.data, busyDelays: busyDelays + 1 });
        await job.moveToDelayed(Date.now() + 2000, token);
        throw new DelayedError();
      }
      log(`run ${plan.name} attempt ${attempt} failed: ${(e as Error).message}`);
      if (attempt >= attempts)
        await writeResult(runPaths(options.root, plan, evaluate).result, failedResult(plan, e, attempt));
      throw e;
    }
  };
  const worker = new Worker(options.queueName ?? QUEUE_NAME, processor, {
    connection: options.connection,
    concurrency: options.concurrency ?? 1,
    lockDuration,
    stalledInterval: options.stalledInterval ?? Math.max(1000, Math.floor(lockDuration / 2)),
    maxStalledCount: 3,
  });
  worker.on('error', (e) => log(`worker: ${e.message}`));
  return worker;
}
