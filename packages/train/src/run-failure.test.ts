import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { train } from './loop.js';
import { makeTinyData, tinyConfig } from './testing.js';

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
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write', path: join(runDir, 'snapshots') });
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
    const e = await train(tinyConfig(data, { name: 'full-disk' }), { logger: silentLogger(), progress: false }).catch((err: unknown) => err);
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
