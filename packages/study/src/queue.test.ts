import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { workspaceRoot } from '@wgan/core';
import { makeTinyData } from '@wgan/train/testing';
import { connectionFor, submitStudy } from './queue.js';
import { runLocal } from './local.js';
import { expandRuns, parseStudySpec, type StudySpec } from './spec.js';
import { freePort, RedisServer, redisServerMissing } from './redis.test-helpers.js';
import type { StudyReport } from './report.js';
import { tinyModelConfig } from './tiny.test-helpers.js';

/**
 * The distributed executor against a real redis-server and real stage CLIs (tiny runs on a synthetic
 * dataset): two worker processes, one SIGKILLed mid-training and Redis restarted mid-study; every run
 * completes exactly once with the weights the local executor gets; a duplicate submit adds nothing;
 * a bad spec is refused before anything is queued.
 */
const missing = redisServerMissing();
if (missing) console.log(`queue tests skipped: ${missing}`);

const CLI = join(workspaceRoot(), 'packages', 'study', 'src', 'cli.ts');
const QUEUE = 'study-test';

let tmp: string;
let redis: RedisServer;
let spec: StudySpec;
let specPath: string;
const workers: ChildProcess[] = [];

interface WorkerProc {
  child: ChildProcess;
  log: string[];
}

function startCliWorker(root: string): WorkerProc {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'worker', '--redis', redis.url, '--queue', QUEUE, '--lock-ms', '6000'],
    {
      cwd: workspaceRoot(),
      env: { ...process.env, WGAN_ARTIFACTS: root },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  workers.push(child);
  const log: string[] = [];
  child.stderr!.on('data', (d: Buffer) => log.push(...d.toString().split('\n').filter(Boolean)));
  return { child, log };
}

function cli(args: string[], root: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: workspaceRoot(),
      env: { ...process.env, WGAN_ARTIFACTS: root },
    });
    let stderr = '';
    let stdout = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d));
    c.stdout.on('data', (d: Buffer) => (stdout += d));
    c.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

/** Whether a process runs (a zombie waiting for its reaper counts as gone). */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(what: string, ms: number, test: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(missing)('study on BullMQ with a real redis-server', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'study-queue-'));
    redis = new RedisServer(await freePort(), tmp);
    await redis.start();
    // train's --data resolves inside the artifacts root: each root (the workers' and the local one) gets
    // the same tiny data set at data/tiny
    await makeTinyData(join(tmp, 'dist'), 64);
    await makeTinyData(join(tmp, 'local'), 64);
    const data = 'data/tiny';
    spec = parseStudySpec({
      name: 'tiny',
      train: {
        config: tinyModelConfig,
        flags: {
          data,
          iterations: 150,
          'batch-size': 8,
          backend: 'wasm',
          'log-every': 10,
          'snapshot-every': 0,
          'checkpoint-every': 10,
        },
      },
      grids: [{ name: 'gp', axes: [{ flag: 'lr', values: [1e-4, 2e-4, 4e-4] }] }],
      seeds: [1, 2],
    });
    specPath = join(tmp, 'tiny.json');
    await writeFile(specPath, JSON.stringify(spec));
  });

  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await redis?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('refuses a bad spec before anything is queued, naming the field', async () => {
    const bad = join(tmp, 'bad.json');
    await writeFile(bad, JSON.stringify({ ...spec, grids: [{ name: 'gp', axes: [{ flag: 'lr', values: [] }] }] }));
    const r = await cli(['submit', bad, '--redis', redis.url, '--queue', QUEUE], join(tmp, 'dist'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/grids\.0\.axes\.0\.values/);
    const queue = new Queue(QUEUE, { connection: connectionFor(redis.url) });
    const counts = await queue.getJobCounts();
    await queue.close();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('a duplicate submit adds nothing', async () => {
    const first = await submitStudy(spec, connectionFor(redis.url), QUEUE);
    const second = await submitStudy(spec, connectionFor(redis.url), QUEUE);
    expect(first).toMatchObject({ runs: 6, alreadyQueued: 0 });
    expect(second).toMatchObject({ runs: 6, alreadyQueued: 6 });
    const queue = new Queue(QUEUE, { connection: connectionFor(redis.url) });
    const counts = await queue.getJobCounts();
    await queue.close();
    // six runs waiting, the report job waiting for its children
    expect(counts.waiting + counts.prioritized).toBe(6);
    expect(counts['waiting-children']).toBe(1);
  });

  it('finishes every run exactly once through a SIGKILLed worker and a Redis restart, as the local executor does', async () => {
    const root = join(tmp, 'dist');
    const a = startCliWorker(root);
    const b = startCliWorker(root);
    const plans = expandRuns(spec);
    // kill the worker whose run has a checkpoint past 0 but no manifest yet: mid-training
    let victim: { worker: WorkerProc; run: string } | null = null;
    await until('a run in the middle of training', 240_000, async () => {
      for (const w of [a, b]) {
        const started = w.log
          .map((l) => /run (r-[0-9a-f]+) \(/.exec(l)?.[1])
          .filter(Boolean)
          .at(-1);
        if (!started) continue;
        const runDir = join(root, 'runs', started);
        const latest = join(runDir, 'checkpoints', 'latest');
        if (!existsSync(latest) || existsSync(join(runDir, 'manifest.json'))) continue;
        if (Number((await readFile(latest, 'utf8').catch(() => '0')).trim()) >= 20) {
          victim = { worker: w, run: started };
          return true;
        }
      }
      return false;
    });
    victim!.worker.child.kill('SIGKILL');
    // the run's train process goes with its worker (the parent-watch preload): no orphan writes the run
    const trainPid = Number(
      victim!.worker.log
        .map((l) => new RegExp(`run ${victim!.run} train pid (\\d+)`).exec(l)?.[1])
        .filter(Boolean)
        .at(-1),
    );
    expect(trainPid).toBeGreaterThan(0);
    await until("the killed worker's train process to exit", 10_000, () => !running(trainPid));
    const replacement = startCliWorker(root);
    // Redis goes away and comes back while the surviving workers hold jobs
    await new Promise((r) => setTimeout(r, 1500));
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();

    const reportPath = join(root, 'studies', 'tiny', 'report', 'report.json');
    await until('the study report', 150_000, () => existsSync(reportPath));
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as StudyReport;
    expect(report.counts).toEqual({ runs: 6, done: 6, failed: 0, missing: 0 });

    // exactly once: every run started training once; the killed one resumed once, from a checkpoint
    for (const p of plans) {
      const log = (await readFile(join(root, 'runs', p.name, 'train.log.jsonl'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string; iteration?: number });
      expect(
        log.filter((l) => l.msg === 'starting'),
        p.name,
      ).toHaveLength(1);
      const resumed = log.filter((l) => l.msg === 'resuming');
      if (p.name === victim!.run) {
        expect(resumed).toHaveLength(1);
        expect(resumed[0].iteration).toBeGreaterThanOrEqual(10);
      } else expect(resumed).toHaveLength(0);
    }
    const byRun = new Map(report.runs.map((r) => [r.run, r]));
    expect((byRun.get(victim!.run) as { trained: string }).trained).toBe('resumed');
    expect(a.log.concat(b.log, replacement.log).join('\n')).not.toMatch(/internal error/);

    // the local executor on another artifacts root: the same runs, the same final weights
    const local = await runLocal(spec, {
      root: join(tmp, 'local'),
      evaluate: false,
      concurrency: 2,
      progress: false,
      log: () => {},
    });
    expect(local.map((r) => r.status)).toEqual(plans.map(() => 'done'));
    for (const r of local) {
      const remote = byRun.get(r.run) as { weights: unknown };
      expect(r.weights).not.toBeNull();
      expect(remote.weights, r.run).toEqual(r.weights);
    }
  }, 600_000);
});
