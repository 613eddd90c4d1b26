import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import {
  failedResult,
  MAX_BUSY_DELAYS,
  RunBusy,
  runJob,
  runPaths,
  StageFailure,
  writeResult,
  type JobOptions,
  type RunResult,
} from './executor.js';
import { expandRuns, type RunPlan, type StudySpec } from './spec.js';

/**
 * `study run`: every run of a study on this machine, at most `concurrency` at once, each attempted up to
 * the spec's `attempts` times; a multi-line progress display on a terminal (one line for the study, one
 * per running run) and plain log lines otherwise.
 */

/** How long a run held by another process is waited for before looking again. */
const BUSY_DELAY_MS = 2000;

/** Cores ÷ threads per run (the spec's `threads` flag; 1 when unset), at least 1. */
export function defaultConcurrency(spec: StudySpec, cores = availableParallelism()): number {
  const threads = Number(
    spec.train.flags.threads ?? spec.grids.map((g) => g.flags.threads).find((t) => t !== undefined) ?? 1,
  );
  return Math.max(1, Math.floor(cores / Math.max(1, threads || cores)));
}

export interface LocalOptions extends Omit<JobOptions, 'onStage'> {
  concurrency: number;
  /** Draw the multi-line display (default: when stderr is a terminal). */
  progress?: boolean;
  log?: (line: string) => void;
}

interface Display {
  start(plan: RunPlan): void;
  finish(plan: RunPlan, result: RunResult): void;
  stop(): void;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const m = Math.floor(seconds / 60);
  return m ? `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${Math.round(seconds)}s`;
}

function makeDisplay(total: number, concurrency: number, options: LocalOptions): Display {
  const started = Date.now();
  const counts = { done: 0, failed: 0, running: 0 };
  const eta = () => {
    const finished = counts.done + counts.failed;
    return finished ? formatEta((((Date.now() - started) / 1000) * (total - finished)) / finished) : '?';
  };
  if (!(options.progress ?? process.stderr.isTTY)) {
    const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    return {
      start: (p) => {
        counts.running++;
        log(`start ${p.name} (${p.cell}, seed ${p.seed})`);
      },
      finish: (p, r) => {
        counts.running--;
        counts[r.status === 'done' ? 'done' : 'failed']++;
        const tally = `${counts.done} done, ${counts.running} running, ${counts.failed} failed of ${total}`;
        log(`${r.status} ${p.name} (${r.trained ?? r.error}) — ${tally}, ETA ${eta()}`);
      },
      stop: () => {},
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      clearOnComplete: false,
      hideCursor: true,
      barsize: 12,
      format: '{label} [{bar}] {value}/{total} {status}',
      stream: process.stderr,
    },
    cliProgress.Presets.shades_grey,
  );
  const studyBar = multi.create(total, 0, { label: `study, ${concurrency} at once`.padEnd(24), status: '' });
  const lines = new Map<string, cliProgress.SingleBar>();
  const refresh = () =>
    studyBar.update(counts.done + counts.failed, {
      status: `${counts.done} done, ${counts.running} running, ${counts.failed} failed, ETA ${eta()}`,
    });
  refresh();
  return {
    start: (p) => {
      counts.running++;
      lines.set(p.name, multi.create(1, 0, { label: `${p.cell} s${p.seed}`.slice(0, 24).padEnd(24), status: p.name }));
      refresh();
    },
    finish: (p, r) => {
      counts.running--;
      counts[r.status === 'done' ? 'done' : 'failed']++;
      const line = lines.get(p.name);
      if (line) multi.remove(line);
      lines.delete(p.name);
      refresh();
    },
    stop: () => multi.stop(),
  };
}

/** Runs every run of the study; returns the results in the study's run order. */
export async function runLocal(spec: StudySpec, options: LocalOptions): Promise<RunResult[]> {
  const plans = expandRuns(spec);
  const results = new Array<RunResult>(plans.length);
  const display = makeDisplay(plans.length, options.concurrency, options);
  let next = 0;
  const worker = async () => {
    while (next < plans.length) {
      const index = next++;
      const plan = plans[index];
      display.start(plan);
      let result: RunResult | null = null;
      let busyWaits = 0;
      for (let attempt = 1; attempt <= spec.attempts && !result; attempt++) {
        try {
          result = await runJob(plan, { ...options, onStage: undefined });
        } catch (e) {
          const busy = e instanceof RunBusy || (e instanceof StageFailure && e.busy);
          if (busy && busyWaits < MAX_BUSY_DELAYS && !options.signal?.aborted) {
            // another process (a second `study run`, a worker) is on this run: wait for it, no attempt used
            busyWaits++;
            attempt--;
            await new Promise((r) => setTimeout(r, BUSY_DELAY_MS));
            continue;
          }
          if (attempt === spec.attempts || options.signal?.aborted) {
            result = failedResult(plan, e, attempt);
            await writeResult(runPaths(options.root, plan, options.evaluate).result, result);
          } else await new Promise((r) => setTimeout(r, 1000 * 2 ** (attempt - 1)));
        }
      }
      results[index] = result as RunResult;
      display.finish(plan, results[index]);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, plans.length) }, worker));
  } finally {
    display.stop();
  }
  return results;
}
