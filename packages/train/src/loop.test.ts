import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError, readArtifact, Rng, sha256File, silentLogger } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import { resolveTrainConfig } from './config.js';
import { e3ModelSize } from './diagnostics.js';
import { modelSpecs } from './factory.js';
import { seed001Critic, seed001Generator } from './models/architectures.js';
import { Network } from './models/network.js';
import { drawIterationInputs, BatchSampler } from './sampling.js';
import { train } from './loop.js';
import { TfjsAutodiffTrainer } from './trainers/tfjs-autodiff/trainer.js';
import { makeTinyData, tinyConfig, tinySettings } from './testing/index.js';
import { listCheckpoints, readCheckpoint, resolveCheckpoint } from './checkpoint.js';

let root: string;
let data: string;
const quiet = silentLogger();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'train-'));
  process.env.WGAN_ARTIFACTS = root;
  data = await makeTinyData(root);
  await initBackend('wasm');
});
afterAll(async () => {
  delete process.env.WGAN_ARTIFACTS;
  await rm(root, { recursive: true, force: true });
});

describe('E3 on the seed-001 architecture', () => {
  it('equals the analytic parameter counts', () => {
    const nG = 100 * 256 + 256 + 256 * 512 + 512 + 512 * 1024 + 1024 + 1024 * 784 + 784;
    const nD = 784 * 512 + 512 + 512 * 256 + 256 + 256 * 1 + 1;
    const e3 = e3ModelSize(seed001Generator(100), seed001Critic());
    expect(e3).toEqual({ nG, nD, ratio: nG / nD, sizeMb: (4 * (nG + nD)) / 1e6 });
    expect([nG, nD]).toEqual([1_486_352, 533_505]);
    expect(e3.sizeMb.toFixed(3)).toBe('8.079');
  });
});

describe('config validation', () => {
  it.each([
    [{ lambda: -1 }, 'lambda'],
    [{ latentDim: 0 }, 'latentDim'],
    [{ loss: 'hinge' }, 'loss'],
    [{ batchSize: 0 }, 'batchSize'],
    [{ optimizerD: { lr: 'fast' } }, 'optimizerD.lr'],
    [{ learningRate: 1 }, '(root)'],
  ])('rejects %j naming the key %s', (overrides, key) => {
    let err: unknown;
    try {
      resolveTrainConfig({ overrides });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).where).toBe(`flags: ${key}`);
  });

  it('takes RMSprop 5e-5 for clip runs and lets a flag change one optimiser field', () => {
    expect(resolveTrainConfig({ overrides: { loss: 'clip' } }).optimizerD).toEqual({
      type: 'rmsprop',
      lr: 5e-5,
      alpha: 0.99,
      eps: 1e-8,
    });
    expect(resolveTrainConfig({ overrides: { optimizerG: { lr: 1e-4 } } }).optimizerG).toEqual({
      type: 'adam',
      lr: 1e-4,
      beta1: 0,
      beta2: 0.9,
      eps: 1e-8,
    });
    expect(resolveTrainConfig({}).optimizerD).toEqual({ type: 'adam', lr: 2e-4, beta1: 0, beta2: 0.9, eps: 1e-8 });
  });
});

describe('memory', () => {
  it('keeps tf.memory().numTensors flat: the same after 1,000 iterations as after 10', async () => {
    const config = tinyConfig(data);
    const specs = modelSpecs(config);
    const rng = Rng.fromSeed(1);
    const generator = Network.create(specs.generator, rng);
    const critic = Network.create(specs.critic, rng);
    const images = rng.fillUniform(new Float32Array(64 * 784), -1, 1);
    const trainer = new TfjsAutodiffTrainer({
      generator,
      critic,
      images,
      imageCount: 64,
      loss: 'gp',
      lambda: 10,
      clipValue: 0.01,
      nCritic: 5,
      batchSize: 8,
      latentDim: 64,
      penalty: 'closed-form',
      optimizerG: config.optimizerG,
      optimizerD: config.optimizerD,
    });
    const sampler = new BatchSampler(64, 8, 1);
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) {
        trainer.iteration(drawIterationInputs(rng, sampler, config));
        if ((i + 1) % 10 === 0) await trainer.readStats();
      }
    };
    await run(10);
    const after10 = tf.memory().numTensors;
    await run(990);
    expect(tf.memory().numTensors).toBe(after10);
    trainer.dispose();
  }, 120_000);
});

describe('the training loop', () => {
  it('writes metrics, snapshots, checkpoints, stats, and a sealed run folder', async () => {
    const config = tinyConfig(data, { name: 'loop', iterations: 40, milestones: [0, 20] });
    const result = await train(config, { logger: quiet, progress: false });
    const dir = result.runDir;
    const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.iteration)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(lines[0]).toMatchObject({ epoch: 0, backend: 'wasm', clipFraction: null });
    expect(lines[39].epoch).toBe(Math.floor((39 * 5) / (128 / 8))); // 16 batches per epoch, 5 per iteration
    for (const l of lines) expect(l.wassersteinGap).toBeCloseTo(l.dReal - l.dFake, 5);
    expect(existsSync(join(dir, 'snapshots', 'iter-00000000.png'))).toBe(true);
    expect(existsSync(join(dir, 'snapshots', 'iter-00000020.f32'))).toBe(true);
    expect(existsSync(join(dir, 'snapshots', 'iter-00000040.f32'))).toBe(true);
    // the newest keepCheckpoints = 3 (20, 30, 40) and the milestones 0, 20 and final 40; 10 is pruned
    expect(await listCheckpoints(dir)).toEqual([0, 20, 30, 40]);
    const stats = JSON.parse(await readFile(join(dir, 'train-stats.json'), 'utf8'));
    expect(stats.E4.deltaD).toBeGreaterThan(0);
    expect(stats.epochs.length).toBe(12); // 40 iterations × 5 batches / 16 per epoch
    expect(stats.epochs[0].E6.samples).toBe(16);
    // the GAN's epoch-end figures come through the epochReporter hook, with the log line's summary
    expect(stats.epochs[0].summary).toEqual({
      E5_gap: stats.epochs[0].E5.wassersteinGap,
      E6_gbar: stats.epochs[0].E6.gradNormMean,
      E6_sg: stats.epochs[0].E6.gradNormStd,
      E6_gp: stats.epochs[0].E6.gp,
    });
    const sealed = await readArtifact(dir, { stage: 'train' });
    expect(sealed.manifest.files['metrics.jsonl']).toBeTruthy();
    const ckpt = await readCheckpoint(await resolveCheckpoint(dir));
    expect(ckpt.state.iteration).toBe(40);
    expect(ckpt.defaultedConfig).toEqual([]); // train's writer saves every key of its schema
    expect(ckpt.config).toEqual(config);
    expect(ckpt.trainer.criticOptimizer.step).toBe(200);
    expect(ckpt.trainer.generatorOptimizer.step).toBe(40);
  }, 120_000);

  it('stops on a NaN/Inf loss with an error naming the iteration, keeping the last good checkpoint', async () => {
    const huge = { type: 'adam', lr: 1e30, beta1: 0, beta2: 0.9, eps: 1e-8 };
    const config = tinyConfig(data, {
      name: 'diverge',
      iterations: 20,
      logEvery: 1,
      optimizerD: huge,
      optimizerG: huge,
    });
    const err = await train(config, { logger: quiet, progress: false }).catch((e) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect(err.message).toMatch(/training diverged at iteration \d+: lossD = (NaN|-?Infinity)/);
    expect(err.exitCode).toBe(1);
    const dir = join(root, 'runs', 'diverge');
    expect(await listCheckpoints(dir)).toEqual([0]);
    expect((await readFile(join(dir, 'checkpoints', 'latest'), 'utf8')).trim()).toBe('00000000');
    expect(existsSync(join(dir, 'manifest.json'))).toBe(false);
  }, 60_000);

  it('refuses to overwrite a run without --resume or --fresh', async () => {
    const config = tinyConfig(data, { name: 'loop2', iterations: 2 });
    await train(config, { logger: quiet, progress: false });
    await expect(train(config, { logger: quiet, progress: false })).rejects.toThrow(/already has checkpoints/);
  }, 60_000);
});

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));

describe('kill and resume', () => {
  function metricsWithoutTiming(text: string): string[] {
    return text
      .trim()
      .split('\n')
      .map((l) => {
        const { wallMs: _w, msPerIter: _m, ...rest } = JSON.parse(l);
        return JSON.stringify(rest);
      });
  }

  it('Ctrl-C (SIGINT) writes a checkpoint, exits 130, and the run resumes from it', async () => {
    const configFile = join(root, 'sigint.json');
    await writeFile(configFile, JSON.stringify(tinySettings(data, { iterations: 100000, checkpointEvery: 1000 })));
    const env = { ...process.env, WGAN_ARTIFACTS: root, CI: 'true' };
    const child = spawn(tsx, [cli, '--config', configFile, '--name', 'sigint', '--no-progress'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const dir = join(root, 'runs', 'sigint');
    const deadline = Date.now() + 60_000;
    // interrupt once some iterations are done (a logged record past iteration 0), however loaded the machine
    const trainedPastZero = async () => {
      if (!existsSync(join(dir, 'metrics.jsonl'))) return false;
      const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n').filter(Boolean);
      return lines.some((l) => /"iteration":[1-9]/.test(l)); // a line being written may be cut: no JSON.parse
    };
    while (Date.now() < deadline && !(await trainedPastZero())) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code, stderr).toBe(130);
    const stoppedAt = (await listCheckpoints(dir)).at(-1)!;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt % 1000).not.toBe(0); // an extra checkpoint, written because of the signal
    const metadata = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({ step: stoppedAt, completed: false });
    const resumed = spawnSync(
      tsx,
      [
        cli,
        '--config',
        configFile,
        '--name',
        'sigint',
        '--resume',
        '--iterations',
        String(stoppedAt + 3),
        '--no-progress',
      ],
      { env, encoding: 'utf8' },
    );
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(await listCheckpoints(dir)).toContain(stoppedAt + 3);
  }, 120_000);

  it.each(['onnx-cpu', 'tfjs-manual'])(
    '%s: a run killed with SIGKILL and resumed gives the same metrics and the same final weights as an unbroken run',
    async (implementation) => {
      const configFile = join(root, `kill-${implementation}.json`);
      const base = {
        implementation,
        data,
        latentDim: 64,
        generatorHidden: [8],
        criticHidden: [8],
        batchSize: 8,
        iterations: 60,
        backend: 'wasm',
        logEvery: 3,
        snapshotEvery: 0,
        checkpointEvery: 7,
        milestones: [0],
        diagnosticsSamples: 16,
        fixedSamples: 4,
      };
      await writeFile(configFile, JSON.stringify(base));
      const env = { ...process.env, WGAN_ARTIFACTS: root, CI: 'true' };
      const unbroken = spawnSync(
        tsx,
        [cli, '--config', configFile, '--name', `unbroken-${implementation}`, '--no-progress'],
        { env, encoding: 'utf8' },
      );
      expect(unbroken.status, unbroken.stderr).toBe(0);

      // kill once some checkpoints exist, mid-run
      const child = spawn(tsx, [cli, '--config', configFile, '--name', `killed-${implementation}`, '--no-progress'], {
        env,
        stdio: 'ignore',
        detached: true,
      });
      const killedDir = join(root, 'runs', `killed-${implementation}`);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && (await listCheckpoints(killedDir)).filter((i) => i > 0).length < 2)
        await new Promise((r) => setTimeout(r, 50));
      process.kill(-child.pid!, 'SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const reached = (await listCheckpoints(killedDir)).at(-1)!;
      expect(reached).toBeGreaterThan(0);
      expect(reached).toBeLessThan(60);

      const resumed = spawnSync(
        tsx,
        [cli, '--config', configFile, '--name', `killed-${implementation}`, '--resume', '--no-progress'],
        { env, encoding: 'utf8' },
      );
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain('resuming');

      expect(resumed.stderr).toContain(`implementation=${implementation}`);
      const a = metricsWithoutTiming(
        await readFile(join(root, 'runs', `unbroken-${implementation}`, 'metrics.jsonl'), 'utf8'),
      );
      const b = metricsWithoutTiming(await readFile(join(killedDir, 'metrics.jsonl'), 'utf8'));
      expect(b).toHaveLength(60);
      expect(b).toEqual(a);
      const final = (run: string, file: string) => sha256File(join(root, 'runs', run, 'checkpoints', '00000060', file));
      for (const file of [
        'generator.weights.bin',
        'critic.weights.bin',
        'optimizer-critic.weights.bin',
        'optimizer-generator.weights.bin',
      ]) {
        expect(await final(`killed-${implementation}`, file)).toBe(await final(`unbroken-${implementation}`, file));
      }
    },
    240_000,
  );
});
