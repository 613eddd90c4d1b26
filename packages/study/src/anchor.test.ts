import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArtifact } from '@wgan/core';
import { anchorCli, RUN_STAGES, runJob } from './executor.js';
import { expandRuns, parseStudySpec } from './spec.js';

/**
 * An anchor cell for real: the PyTorch anchor (python3-torch) trains a few iterations into the run
 * folder as one artifact, in train's checkpoint layout; a second job finds it complete. Skipped where
 * torch or the MNIST IDX files are missing.
 */
const MNIST_IDX = '/work/shared/datasets/mnist';
function torchMissing(): string | null {
  if (!existsSync(join(MNIST_IDX, 'train-images-idx3-ubyte.gz'))) return `no MNIST IDX files in ${MNIST_IDX}`;
  try {
    execFileSync(anchorCli().command, ['-c', 'import torch'], { stdio: 'ignore' });
    return null;
  } catch {
    return `${anchorCli().command} cannot import torch (apt-get install python3-torch)`;
  }
}
const missing = torchMissing();
if (missing) process.stderr.write(`anchor test skipped: ${missing}\n`);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'study-anchor-'));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe.skipIf(missing)('anchor cells', () => {
  it('train the PyTorch anchor into a sealed run in train’s layout, once', async () => {
    const spec = parseStudySpec({
      name: 'anchor-test',
      grids: [{ kind: 'anchor', name: 'anchor', flags: { iters: 2, threads: 1, data: MNIST_IDX } }],
      seeds: [5],
    });
    const [plan] = expandRuns(spec);
    const first = await runJob(plan, { root, evaluate: false });
    expect(first).toMatchObject({ status: 'done', trained: 'fresh', grid: 'anchor', seed: 5 });
    expect(first.metrics.trainSeconds).toBeGreaterThan(0);
    const runDir = join(root, 'runs', plan.name);
    const artifact = await readArtifact(runDir, { stage: RUN_STAGES.anchor });
    expect(artifact.manifest.config).toEqual(plan.resolved);
    expect(artifact.manifest.meta).toMatchObject({
      iterations: 2,
      python: expect.any(String),
      torch: expect.any(String),
    });
    expect((await readFile(join(runDir, 'checkpoints', 'latest'), 'utf8')).trim()).toBe('00000002');
    const ckpt = JSON.parse(await readFile(join(runDir, 'checkpoints', '00000002', 'manifest.json'), 'utf8'));
    expect(ckpt).toMatchObject({ stage: 'train-checkpoint', config: { seed: 5, loss: 'gp', iterations: 2 } });
    expect(Object.keys(artifact.manifest.files)).toContain('checkpoints/00000002/generator.weights.bin');

    const again = await runJob(plan, { root, evaluate: false });
    expect(again.trained).toBe('skipped');
    expect(again.metrics).toEqual(first.metrics);
  }, 300_000);
});
