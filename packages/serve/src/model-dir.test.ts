import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError } from '@wgan/core';
import { resolveModelDir } from './model.js';

/** The model folder serve opens stays inside the artifacts root, whether named by --model, --run or `latest`. */
let root: string;
const previous = process.env.WGAN_ARTIFACTS;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'serve-dir-'));
  process.env.WGAN_ARTIFACTS = join(root, 'artifacts');
  await mkdir(join(root, 'artifacts', 'export', 'good', '00000020'), { recursive: true });
  await writeFile(join(root, 'artifacts', 'export', 'good', 'latest'), '00000020\n');
  await mkdir(join(root, 'artifacts', 'export', 'hostile'), { recursive: true });
  await writeFile(join(root, 'artifacts', 'export', 'hostile', 'latest'), '../../../../somewhere\n');
});
afterAll(async () => {
  if (previous === undefined) delete process.env.WGAN_ARTIFACTS;
  else process.env.WGAN_ARTIFACTS = previous;
  await rm(root, { recursive: true, force: true });
});

async function refusal(options: { model?: string; run?: string }): Promise<PipelineError> {
  const e = await resolveModelDir(options).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(PipelineError);
  return e as PipelineError;
}

describe('resolveModelDir', () => {
  it("follows a run's latest pointer to the export folder beside it", async () => {
    expect(await resolveModelDir({ run: 'good' })).toBe(join(root, 'artifacts', 'export', 'good', '00000020'));
    expect(await resolveModelDir({ model: 'artifacts/export/good/00000020' })).toBe(
      join(root, 'artifacts', 'export', 'good', '00000020'),
    );
  });
  it('refuses a latest pointer that leads out of its folder', async () => {
    const e = await refusal({ run: 'hostile' });
    expect(e.where).toBe(join(root, 'artifacts', 'export', 'hostile', 'latest'));
    expect(e.message).toContain('../../../../somewhere');
  });
  it.each(['', '.', '..', '../x', 'a/b', '/abs'])('refuses --run %j and --model %j naming the flag', async (bad) => {
    expect((await refusal({ run: bad })).where).toBe('--run');
    if (bad !== 'a/b') expect((await refusal({ model: bad })).where).toBe('--model');
  });
  it('refuses a --model folder outside the artifacts root', async () => {
    expect((await refusal({ model: join(root, 'elsewhere') })).where).toBe('--model');
  });
});
