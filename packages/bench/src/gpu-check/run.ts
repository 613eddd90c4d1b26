/**
 * The GPU check, in one call on a lent GPU machine (after gpu-check.sh unpacked .gpu-carry/):
 *   node .gpu-carry/app.mjs gpu-check --out $OUT/gpu-check [--budget 540] [--dry-run]
 * Runs the plan's steps (plan.ts) one after another as child processes, each under its own time limit
 * (cut to what is left of --budget; a step past it is killed with its process group), then the long run
 * when the short run's ms/iteration says it fits. Everything lands in --out as JSON: one file per step
 * (its own results), <step>.log (its output, capped), and summary.json.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import {
  LONG_RUN,
  LONG_RUN_NAME,
  SHORT_RUN_NAME,
  decideLongRun,
  fusedVsTorch,
  planSteps,
  stepLimit,
  trainArgs,
  type Size,
  type Step,
} from './plan.js';

const opts = new Command('gpu-check')
  .description('Adapter, kernel tests, bench against PyTorch, a scored short run and a timed long run, as JSON.')
  .requiredOption('--out <dir>', 'output folder for the JSON results and logs (a few MB at most)')
  .option('--dry-run', 'tiny sizes, PyTorch on the CPU when present: the check of this script on a software adapter')
  .option('--budget <s>', 'seconds for the whole check', '540')
  .option('--work <dir>', 'artifacts root for the runs (not copied to --out)', '/tmp/gpu-check-artifacts')
  .option('--carry <dir>', 'the folder pack.sh filled', '.gpu-carry')
  .option('--python <bin>', 'python with torch', 'python3')
  .option('--skip <ids>', 'comma-separated step ids not to run', '')
  .parse()
  .opts<{ out: string; dryRun?: boolean; budget: string; work: string; carry: string; python: string; skip: string }>();

const started = Date.now();
const budgetS = Number(opts.budget);
if (!Number.isFinite(budgetS) || budgetS <= 0) {
  process.stderr.write(`gpu-check: --budget needs a positive number of seconds, got "${opts.budget}"\n`);
  process.exit(2);
}
const remainingS = () => budgetS - (Date.now() - started) / 1000;
const size: Size = opts.dryRun ? 'tiny' : 'full';
const out = resolve(opts.out);
mkdirSync(out, { recursive: true });
mkdirSync(join(out, 'torch'), { recursive: true });
const carry = resolve(opts.carry);
const paths = {
  node: process.execPath,
  app: resolve(process.argv[1]),
  python: opts.python,
  anchor: join(carry, 'anchors', 'torch_wgan_gp.py'),
  mnist: join(carry, 'mnist'),
  out,
  work: resolve(opts.work),
};
const env = { ...process.env, WGAN_ARTIFACTS: resolve(opts.work), CI: 'true' };
const skip = new Set(
  opts.skip
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const LOG_CAP = 256 * 1024;

interface StepResult {
  id: string;
  what: string;
  command: string;
  status: 'passed' | 'failed' | 'timeout' | 'skipped';
  exitCode: number | null;
  seconds: number;
  limitS: number;
  reason?: string;
  result?: unknown;
}

/** Runs a command in its own process group; kills the group at the limit. Output → log file (capped) and stdout. */
function runCommand(
  id: string,
  command: string[],
  limitS: number,
): Promise<{ code: number | null; timedOut: boolean }> {
  const log: WriteStream = createWriteStream(join(out, `${id}.log`));
  let written = 0;
  const sink = (chunk: Buffer) => {
    process.stdout.write(chunk);
    if (written < LOG_CAP) log.write(chunk.subarray(0, LOG_CAP - written));
    written += chunk.length;
  };
  return new Promise((done) => {
    const child = spawn(command[0], command.slice(1), { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), 5000).unref();
    }, limitS * 1000);
    child.stdout.on('data', sink);
    child.stderr.on('data', sink);
    child.on('error', (e) => sink(Buffer.from(`gpu-check: cannot start ${command[0]}: ${e.message}\n`)));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (written > LOG_CAP) log.write(`\n[log cut at ${LOG_CAP} bytes of ${written}]\n`);
      log.end(() => done({ code, timedOut }));
    });
  });
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

async function runStep(step: Step, results: StepResult[]): Promise<StepResult> {
  const base = { id: step.id, what: step.what, command: step.command.join(' '), exitCode: null, seconds: 0 };
  const limitS = stepLimit(step.limitS, remainingS() - 5);
  const skipped = (reason: string): StepResult => ({ ...base, status: 'skipped', limitS, reason });
  if (skip.has(step.id)) return skipped('--skip');
  const missing = (step.after ?? []).filter((id) => results.find((r) => r.id === id)?.status !== 'passed');
  if (missing.length) return skipped(`${missing.join(', ')} did not pass`);
  if (limitS < 5) return skipped(`budget spent (${remainingS().toFixed(0)} s left)`);
  if (step.needsTorch) {
    const probe = await runCommand(
      `${step.id}-torch-probe`,
      [opts.python, '-c', 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'],
      30,
    );
    if (probe.code !== 0) {
      const result: StepResult = {
        ...base,
        status: size === 'tiny' ? 'skipped' : 'failed',
        limitS,
        reason: `no PyTorch in ${opts.python}`,
      };
      return result;
    }
  }
  process.stdout.write(`\n=== gpu-check ${step.id} (limit ${limitS} s): ${step.what}\n$ ${base.command}\n`);
  const t0 = Date.now();
  const { code, timedOut } = await runCommand(step.id, step.command, limitS);
  const seconds = Number(((Date.now() - t0) / 1000).toFixed(1));
  const status = timedOut ? 'timeout' : code === 0 ? 'passed' : 'failed';
  const result = step.json ? readJson(join(out, step.json)) : undefined;
  process.stdout.write(`=== gpu-check ${step.id}: ${status} in ${seconds} s\n`);
  return { ...base, status, exitCode: code, seconds, limitS, ...(result === undefined ? {} : { result }) };
}

/** The run's manifest meta (ms/iteration, device) and its train-stats.json, copied into --out. */
function collectRun(name: string, file: string): { msPerIter: number | null; meta: unknown } {
  const runDir = join(env.WGAN_ARTIFACTS, 'runs', name);
  const manifest = readJson(join(runDir, 'manifest.json')) as { meta?: { msPerIter?: number } } | undefined;
  const stats = readJson(join(runDir, 'train-stats.json'));
  writeFileSync(join(out, file), `${JSON.stringify({ run: name, meta: manifest?.meta ?? null, stats }, null, 2)}\n`);
  return { msPerIter: manifest?.meta?.msPerIter ?? null, meta: manifest?.meta ?? null };
}

function collectEvaluation(name: string, file: string): unknown {
  const report = readJson(join(env.WGAN_ARTIFACTS, 'eval', name, 'report.json'));
  if (report !== undefined) writeFileSync(join(out, file), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

const results: StepResult[] = [];
for (const step of planSteps(size, paths)) {
  const r = await runStep(step, results);
  if (r.status !== 'passed' && r.reason) process.stdout.write(`=== gpu-check ${step.id}: ${r.status} (${r.reason})\n`);
  if (step.id === 'train-short' && r.status === 'passed')
    r.result = collectRun(SHORT_RUN_NAME, 'train-short.json').meta;
  if (step.id === 'evaluate-short' && r.status === 'passed')
    r.result = collectEvaluation(SHORT_RUN_NAME, 'evaluate-short.json');
  results.push(r);
}

const short = results.find((r) => r.id === 'train-short');
const shortMs =
  short?.status === 'passed' ? ((short.result as { msPerIter?: number } | null)?.msPerIter ?? null) : null;
const long = decideLongRun(shortMs, remainingS(), LONG_RUN[size]);
process.stdout.write(`\n=== gpu-check train-long: ${long.run ? 'runs' : 'not run'}: ${long.reason}\n`);
if (long.run && !skip.has('train-long')) {
  const step: Step = {
    id: 'train-long',
    what: `${long.iterations} fused iterations, timed`,
    limitS: long.limitS,
    command: [paths.node, paths.app, ...trainArgs(size, LONG_RUN_NAME, long.iterations, paths.work)],
  };
  const r = await runStep(step, results);
  if (r.status === 'passed') r.result = collectRun(LONG_RUN_NAME, 'train-long.json').meta;
  results.push({ ...r, reason: long.reason });
} else {
  results.push({
    id: 'train-long',
    what: `${long.iterations} fused iterations, timed`,
    command: '',
    status: 'skipped',
    exitCode: null,
    seconds: 0,
    limitS: 0,
    reason: skip.has('train-long') ? '--skip' : long.reason,
  });
}

const failed = results.filter((r) => r.status === 'failed' || r.status === 'timeout');
const summary = {
  size,
  budgetS,
  seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
  node: process.version,
  carry: existsSync(carry) ? carry : null,
  passed: failed.length === 0,
  /** ms per generator iteration, fused WebGPU / PyTorch (≤ 1 means the fused trainer is faster). */
  fusedVsTorch: fusedVsTorch(
    results.find((r) => r.id === 'bench-fused')?.result,
    results.find((r) => r.id === 'bench-torch')?.result,
  ),
  steps: results,
};
writeFileSync(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`\n=== gpu-check ${summary.passed ? 'passed' : 'FAILED'} in ${summary.seconds} s (${size}):\n`);
for (const r of results)
  process.stdout.write(
    `  ${r.id.padEnd(15)} ${r.status.padEnd(8)} ${String(r.seconds).padStart(6)} s${r.reason ? `  ${r.reason}` : ''}\n`,
  );
if (summary.fusedVsTorch)
  process.stdout.write(
    `  fused ${summary.fusedVsTorch.fusedMs.toFixed(2)} ms vs torch ` +
      `${summary.fusedVsTorch.torchMs.toFixed(2)} ms per iteration: ratio ${summary.fusedVsTorch.ratio}\n`,
  );
process.stdout.write(`results: ${join(out, 'summary.json')}\n`);
process.exitCode = summary.passed ? 0 : 1;
