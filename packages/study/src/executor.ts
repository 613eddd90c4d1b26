import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  acquireArtifactLock,
  folderInside,
  isPipelineError,
  PipelineError,
  workspaceRoot,
  writeArtifact,
  writeFileAtomic,
} from '@wgan/core';
import { canonicalJson, flagArgs, sha256Hex, trainArgs, type EvaluateSettings, type RunPlan } from './spec.js';

/**
 * One job = one run: ensure the run is trained (skipped when a sealed run with the same config is there,
 * `--resume` from its latest checkpoint when one is, fresh otherwise; train decides the last two from the
 * folder), then evaluate its final checkpoint, then read the numbers back from the artifacts. Every stage
 * is its CLI in a child process. The job is idempotent: running it twice, or after a kill, gives the same
 * run, which is what BullMQ's at-least-once delivery needs.
 */

/** The preload that makes a stage CLI exit when the process that spawned it is gone (a killed worker). */
const PARENT_WATCH = join(dirname(fileURLToPath(import.meta.url)), 'parent-watch.mjs');

export interface StageCommand {
  /** Executable and leading arguments; the stage's own arguments follow. */
  command: string;
  args: string[];
}

/** `node --import tsx --import parent-watch.mjs packages/<stage>/src/cli.ts`. */
export function stageCli(stage: 'train' | 'evaluate' | 'experiments'): StageCommand {
  const cli = join(workspaceRoot(), 'packages', stage, 'src', 'cli.ts');
  return { command: process.execPath, args: ['--import', 'tsx', '--import', PARENT_WATCH, cli] };
}

/**
 * The PyTorch anchor's trainer: `packages/evaluate/bench/anchor_crosscheck.py` under $WGAN_PYTHON, else
 * Debian's /usr/bin/python3 (where python3-torch is installed; a python3 earlier on PATH may lack torch).
 */
export function anchorCli(): StageCommand {
  const script = join(workspaceRoot(), 'packages', 'evaluate', 'bench', 'anchor_crosscheck.py');
  const python = process.env.WGAN_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  return { command: python, args: [script] };
}

export interface RunPaths {
  root: string;
  run: string;
  config: string;
  eval: string;
  result: string;
}

/** Where a run's pieces live under the artifacts root. */
export function runPaths(root: string, plan: RunPlan, evaluate: EvaluateSettings | false): RunPaths {
  const evalTag = evaluate ? sha256Hex(canonicalJson(evaluate)).slice(0, 8) : 'none';
  return {
    root,
    run: folderInside(root, 'run name', 'runs', plan.name),
    config: join(folderInside(root, 'study name', 'studies', plan.study), 'configs', `${plan.name}.json`),
    eval: folderInside(root, 'run name', 'eval', `${plan.name}-e${evalTag}`),
    result: join(folderInside(root, 'study name', 'studies', plan.study), 'results', `${plan.name}.json`),
  };
}

export interface RunMetrics {
  inceptionScore: number | null;
  frechet: number | null;
  /** E10 held-out pair accuracy. */
  e10: number | null;
  /** Ŵ₁: E5's mean D(x_test) − mean D(G(z)). */
  wasserstein: number | null;
  trainSeconds: number | null;
  /** Ring cells: mean |‖x‖ − 1| of the generated points (null when the generator diverged). */
  radialError?: number | null;
  /** Ring cells: share of the generated points within 0.3 of the ring. */
  nearRing?: number | null;
  /** Ring cells: share of the 36 angle bins holding generated points. */
  angularCoverage?: number | null;
  /** Ring cells: share of the angle bins holding a point within 0.3 of the ring. */
  ringCoverage?: number | null;
  /** Ring cells: 1 when the run finds the ring (the grid's success rule), else 0. */
  findsRing?: number | null;
}

export interface RunResult {
  run: string;
  study: string;
  grid: string;
  cell: string;
  seed: number;
  configHash: string;
  status: 'done' | 'failed';
  /** What this job did to the run: trained it, resumed it, or found it complete. */
  trained: 'fresh' | 'resumed' | 'skipped' | null;
  /** sha256 of the final generator and critic weights (the manifest's), equal for equal runs. */
  weights: { generator: string; critic: string } | null;
  metrics: RunMetrics;
  error?: string;
  attempts?: number;
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function deepEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Differences between what the plan asks for and the config a run folder's manifest records. */
export function configMismatches(plan: RunPlan, recorded: Record<string, unknown>): string[] {
  const out: string[] = [];
  const ws = workspaceRoot();
  if (plan.resolved.kind !== undefined) {
    // ring and anchor runs record the resolved config they were started with
    if (!deepEqual(recorded, plan.resolved))
      out.push(`config ${canonicalJson(recorded)} ≠ ${canonicalJson(plan.resolved)}`);
    return out;
  }
  for (const [key, value] of Object.entries(plan.resolved.config)) {
    if (key === 'name') continue;
    if (!deepEqual(recorded[key], value)) out.push(`${key}: ${canonicalJson(recorded[key])} ≠ ${canonicalJson(value)}`);
  }
  for (const [flag, value] of Object.entries(plan.resolved.flags)) {
    if (flag === 'lr' || flag === 'beta1' || flag === 'beta2') {
      for (const opt of ['optimizerG', 'optimizerD']) {
        const got = (recorded[opt] as Record<string, unknown> | undefined)?.[flag];
        if (got !== value) out.push(`${opt}.${flag}: ${String(got)} ≠ ${String(value)}`);
      }
      continue;
    }
    const key = camel(flag);
    const got = recorded[key];
    if (flag === 'data' && typeof got === 'string' && typeof value === 'string') {
      if (resolve(ws, got) !== resolve(ws, value)) out.push(`data: ${got} ≠ ${value}`);
      continue;
    }
    if (!deepEqual(got, value)) out.push(`${key}: ${canonicalJson(got)} ≠ ${canonicalJson(value)}`);
  }
  return out;
}

/** The stage of a finished run folder per cell kind (train's run, ring-cell's result, the study's anchor run). */
export const RUN_STAGES = { train: 'train', ring: 'experiments-ring-cell', anchor: 'study-anchor-run' } as const;

interface TrainManifest {
  stage: string;
  config: Record<string, unknown>;
  meta?: { elapsedMs?: number; iterations?: number };
  files: Record<string, string>;
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * The run's sealed manifest when the run is complete with this plan's config; null when it is not
 * complete; a PipelineError when a complete run of this name has another config.
 */
export async function completedRun(plan: RunPlan, runDir: string): Promise<TrainManifest | null> {
  const manifest = await readJson<TrainManifest>(join(runDir, 'manifest.json'));
  if (!manifest || manifest.stage !== RUN_STAGES[plan.kind ?? 'train']) return null;
  const recorded = plan.kind === 'ring' ? (manifest.meta as { record?: unknown } | undefined)?.record : manifest.config;
  const diff = configMismatches(plan, (recorded ?? {}) as Record<string, unknown>);
  if (diff.length) {
    throw new PipelineError(
      `run ${plan.name} exists with another config (${diff.slice(0, 3).join('; ')})`,
      runDir,
      'remove that run folder; run names are config hashes, so another writer changed it',
      1,
    );
  }
  return manifest;
}

export interface StageOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the stage printed (stdout and stderr). */
  tail: string;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  /** Called with the child's pid once it runs (the tests kill workers while their stage runs). */
  onSpawn?: (pid: number) => void;
  signal?: AbortSignal;
}

/** Runs a stage CLI to its end, keeping the last 4 KB of what it prints. */
export function runStage(cmd: StageCommand, args: string[], options: SpawnOptions): Promise<StageOutcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd.command, [...cmd.args, ...args], {
      cwd: workspaceRoot(),
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
    });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-4096);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('spawn', () => child.pid !== undefined && options.onSpawn?.(child.pid));
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, tail }));
  });
}

/** A stage that failed; `busy` when another writer holds the run (train's artifact lock, exit 2). */
export class StageFailure extends Error {
  constructor(
    readonly stage: string,
    readonly outcome: StageOutcome,
    readonly busy: boolean,
  ) {
    const last = outcome.tail.trim().split('\n').slice(-3).join(' | ');
    super(
      `${stage} exited with ${outcome.signal ?? outcome.code}${busy ? ' (another writer holds the run)' : ''}: ${last}`,
    );
    this.name = 'StageFailure';
  }
}

export interface JobOptions {
  root: string;
  evaluate: EvaluateSettings | false;
  train?: StageCommand;
  evaluateCli?: StageCommand;
  experimentsCli?: StageCommand;
  anchorCli?: StageCommand;
  onStage?: (stage: 'train' | 'evaluate' | 'ring' | 'anchor', pid: number) => void;
  signal?: AbortSignal;
}

function weightsOf(manifest: TrainManifest): RunResult['weights'] {
  const last = String(manifest.meta?.iterations ?? manifest.config.iterations).padStart(8, '0');
  const g = manifest.files[`checkpoints/${last}/generator.weights.bin`];
  const d = manifest.files[`checkpoints/${last}/critic.weights.bin`];
  return g && d ? { generator: g, critic: d } : null;
}

/** Delays (2 s each) a job waits for another job on its run before the wait counts as a failed attempt. */
export const MAX_BUSY_DELAYS = 300;

/** Another job (a second delivery of the same run) is on this run now; try again later. */
export class RunBusy extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunBusy';
  }
}

/**
 * Ensures the run, evaluates it, writes and returns its result (studies/<study>/results/<run>.json).
 * The job holds `study-jobs/.<run>.lock` throughout, so a second delivery of the same run (BullMQ is
 * at-least-once: a job whose lock lapsed while Redis was away is handed out again) waits instead of
 * training the run twice; a lock left by a dead process on this host is taken over.
 */
export async function runJob(plan: RunPlan, options: JobOptions): Promise<RunResult> {
  let lock;
  try {
    lock = acquireArtifactLock(folderInside(options.root, 'run name', 'study-jobs', plan.name), { stage: 'study job' });
  } catch (e) {
    if (isPipelineError(e) && /is being written by/.test(e.message)) throw new RunBusy(e.message);
    throw e;
  }
  try {
    return await runJobLocked(plan, options);
  } finally {
    lock.release();
  }
}

async function runJobLocked(plan: RunPlan, options: JobOptions): Promise<RunResult> {
  const kind = plan.kind ?? 'train';
  if (kind === 'ring') return runRingJob(plan, options);
  if (kind === 'anchor') return runAnchorJob(plan, options);
  return runTrainJob(plan, options);
}

/** Which run a result is about: its name, study, grid, cell, seed and config hash. */
function runIdentity(plan: RunPlan) {
  return {
    run: plan.name,
    study: plan.study,
    grid: plan.grid,
    cell: plan.cell,
    seed: plan.seed,
    configHash: plan.configHash,
  };
}

function resultOf(
  plan: RunPlan,
  trained: RunResult['trained'],
  weights: RunResult['weights'],
  metrics: RunMetrics,
): RunResult {
  return {
    ...runIdentity(plan),
    status: 'done',
    trained,
    weights,
    metrics,
  };
}

const NO_METRICS: RunMetrics = {
  inceptionScore: null,
  frechet: null,
  e10: null,
  wasserstein: null,
  trainSeconds: null,
};

interface RingCellFile {
  metrics: { meanRadialError: number | null; fractionNearRing: number; angularCoverage: number; ringCoverage: number };
  findsRing: boolean;
  seconds: number;
}

/**
 * A ring cell: `experiments ring-cell` writes runs/<run>/ (an artifact: result.json, manifest); a run
 * folder already there with the same config is read back instead. The config the study planned is kept in
 * the manifest's meta (`meta.record`), which is what a second delivery compares.
 */
async function runRingJob(plan: RunPlan, options: JobOptions): Promise<RunResult> {
  const paths = runPaths(options.root, plan, false);
  const env = { ...process.env, WGAN_ARTIFACTS: options.root };
  let trained: RunResult['trained'] = 'skipped';
  if (!(await completedRun(plan, paths.run))) {
    trained = 'fresh';
    const outcome = await runStage(
      options.experimentsCli ?? stageCli('experiments'),
      ['ring-cell', ...flagArgs(plan), '--out', paths.run, '--record', canonicalJson(plan.resolved)],
      { env, signal: options.signal, onSpawn: (pid) => options.onStage?.('ring', pid) },
    );
    if (outcome.code !== 0) throw new StageFailure('ring-cell', outcome, /is being written by/.test(outcome.tail));
    if (!(await completedRun(plan, paths.run)))
      throw new StageFailure('ring-cell', { ...outcome, tail: `${outcome.tail}\n(no manifest after exit 0)` }, false);
  }
  const cell = await readJson<RingCellFile>(join(paths.run, 'result.json'));
  if (!cell)
    throw new PipelineError('ring cell has no result.json', paths.run, 'remove the run folder and run again', 1);
  const m = cell.metrics;
  return finish(
    paths,
    resultOf(plan, trained, null, {
      ...NO_METRICS,
      trainSeconds: cell.seconds,
      radialError: m.meanRadialError,
      nearRing: m.fractionNearRing,
      angularCoverage: m.angularCoverage,
      ringCoverage: m.ringCoverage,
      findsRing: cell.findsRing ? 1 : 0,
    }),
  );
}

/**
 * An anchor cell: the PyTorch anchor trains into a temporary folder that becomes runs/<run>/ atomically
 * (a study artifact whose config is the run's resolved config), then the same evaluate as a train cell
 * scores it. The anchor has no resume: an interrupted anchor run starts over.
 */
async function runAnchorJob(plan: RunPlan, options: JobOptions): Promise<RunResult> {
  const paths = runPaths(options.root, plan, options.evaluate);
  const env = { ...process.env, WGAN_ARTIFACTS: options.root };
  let manifest = await completedRun(plan, paths.run);
  let trained: RunResult['trained'] = 'skipped';
  if (!manifest) {
    trained = 'fresh';
    await writeArtifact(
      paths.run,
      {
        stage: RUN_STAGES.anchor,
        packageVersion: '0.1.0',
        config: plan.resolved as unknown as Record<string, unknown>,
      },
      async (tmp) => {
        const args = ['train-run', '--run', tmp, '--checkpoints', '0', ...flagArgs(plan)];
        // torch.set_num_threads covers torch's pool; OpenBLAS and OpenMP get the same cap
        const threads = String(plan.resolved.flags.threads ?? 1);
        const outcome = await runStage(options.anchorCli ?? anchorCli(), args, {
          env: { ...env, OMP_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads },
          signal: options.signal,
          onSpawn: (pid) => options.onStage?.('anchor', pid),
        });
        if (outcome.code !== 0) throw new StageFailure('anchor', outcome, false);
        const last = outcome.tail.trim().split('\n').at(-1) ?? '';
        const summary = JSON.parse(last) as { iters: number; train_s: number; python?: string; torch?: string };
        // which interpreter and torch trained it: a python earlier on PATH may be another one
        return {
          iterations: summary.iters,
          elapsedMs: Math.round(summary.train_s * 1000),
          python: summary.python ?? (options.anchorCli ?? anchorCli()).command,
          torch: summary.torch ?? null,
        };
      },
    );
    manifest = await completedRun(plan, paths.run);
    if (!manifest)
      throw new PipelineError('anchor run has no manifest after it was written', paths.run, 'run again', 1);
  }
  const elapsedMs = manifest.meta?.elapsedMs;
  let metrics: RunMetrics = { ...NO_METRICS, trainSeconds: elapsedMs != null ? elapsedMs / 1000 : null };
  if (options.evaluate) metrics = { ...metrics, ...(await ensureEvaluation(plan, paths, options, env)) };
  return finish(paths, resultOf(plan, trained, null, metrics));
}

async function finish(paths: RunPaths, result: RunResult): Promise<RunResult> {
  await writeResult(paths.result, result);
  return result;
}

async function runTrainJob(plan: RunPlan, options: JobOptions): Promise<RunResult> {
  const paths = runPaths(options.root, plan, options.evaluate);
  const env = { ...process.env, WGAN_ARTIFACTS: options.root };
  let manifest = await completedRun(plan, paths.run);
  let trained: RunResult['trained'] = 'skipped';
  if (!manifest) {
    trained = existsSync(join(paths.run, 'checkpoints', 'latest')) ? 'resumed' : 'fresh';
    await mkdir(dirname(paths.config), { recursive: true });
    const config = plan.resolved.kind === undefined ? plan.resolved.config : {};
    await writeFileAtomic(paths.config, `${JSON.stringify(config, null, 2)}\n`);
    // --resume continues from the latest checkpoint when there is one and starts fresh otherwise
    const args = ['--config', paths.config, ...trainArgs(plan), '--resume', '--no-progress'];
    const outcome = await runStage(options.train ?? stageCli('train'), args, {
      env,
      signal: options.signal,
      onSpawn: (pid) => options.onStage?.('train', pid),
    });
    if (outcome.code !== 0)
      throw new StageFailure('train', outcome, outcome.code === 2 && /is being written by/.test(outcome.tail));
    manifest = await completedRun(plan, paths.run);
    if (!manifest) {
      throw new StageFailure(
        'train',
        { ...outcome, tail: `${outcome.tail}\n(no sealed manifest after train exited 0)` },
        false,
      );
    }
  }
  const elapsedMs = manifest.meta?.elapsedMs;
  let metrics: RunMetrics = {
    inceptionScore: null,
    frechet: null,
    e10: null,
    wasserstein: null,
    trainSeconds: elapsedMs != null ? elapsedMs / 1000 : null,
  };
  if (options.evaluate) metrics = { ...metrics, ...(await ensureEvaluation(plan, paths, options, env)) };
  const result = resultOf(plan, trained, weightsOf(manifest), metrics);
  await writeResult(paths.result, result);
  return result;
}

interface EvalReport {
  inceptionScore: { fake: number };
  frechet: { fakeVsTest: number };
  E5: { wassersteinGap: number } | null;
  E10: { accuracy: number } | null;
}

async function ensureEvaluation(
  plan: RunPlan,
  paths: RunPaths,
  options: JobOptions,
  env: NodeJS.ProcessEnv,
): Promise<Omit<RunMetrics, 'trainSeconds'>> {
  const settings = options.evaluate as EvaluateSettings;
  const reportPath = join(paths.eval, 'report.json');
  // an evaluation is an atomic artifact: a report.json there is a finished one
  if (!existsSync(join(paths.eval, 'manifest.json'))) {
    const args = [
      '--run',
      plan.name,
      '--checkpoint',
      'latest',
      '--classifier',
      settings.classifier,
      '--out',
      paths.eval,
    ];
    if (settings.samples !== undefined) args.push('--samples', String(settings.samples));
    if (settings.seed !== undefined) args.push('--seed', String(settings.seed));
    if (settings.backend !== undefined) args.push('--backend', settings.backend);
    const outcome = await runStage(options.evaluateCli ?? stageCli('evaluate'), args, {
      env,
      signal: options.signal,
      onSpawn: (pid) => options.onStage?.('evaluate', pid),
    });
    if (outcome.code !== 0) throw new StageFailure('evaluate', outcome, false);
  }
  const report = await readJson<EvalReport>(reportPath);
  if (!report) {
    throw new PipelineError(
      'evaluation has no report.json',
      reportPath,
      'remove the evaluation folder and run the job again',
      1,
    );
  }
  return {
    inceptionScore: report.inceptionScore.fake,
    frechet: report.frechet.fakeVsTest,
    e10: report.E10?.accuracy ?? null,
    wasserstein: report.E5?.wassersteinGap ?? null,
  };
}

export async function writeResult(path: string, result: RunResult): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(result, null, 2)}\n`);
}

/** The failed-run record a study reports when a run used up its attempts. */
export function failedResult(plan: RunPlan, error: unknown, attempts: number): RunResult {
  return {
    ...runIdentity(plan),
    status: 'failed',
    trained: null,
    weights: null,
    metrics: { inceptionScore: null, frechet: null, e10: null, wasserstein: null, trainSeconds: null },
    error: error instanceof Error ? error.message : String(error),
    attempts,
  };
}
