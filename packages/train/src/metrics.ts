import type { RunningMeans } from './checkpoint.js';
import type { StatsRecord } from './trainer.js';

/**
 * metrics.jsonl's lines and the per-epoch running means they carry, as pure functions of the trainer's
 * statistics: the loop only reads the statistics and writes what these return.
 */

/**
 * One metrics.jsonl line: the iteration, its epoch, the trainer's statistics (GAN runs: lossD, lossG,
 * dReal, dFake, gp, gradNormMean, gradNormStd, clipFraction, and wassersteinGap = dReal − dFake), the
 * per-epoch running mean of each running field as <name>Running, and timing.
 */
export interface MetricsLine {
  iteration: number;
  epoch: number;
  /** The trainer's statistics and their running means. */
  [stat: string]: number | string;
  /** Training time since the run began, at the end of this line's read window (ms). */
  wallMs: number;
  /** Mean time per generator iteration over the read window (ms). */
  msPerIter: number;
  backend: string;
}

/** Running sums of `fields` at the start of `epoch`. */
export function freshRunning(fields: readonly string[], epoch: number): RunningMeans {
  return { sums: Object.fromEntries(fields.map((f) => [f, 0])), count: 0, epoch };
}

/** The running sums after one more iteration of `epoch` (a new epoch restarts them). */
export function addToRunning(
  running: RunningMeans,
  fields: readonly string[],
  epoch: number,
  stats: StatsRecord,
): RunningMeans {
  const base = epoch === running.epoch ? running : freshRunning(fields, epoch);
  return { ...base, sums: Object.fromEntries(fields.map((f) => [f, base.sums[f] + stats[f]])), count: base.count + 1 };
}

/** The running means of `fields` (0 before the first iteration of the epoch). */
export function runningMeans(running: RunningMeans, fields: readonly string[]): Record<string, number> {
  return Object.fromEntries(fields.map((f) => [f, running.sums[f] / Math.max(1, running.count)]));
}

/** The metrics line of one iteration, given the running sums that include it. */
export function metricsLine(
  at: { iteration: number; epoch: number },
  stats: StatsRecord,
  running: RunningMeans,
  fields: readonly string[],
  timing: { wallMs: number; msPerIter: number; backend: string },
): MetricsLine {
  return {
    iteration: at.iteration,
    epoch: at.epoch,
    ...stats,
    ...('dReal' in stats && 'dFake' in stats ? { wassersteinGap: stats.dReal - stats.dFake } : {}),
    ...Object.fromEntries(Object.entries(runningMeans(running, fields)).map(([f, v]) => [`${f}Running`, v])),
    wallMs: Math.round(timing.wallMs),
    msPerIter: Number(timing.msPerIter.toFixed(3)),
    backend: timing.backend,
  };
}
