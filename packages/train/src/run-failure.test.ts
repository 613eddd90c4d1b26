import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { train } from './loop.js';
import { makeTinyData, tinyConfig } from './testing/index.js';

/**
 * A full disk during a fresh run: the seam is the snapshot writer, which fails as a real write does
 * (an ErrnoException with code ENOSPC) at the given snapshot; nothing else is replaced.
 */
const failAt = { iteration: -1 };
vi.mock('./run-files.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./run-files.js')>();
  return {
    ...real,
    writeSnapshot: async (runDir: string, iteration: number, ...rest: unknown[]) => {
      if (iteration === failAt.iteration) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
          errno: -28,
          syscall: 'write',
          path: join(runDir, 'snapshots'),
        });
      }
      return (real.writeSnapshot as (...a: unknown[]) => Promise<unknown>)(runDir, iteration, ...rest);
    },
  };
});

let root: string;
let data: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'train-failure-'));
  process.env.WGAN_ARTIFACTS = root;
  data = await makeTinyData(root);
  await mkdir(join(root, 'runs', 'other'), { recursive: true });
  await writeFile(join(root, 'runs', 'other', 'metrics.jsonl'), 'kept\n');
  await initBackend('wasm');
});
afterAll(async () => {
  delete process.env.WGAN_ARTIFACTS;
  await rm(root, { recursive: true, force: true });
});

describe('a run that fails on a full disk', () => {
  it('before its first checkpoint: the ENOSPC error surfaces and no partial run folder is left', async () => {
    failAt.iteration = 0;
    const e = await train(tinyConfig(data, { name: 'full-disk' }), { logger: silentLogger(), progress: false }).catch(
      (err: unknown) => err,
    );
    expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(existsSync(join(root, 'runs', 'full-disk'))).toBe(false);
    expect(existsSync(join(root, 'runs', '.full-disk.lock'))).toBe(false);
    expect(await readFile(join(root, 'runs', 'other', 'metrics.jsonl'), 'utf8')).toBe('kept\n');
  }, 60_000);

  it('after a checkpoint: the run keeps its checkpoints, so it can be resumed', async () => {
    failAt.iteration = 20;
    const config = tinyConfig(data, { name: 'full-later', iterations: 30, snapshotEvery: 20 });
    const e = await train(config, { logger: silentLogger(), progress: false }).catch((err: unknown) => err);
    expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect((await readFile(join(root, 'runs', 'full-later', 'checkpoints', 'latest'), 'utf8')).trim()).toBe('00000010');
    failAt.iteration = -1;
    const resumed = await train(config, { logger: silentLogger(), progress: false, resume: true });
    expect(resumed.iterations).toBe(30);
  }, 60_000);
});

/** A real full disk: a 16 KiB tmpfs mounted on the runs folder (root only; skipped where mounting is not permitted). */
function mountTinyTmpfs(dir: string): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]).status === 0;
}

describe('a real full disk (tmpfs)', () => {
  const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
  const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
  it('train exits 1 naming the path and what to free, without a stack, and leaves no run folder', async (ctx) => {
    const artifacts = join(root, 'full');
    await mkdir(join(artifacts, 'runs'), { recursive: true });
    const tinyData = await makeTinyData(artifacts);
    if (!mountTinyTmpfs(join(artifacts, 'runs'))) ctx.skip();
    try {
      const args = [
        cli,
        '--name',
        'r',
        '--data',
        tinyData,
        '--latent-dim',
        '64',
        '--generator-hidden',
        '64',
        '--critic-hidden',
        '64',
        '--batch-size',
        '8',
        '--iterations',
        '20',
        '--backend',
        'wasm',
        '--no-progress',
      ];
      const r = spawnSync(tsx, args, {
        env: { ...process.env, WGAN_ARTIFACTS: artifacts, CI: 'true' },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/error: no space left on the device.* of .*runs\/r.*\(ENOSPC\)/);
      expect(r.stderr).toContain('fix: free disk space on the filesystem holding');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr).not.toContain('internal error');
      expect(readdirSync(join(artifacts, 'runs'))).toEqual([]);
    } finally {
      spawnSync('umount', [join(artifacts, 'runs')]);
    }
  }, 120_000);
});
