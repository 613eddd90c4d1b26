import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockPathFor, PipelineError, silentLogger, type Logger } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { resolveTrainConfig } from './config.js';
import { train } from './loop.js';
import { makeTinyData, tinyConfig, tinySettings } from './testing/index.js';

/**
 * Names that leave their folder, one writer per run, a batch larger than the dataset: each is refused
 * before the run folder (or anything else under the artifacts root) is touched.
 */
let root: string;
let data: string;
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));

/** Every file under `dir` with its content: what "nothing changed" compares. */
function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p.slice(dir.length)] = readFileSync(p, 'utf8').slice(0, 200);
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'train-safety-'));
  process.env.WGAN_ARTIFACTS = root;
  data = await makeTinyData(root);
  await mkdir(join(root, 'runs', 'kept'), { recursive: true });
  await writeFile(join(root, 'runs', 'kept', 'metrics.jsonl'), '{"iteration":1}\n');
  await writeFile(join(root, 'canary.txt'), 'canary');
  await initBackend('wasm');
});
afterAll(async () => {
  delete process.env.WGAN_ARTIFACTS;
  await rm(root, { recursive: true, force: true });
});

function recordingLogger(lines: string[]): Logger {
  const push = (m: string) => void lines.push(m);
  return { debug: push, info: push, warn: push, error: push } as unknown as Logger;
}

describe('names and paths', () => {
  it.each(['', '.', '..', '../x', 'a/b', '/abs'])('--name %j is refused naming --name', (name) => {
    const e = (() => {
      try {
        return resolveTrainConfig({ overrides: { name, data } });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(PipelineError);
    expect((e as PipelineError).where).toBe('--name');
  });
  it.each(['', '.', '..', '../x', '/abs', 'artifacts/../..'])('--data %j is refused naming --data', (path) => {
    expect(() => resolveTrainConfig({ overrides: { data: path } })).toThrow(
      expect.objectContaining({ where: '--data' }),
    );
  });
  it('the default data path follows WGAN_ARTIFACTS', () => {
    const config = resolveTrainConfig({});
    expect(config.data).toBe('data/mnist');
  });

  it('`train --name .. --fresh` exits 2 naming --name and leaves the artifacts root as it was', () => {
    const before = snapshotTree(root);
    const r = spawnSync(tsx, [cli, '--name', '..', '--fresh', '--data', data, '--no-progress'], {
      env: { ...process.env, WGAN_ARTIFACTS: root },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('(--name)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(snapshotTree(root)).toEqual(before);
  }, 60_000);
});

describe('batch size', () => {
  it('a batch larger than the dataset is exit 2 naming --batch-size and the limit, and leaves no run folder', async () => {
    const config = tinyConfig(data, { name: 'too-big', batchSize: 100_000 });
    const e = await train(config, { logger: silentLogger(), progress: false }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(PipelineError);
    expect((e as PipelineError).where).toBe('--batch-size');
    expect((e as PipelineError).exitCode).toBe(2);
    expect((e as PipelineError).hint).toContain('at most 128');
    expect(existsSync(join(root, 'runs', 'too-big'))).toBe(false);
    expect(existsSync(lockPathFor(join(root, 'runs', 'too-big')))).toBe(false);
  });
});

describe('one writer per run', () => {
  it('a stale lock of a dead process is taken over with a log line', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const runDir = join(root, 'runs', 'stale');
    await writeFile(
      lockPathFor(runDir),
      JSON.stringify({
        pid: dead,
        host: hostname(),
        stage: 'train',
        startedAt: '2026-01-01T00:00:00.000Z',
        command: 'train',
      }),
    );
    const lines: string[] = [];
    const result = await train(tinyConfig(data, { name: 'stale', iterations: 3 }), {
      logger: recordingLogger(lines),
      progress: false,
    });
    expect(result.iterations).toBe(3);
    expect(lines.some((l) => l.includes('taking over the lock') && l.includes(`pid ${dead}`))).toBe(true);
    expect(existsSync(lockPathFor(runDir))).toBe(false);
  }, 60_000);

  it(
    'a second train with the same --name (even --fresh) is refused ' +
      'with exit 2 naming the holder; the first goes on intact',
    async () => {
      const configFile = join(root, 'concurrent.json');
      await writeFile(configFile, JSON.stringify(tinySettings(data, { iterations: 100000, checkpointEvery: 1000 })));
      const env = { ...process.env, WGAN_ARTIFACTS: root, CI: 'true' };
      const first = spawn(tsx, [cli, '--config', configFile, '--name', 'shared', '--seed', '1', '--no-progress'], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let firstErr = '';
      first.stderr.on('data', (d) => (firstErr += d));
      const dir = join(root, 'runs', 'shared');
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && !existsSync(join(dir, 'metrics.jsonl')))
        await new Promise((r) => setTimeout(r, 50));
      const holder = JSON.parse(await readFile(lockPathFor(dir), 'utf8'));
      expect(holder.stage).toBe('train');
      for (const extra of [[], ['--fresh']]) {
        const second = spawnSync(
          tsx,
          [cli, '--config', configFile, '--name', 'shared', '--seed', '2', '--no-progress', ...extra],
          { env, encoding: 'utf8' },
        );
        expect(second.status, second.stderr).toBe(2);
        expect(second.stderr).toContain(`is being written by pid ${holder.pid} on ${hostname()} (train`);
        expect(second.stderr).toContain('(--name)');
        expect(existsSync(join(dir, 'checkpoints', 'latest'))).toBe(true);
      }
      first.kill('SIGINT');
      const code = await new Promise((r) => first.once('exit', r));
      expect(code, firstErr).toBe(130);
      const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).split('\n');
      expect(lines.pop()).toBe(''); // ends in a newline: no torn line
      const parsed = lines.map((l) => JSON.parse(l) as { iteration: number });
      expect(parsed.map((l) => l.iteration)).toEqual(parsed.map((_, i) => i + 1));
      expect(existsSync(lockPathFor(dir))).toBe(false);
    },
    120_000,
  );
});
