import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError, readArtifact, silentLogger } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { readCheckpoint, resolveCheckpoint } from './checkpoint.js';
import { resolveTrainConfig } from './config.js';
import { train } from './loop.js';
import { makeTinyData, tinyConfig } from './testing/index.js';

/** `train --conditional` through the one loop: config and checkpoint records, resume, refusals. */
let root: string;
let data: string;
const quiet = silentLogger();
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'train-cond-'));
  process.env.WGAN_ARTIFACTS = root;
  data = await makeTinyData(root);
  await initBackend('wasm');
}, 120_000);
afterAll(async () => {
  delete process.env.WGAN_ARTIFACTS;
  await rm(root, { recursive: true, force: true });
});

const conditional = (name: string, overrides: Record<string, unknown> = {}) =>
  tinyConfig(data, { name, conditional: true, iterations: 12, checkpointEvery: 6, threads: 1, ...overrides });

describe('train --conditional', () => {
  it.each(['onnx-cpu', 'tfjs-manual', 'tfjs-autodiff'])(
    '%s: records conditional and K, widens both networks by K inputs, and a resumed run ends with the weights of an unbroken one',
    async (implementation) => {
      const unbroken = await train(conditional(`cond-${implementation}`, { implementation }), {
        logger: quiet,
        progress: false,
      });
      expect(unbroken.stopped).toBe(false);
      const ckpt = await readCheckpoint(await resolveCheckpoint(unbroken.runDir));
      expect(ckpt.config.conditional).toBe(true);
      expect(ckpt.config.classes).toBe(10);
      expect(ckpt.artifact.manifest.meta).toMatchObject({ conditional: true, classes: 10, latentDim: 64 });
      expect(ckpt.specs.generator.inputSize).toBe(64 + 10);
      expect(ckpt.specs.critic.inputSize).toBe(784 + 10);
      const run = await readArtifact(unbroken.runDir, { stage: 'train' });
      expect(run.manifest.config).toMatchObject({ conditional: true, classes: 10 });

      await train(conditional(`cond-resumed-${implementation}`, { implementation, iterations: 6 }), {
        logger: quiet,
        progress: false,
      });
      const resumed = await train(conditional(`cond-resumed-${implementation}`, { implementation }), {
        logger: quiet,
        progress: false,
        resume: true,
      });
      const after = await readCheckpoint(await resolveCheckpoint(resumed.runDir));
      expect(after.state.iteration).toBe(12);
      for (const net of ['generator', 'critic'] as const)
        for (const [name, values] of ckpt.trainer[net])
          expect(after.trainer[net].get(name), `${net} ${name}`).toEqual(values);
    },
    240_000,
  );

  it('an unconditional run keeps its networks and its stream: conditional defaults to false', () => {
    const config = tinyConfig(data);
    expect(config.conditional).toBe(false);
  });

  it('refuses the implementations and models that do not support it, naming the flag', async () => {
    const error = await train(conditional('cond-webgpu', { implementation: 'webgpu-fused' }), {
      logger: quiet,
      progress: false,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/--implementation webgpu-fused does not support --conditional/);
    expect(() => resolveTrainConfig({ overrides: { conditional: true, model: 'dcgan' } })).toThrow(
      /--conditional is implemented for the seed-001 WGAN MLP/,
    );
    const spawned = spawnSync('npx', ['tsx', cli, '--conditional', '--model', 'vae', '--dry-run'], {
      encoding: 'utf8',
      env: { ...process.env, WGAN_ARTIFACTS: root },
    });
    expect(spawned.status).toBe(2);
    expect(spawned.stderr).toMatch(/conditional/);
  }, 120_000);
});
