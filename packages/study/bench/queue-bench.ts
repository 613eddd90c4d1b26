#!/usr/bin/env -S npx tsx
/**
 * Benchmark (not a test): an 8-cell study of short train runs through a real redis-server with 1 and
 * then 2 in-process workers (each run still trains in its own child process). Prints the wall time, the
 * throughput and the queue's own overhead per job: the worker's time on the job minus the time inside
 * the run job (spawned stages included). BullMQ hands a worker its next job in the same call that
 * finishes the last one, so there is no separate pick-up gap to measure.
 *
 *   npx tsx packages/study/bench/queue-bench.ts [--iterations 100]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { makeTinyData } from '@wgan/train/testing';
import { connectionFor, startWorker, submitStudy, type RunJobData } from '../src/index.js';
import { parseStudySpec, type StudySpec } from '../src/spec.js';
import { freePort, RedisServer, redisServerMissing } from '../src/redis.test-helpers.js';
import { tinyModelConfig } from '../src/tiny.test-helpers.js';

const iterations = Number(process.argv[process.argv.indexOf('--iterations') + 1] || 100);
const missing = redisServerMissing();
if (missing) {
  process.stderr.write(`${missing}\n`);
  process.exit(2);
}
const tmp = await mkdtemp(join(tmpdir(), 'study-bench-'));
const redis = new RedisServer(await freePort(), tmp);
await redis.start();
// train's --data resolves inside the artifacts root: each root gets the same tiny data set at data/tiny
const data = 'data/tiny';

function spec(name: string): StudySpec {
  return parseStudySpec({
    name,
    train: {
      config: tinyModelConfig,
      flags: {
        data,
        iterations,
        'batch-size': 8,
        backend: 'wasm',
        'log-every': 50,
        'snapshot-every': 0,
        'checkpoint-every': 50,
      },
    },
    grids: [
      {
        name: 'gp',
        axes: [
          { flag: 'lr', values: [1e-4, 2e-4, 4e-4, 8e-4] },
          { flag: 'lambda', values: [1, 10] },
        ],
      },
    ],
    seeds: [1],
  });
}

interface Row {
  workers: number;
  wallS: number;
  runsPerMin: number;
  overheadMs: number;
  jobS: number;
}
const rows: Row[] = [];
for (const workers of [1, 2]) {
  const root = join(tmp, `root-${workers}`);
  await makeTinyData(root, 64);
  const queueName = `bench-${workers}`;
  const connection = connectionFor(redis.url);
  const s = spec(`bench-${workers}`);
  const timedWorkers = Array.from({ length: workers }, () =>
    startWorker({ root, connection, queueName, log: () => {} }),
  );
  const events = new QueueEvents(queueName, { connection });
  await events.waitUntilReady();
  const t0 = performance.now();
  const submitted = await submitStudy(s, connection, queueName);
  const queue = new Queue(queueName, { connection });
  const parent = await queue.getJob(submitted.parentId);
  await parent!.waitUntilFinished(events, 600_000);
  const wallS = (performance.now() - t0) / 1000;
  const jobs = (await queue.getJobs(['completed'])).filter((j) => (j.data as RunJobData).kind === 'run');
  let overhead = 0;
  let jobTime = 0;
  for (const j of jobs) {
    const d = (j.finishedOn ?? 0) - (j.processedOn ?? 0);
    jobTime += d;
    const r = j.returnvalue as { insideMs?: number };
    overhead += d - (r.insideMs ?? d);
  }
  rows.push({
    workers,
    wallS,
    runsPerMin: (jobs.length / wallS) * 60,
    overheadMs: overhead / jobs.length,
    jobS: jobTime / jobs.length / 1000,
  });
  await Promise.all(timedWorkers.map((w) => w.close()));
  await events.close();
  await queue.close();
}
await redis.stop();
await rm(tmp, { recursive: true, force: true });
process.stdout.write(
  `8 runs × ${iterations} iterations (tiny model), ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'})\n`,
);
process.stdout.write(
  '| workers | wall s | runs/min | mean s per job | queue overhead per job, ms (in job) |\n|---|---|---|---|---|\n',
);
for (const r of rows) {
  process.stdout.write(
    `| ${r.workers} | ${r.wallS.toFixed(1)} | ${r.runsPerMin.toFixed(2)} | ${r.jobS.toFixed(1)} | ${r.overheadMs.toFixed(1)} |\n`,
  );
}
process.stdout.write(`speed-up 2 vs 1 workers: ${(rows[0].wallS / rows[1].wallS).toFixed(2)}×\n`);
