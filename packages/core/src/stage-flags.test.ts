import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError } from './errors.js';

/**
 * Every stage's user-given names and folders, each given every bad value: the function the stage's CLI
 * calls before it touches anything must refuse it with exit 2 and an error naming the flag, and a few
 * real CLIs (spawned) exit 2 leaving a sentinel artifacts root (a canary file and a fake run) as it was.
 * The stages are loaded by path, so core does not depend on them.
 */
const packages = fileURLToPath(new URL('../../', import.meta.url));
const load = (file: string): Promise<Record<string, (...args: never[]) => unknown>> => import(join(packages, file));
const tsx = join(packages, '..', 'node_modules', '.bin', 'tsx');

/** Bad names: each must be refused. */
const BAD_NAMES = ['', '.', '..', '../x', 'a/b', '/abs'];
/** Bad folder paths: each leaves the artifacts root or is the root itself ('a/b' is a folder inside it, so fine). */
const BAD_PATHS = ['', '.', '..', '../x', '/abs', 'artifacts/..'];

let root: string;
const previous = process.env.WGAN_ARTIFACTS;

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out[`${p.slice(dir.length)}/`] = '';
        walk(p);
      } else out[p.slice(dir.length)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'stage-flags-'));
  process.env.WGAN_ARTIFACTS = join(root, 'artifacts');
  mkdirSync(join(root, 'artifacts', 'runs', 'default', 'checkpoints'), { recursive: true });
  writeFileSync(join(root, 'artifacts', 'runs', 'default', 'metrics.jsonl'), '{"iteration":1}\n');
  writeFileSync(join(root, 'artifacts', 'runs', 'default', 'checkpoints', 'latest'), '00000001\n');
  writeFileSync(join(root, 'artifacts', 'canary.txt'), 'canary');
  writeFileSync(join(root, 'outside.txt'), 'outside');
});
afterAll(() => {
  if (previous === undefined) delete process.env.WGAN_ARTIFACTS;
  else process.env.WGAN_ARTIFACTS = previous;
  rmSync(root, { recursive: true, force: true });
});

interface Check {
  stage: string;
  flag: string;
  kind: 'name' | 'path';
  /** Calls the stage's resolution with the value in the flag's place. */
  call: (value: string) => Promise<unknown> | unknown;
}

async function checks(): Promise<Check[]> {
  const train = await load('train/src/config.ts');
  const exp = await load('export/src/config.ts');
  const dataPrep = await load('data-prep/src/prepare.ts');
  const dataPrepConfig = await load('data-prep/src/config.ts');
  const evaluate = await load('evaluate/src/paths.ts');
  const evaluateRun = await load('evaluate/src/evaluate-run.ts');
  const classifier = await load('evaluate/src/classifier.ts');
  const compare = await load('evaluate/src/compare.ts');
  const render = await load('render/src/render-run.ts');
  const renderConfig = await load('render/src/config.ts');
  const serve = await load('serve/src/model.ts');
  type Schema = { parse: (v: unknown) => unknown };
  const parse = (schema: unknown, value: Record<string, unknown>) => (schema as Schema).parse(value);
  const evalConfig = (o: Record<string, unknown>) => parse(evaluateRun.evaluateSchema, o);
  const c = (stage: string, flag: string, kind: Check['kind'], call: Check['call']): Check => ({
    stage,
    flag,
    kind,
    call,
  });
  const f = <T>(fn: unknown) => fn as (...a: unknown[]) => T;
  return [
    c('data-prep', '--out', 'path', (v) =>
      f(dataPrep.dataPrepOut)(parse(dataPrepConfig.dataPrepSchema, { out: v }), true),
    ),
    c('train', '--name', 'name', (v) => f(train.resolveTrainConfig)({ overrides: { name: v } })),
    c('train', '--data', 'path', (v) => f(train.resolveTrainConfig)({ overrides: { data: v } })),
    c('export', '--run', 'name', (v) => f(exp.exportPaths)({ run: v }, { strict: true })),
    c('export', '--run-dir', 'path', (v) => f(exp.exportPaths)({ run: 'default', runDir: v }, { strict: true })),
    c('export', '--out', 'path', (v) => f(exp.exportPaths)({ run: 'default', out: v }, { strict: true })),
    c('evaluate', '--run', 'name', (v) => f(evaluate.evaluatePaths)(evalConfig({ run: v }))),
    c('evaluate', '--compare', 'name', (v) => f(evaluate.evaluatePaths)(evalConfig({ compare: [v] }))),
    c('evaluate', '--run-dir', 'path', (v) => f(evaluate.evaluatePaths)(evalConfig({ runDir: v }))),
    c('evaluate', '--data', 'path', (v) => f(evaluate.evaluatePaths)(evalConfig({ data: v }))),
    c('evaluate', '--classifier', 'path', (v) => f(evaluate.evaluatePaths)(evalConfig({ classifier: v }))),
    c('evaluate', '--out', 'path', (v) => f(evaluate.evaluatePaths)(evalConfig({ out: v }))),
    c('evaluate classifier', '--dataset', 'name', (v) => f(evaluate.datasetData)(v)),
    c('evaluate classifier', '--data', 'path', (v) =>
      f(evaluate.classifierPaths)(parse(classifier.classifierSchema, { data: v })),
    ),
    c('evaluate classifier', '--out', 'path', (v) =>
      f(evaluate.classifierPaths)(parse(classifier.classifierSchema, { out: v })),
    ),
    c('evaluate compare', '--runs', 'name', (v) =>
      f(evaluate.comparePaths)(parse(compare.compareSchema, { runs: ['a', v] })),
    ),
    c('evaluate compare', '--name', 'name', (v) =>
      f(evaluate.comparePaths)(parse(compare.compareSchema, { runs: ['a'], name: v })),
    ),
    c('evaluate compare', '--out', 'path', (v) =>
      f(evaluate.comparePaths)(parse(compare.compareSchema, { runs: ['a'], out: v })),
    ),
    c('render', '--run', 'name', (v) =>
      f(render.planRender)(parse(renderConfig.renderSchema, { run: v }), { strict: true }),
    ),
    c('render', '--run-dir', 'path', (v) =>
      f(render.planRender)(parse(renderConfig.renderSchema, { runDir: v }), { strict: true }),
    ),
    c('render', '--eval-dir', 'path', (v) =>
      f(render.planRender)(parse(renderConfig.renderSchema, { evalDir: v }), { strict: true }),
    ),
    c('render', '--out', 'path', (v) =>
      f(render.planRender)(parse(renderConfig.renderSchema, { out: v }), { strict: true }),
    ),
    c('serve', '--run', 'name', (v) => f(serve.resolveModelDir)({ run: v })),
    c('serve', '--model', 'path', (v) => f(serve.resolveModelDir)({ model: v })),
  ];
}

describe('every stage refuses names and folders that leave their folder', async () => {
  const all = await checks();
  const cases = all.flatMap((check) =>
    (check.kind === 'name' ? BAD_NAMES : BAD_PATHS).map((value) => [check.stage, check.flag, value, check] as const),
  );
  it.each(cases)('%s %s %j: exit 2 naming the flag', async (_stage, flag, value, check) => {
    const before = tree(root);
    let error: unknown;
    try {
      await check.call(value);
    } catch (e) {
      error = e;
    }
    expect(error, `${flag} ${JSON.stringify(value)} was accepted`).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).exitCode).toBe(2);
    expect((error as PipelineError).where).toBe(flag);
    expect(tree(root)).toEqual(before);
  });
});

/** Spawns a CLI under the sentinel root; resolves with its exit code and stderr. */
function cli(file: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(tsx, [join(packages, file), ...args], {
      env: { ...process.env, WGAN_ARTIFACTS: join(root, 'artifacts'), CI: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolveRun({ code, stderr }));
  });
}

describe('the CLIs themselves', () => {
  it('exit 2 naming the flag, without a stack, and leave the artifacts root as it was', async () => {
    const before = tree(root);
    const runs: [string, string[], string][] = [
      ['data-prep/src/cli.ts', ['--out', '..'], '--out'],
      ['export/src/cli.ts', ['--run', '..'], '--run'],
      ['evaluate/src/cli.ts', ['--run', '..'], '--run'],
      ['evaluate/src/cli.ts', ['compare', '--runs', 'default', '--out', '../x'], '--out'],
      ['render/src/cli.ts', ['--out', '/abs'], '--out'],
      ['serve/src/cli.ts', ['--run', '../x', '--dry-run'], '--run'],
      ['experiments/src/cli.ts', ['ring', '--out', '..', '--skip-grid'], '--out'],
      ['bench/src/cli.ts', ['--out', '../bench.json'], '--out'],
    ];
    // three at a time: each is a full tsx start-up (train's own test spawns `train --name .. --fresh`)
    const results: { code: number | null; stderr: string }[] = [];
    for (let k = 0; k < runs.length; k += 3)
      results.push(...(await Promise.all(runs.slice(k, k + 3).map(([file, args]) => cli(file, args)))));
    results.forEach((r, k) => {
      const [file, args, flag] = runs[k];
      expect(r.code, `${file} ${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`(${flag})`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
    expect(tree(root)).toEqual(before);
  }, 600_000);
});
