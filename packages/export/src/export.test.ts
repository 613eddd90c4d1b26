import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { isPipelineError, readArtifact, Rng, writeArtifact, silentLogger } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import {
  dcganDiscriminator,
  dcganGenerator,
  Network,
  readNetwork,
  seed001Critic,
  seed001Generator,
  train,
} from '@wgan/train';
import { makeTinyData, tinyConfig } from '@wgan/train/testing';
import { checkerUnavailable, checkOnnxModels } from './checker.js';
import { exportSchema } from './config.js';
import { exportCheckpoint, type ExportMeta } from './export.js';
import { compareWithReference, referenceForward } from './reference.js';
import { perturbBatchNorm, smallConvCritic, smallConvGenerator, writeTestCheckpoint } from './testing.js';

let root: string;
const previousArtifacts = process.env.WGAN_ARTIFACTS;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wgan-export-'));
  process.env.WGAN_ARTIFACTS = root;
  await writeTestCheckpoint(join(root, 'runs', 'default'), {
    iteration: 500,
    generator: seed001Generator(100),
    critic: seed001Critic(),
    seed: 1,
    latest: false,
  });
  await writeTestCheckpoint(join(root, 'runs', 'default'), {
    iteration: 1000,
    generator: seed001Generator(100),
    critic: seed001Critic(),
    seed: 2,
  });
  await writeTestCheckpoint(join(root, 'runs', 'conv'), {
    iteration: 20,
    generator: smallConvGenerator(16),
    critic: smallConvCritic(),
    seed: 3,
    perturb: perturbBatchNorm,
  });
  await writeTestCheckpoint(join(root, 'runs', 'dcgan'), {
    iteration: 30,
    generator: dcganGenerator(10),
    critic: dcganDiscriminator(),
    seed: 4,
    perturb: perturbBatchNorm,
    config: { model: 'dcgan', latentDim: 10, noise: 'uniform' },
  });
});

afterAll(async () => {
  if (previousArtifacts === undefined) delete process.env.WGAN_ARTIFACTS;
  else process.env.WGAN_ARTIFACTS = previousArtifacts;
  await rm(root, { recursive: true, force: true });
});

const config = (overrides: Record<string, unknown> = {}) => exportSchema.parse({ run: 'default', ...overrides });

describe('exportCheckpoint', () => {
  let meta: ExportMeta;
  let dir: string;

  beforeAll(async () => {
    const result = await exportCheckpoint(config({ critic: true }));
    meta = result.meta;
    dir = result.artifact.dir;
  }, 120_000); // two float64 evaluations of the 1.5M-parameter seed-001 pair on 256 samples

  it('writes artifacts/export/<run>/<checkpoint>/ with both models and points latest at it', async () => {
    expect(dir).toBe(join(root, 'export', 'default', '00001000'));
    const a = await readArtifact(dir, { stage: 'export' });
    expect(Object.keys(a.manifest.files).sort()).toEqual(['critic.onnx', 'generator.onnx']);
    expect((await readFile(join(root, 'export', 'default', 'latest'), 'utf8')).trim()).toBe('00001000');
  });

  it('records io shapes, opset, parity and the source checkpoint in the manifest', async () => {
    const ckpt = await readArtifact(join(root, 'runs', 'default', 'checkpoints', '00001000'));
    expect(meta).toMatchObject({
      run: 'default',
      checkpoint: '00001000',
      iteration: 1000,
      latentDim: 100,
      opset: 17,
      irVersion: 8,
    });
    expect(meta.models.generator).toMatchObject({
      file: 'generator.onnx',
      inputs: [{ name: 'z', dtype: 'float32', shape: ['N', 100] }],
      outputs: [{ name: 'image', dtype: 'float32', shape: ['N', 1, 28, 28], range: [-1, 1] }],
      opTypes: ['Gemm', 'LeakyRelu', 'Tanh', 'Reshape', 'Identity'],
    });
    expect(meta.models.critic).toMatchObject({
      inputs: [{ name: 'image', shape: ['N', 1, 28, 28] }],
      outputs: [{ name: 'score', shape: ['N', 1], range: null }],
    });
    const g = meta.models.generator.parity;
    // tfjs's cpu kernels by default
    const headline = {
      samples: 256,
      maxAbsError: g.maxAbsError,
      maxBound: g.maxBound,
      backend: 'cpu',
      reference: 'float64',
    };
    expect(meta.parity).toEqual(headline);
    expect(g).toMatchObject({ samples: 256, seed: 0, backend: 'cpu', reference: 'float64' });
    expect(g.maxAbsError).toBe(g.onnxruntime.maxAbsError);
    for (const m of [g, meta.models.critic!.parity]) {
      expect(m.onnxruntime.worstRatio).toBeLessThanOrEqual(1);
      expect(m.tfjs.worstRatio).toBeLessThanOrEqual(1);
      expect(m.onnxruntime.maxAbsError).toBeLessThanOrEqual(m.maxBound);
      expect(m.onnxruntime.maxRelError).toBeGreaterThan(0);
      expect(m.lambda).toBeGreaterThan(5);
    }
    expect(meta.source.checkpoint).toEqual({
      stage: 'train-checkpoint',
      path: 'runs/default/checkpoints/00001000',
      manifestSha256: ckpt.manifestSha256,
    });
    const e = (v: number) => v.toExponential(2);
    const c = meta.models.critic!.parity;
    console.log(
      `[export] generator |onnx − f64| ${e(meta.parity.maxAbsError)} (bound ${e(meta.parity.maxBound)}), ` +
        `critic ${e(c.maxAbsError)} (bound ${e(c.maxBound)}, max |score| ${c.maxAbsOutput.toFixed(3)})`,
    );
  });

  it('the written generator.onnx, in onnxruntime-node, is within the float32 bound of the float64 result', async () => {
    await initBackend('wasm', { quiet: true });
    const ckptDir = join(root, 'runs', 'default', 'checkpoints', '00001000');
    const { spec, values } = await readNetwork(ckptDir, 'generator');
    const net = Network.fromValues(spec, values);
    const z = Rng.fromSeed(99).fillNormal(new Float32Array(256 * 100)); // not the export's own parity seed
    const session = await ort.InferenceSession.create(join(dir, 'generator.onnx'));
    const out = (await session.run({ z: new ort.Tensor('float32', z, [256, 100]) })).image;
    expect(out.dims).toEqual([256, 1, 28, 28]);
    const ref = (await net.apply(tf.tensor2d(z, [256, 100])).data()) as Float32Array;
    const f64 = referenceForward(spec, values, z, 256);
    expect(compareWithReference(out.data as Float32Array, f64).worstRatio).toBeLessThanOrEqual(1);
    expect(compareWithReference(ref, f64).worstRatio).toBeLessThanOrEqual(1);
    const images = out.data as Float32Array;
    expect(images.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(images.some((v) => Math.abs(v) > 0.01)).toBe(true);
    net.dispose();
    await session.release();
  });

  it('passes the ONNX checker (python3-onnx, full_check) or says why it was skipped', () => {
    const reason = checkerUnavailable();
    if (reason) {
      console.log(`[skip] ONNX checker: ${reason}`);
      expect(meta.checker).toMatchObject({ status: 'skipped' });
      return;
    }
    expect(meta.checker).toMatchObject({ status: 'passed' });
    const r = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import onnx,sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("ok")',
        join(dir, 'generator.onnx'),
        join(dir, 'critic.onnx'),
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
  });

  it('exports an older checkpoint by iteration and a conv run, both checked and in parity', async () => {
    const older = await exportCheckpoint(config({ checkpoint: 500 }));
    expect(older.artifact.dir).toBe(join(root, 'export', 'default', '00000500'));
    expect(older.meta.models.critic).toBeUndefined();
    const conv = await exportCheckpoint(config({ run: 'conv', critic: true, backend: 'cpu' }));
    expect(conv.meta.models.generator.opTypes).toContain('ConvTranspose');
    expect(conv.meta.models.critic!.opTypes).toEqual(expect.arrayContaining(['Conv', 'MaxPool', 'BatchNormalization']));
    expect(conv.meta.parity).toMatchObject({ backend: 'cpu' });
    expect(conv.meta.parity.maxAbsError).toBeLessThanOrEqual(conv.meta.parity.maxBound);
    expect(conv.meta.models.critic!.parity.tfjs.worstRatio).toBeLessThanOrEqual(1);
    if (!checkerUnavailable()) expect(conv.meta.checker).toMatchObject({ status: 'passed' });
  }, 120_000);
});

describe('the seed-002 DCGAN', () => {
  it(
    'exports the InfoGAN generator (BatchNorm with non-trivial running statistics, ' +
      'ConvTranspose) and the conv discriminator in parity with tfjs on wasm',
    async () => {
      const { meta } = await exportCheckpoint(
        config({ run: 'dcgan', critic: true, backend: 'wasm', paritySamples: 64 }),
      );
      expect(meta.noise).toBe('uniform');
      expect(meta.models.generator.opTypes).toEqual(
        expect.arrayContaining(['Gemm', 'Relu', 'BatchNormalization', 'ConvTranspose', 'Tanh']),
      );
      expect(meta.models.critic!.opTypes).toEqual(expect.arrayContaining(['Conv', 'LeakyRelu', 'MaxPool', 'Gemm']));
      expect(meta.models.critic!.role).toBe('discriminator');
      expect(meta.models.critic!.outputs[0].name).toBe('logit');
      expect(meta.parity.backend).toBe('wasm');
      expect(meta.models.generator.parity.onnxruntime.worstRatio).toBeLessThanOrEqual(1);
      expect(meta.models.generator.parity.tfjs.worstRatio).toBeLessThanOrEqual(1);
      expect(meta.models.critic!.parity.onnxruntime.worstRatio).toBeLessThanOrEqual(1);
      expect(meta.models.critic!.parity.tfjs.worstRatio).toBeLessThanOrEqual(1);
    },
    120_000,
  );
});

describe('a VAE checkpoint (train --model vae)', () => {
  it('exports the decoder with its sigmoid: "image" in [0, 1], in parity, the range in the manifest', async () => {
    await initBackend('wasm', { quiet: true });
    const quiet = silentLogger();
    const data = await makeTinyData(root);
    await train(
      tinyConfig(data, {
        name: 'vae',
        model: 'vae',
        latentDim: 3,
        generatorHidden: [16],
        criticHidden: [16],
        iterations: 8,
        checkpointEvery: 8,
        snapshotEvery: 0,
      }),
      { logger: quiet, progress: false },
    );
    const { meta, artifact } = await exportCheckpoint(config({ run: 'vae' }));
    expect(meta).toMatchObject({ model: 'vae', loss: 'elbo', latentDim: 3, iteration: 8 });
    expect(meta.models.generator).toMatchObject({
      role: 'decoder',
      inputs: [{ name: 'z', shape: ['N', 3] }],
      outputs: [{ name: 'image', shape: ['N', 1, 28, 28], range: [0, 1] }],
    });
    expect(meta.models.generator.opTypes).toContain('Sigmoid');
    expect(meta.parity.maxAbsError).toBeLessThanOrEqual(meta.parity.maxBound);
    expect(meta.models.generator.parity.tfjs.worstRatio).toBeLessThanOrEqual(1);
    const session = await ort.InferenceSession.create(join(artifact.dir, 'generator.onnx'));
    const z = Rng.fromSeed(4).fillNormal(new Float32Array(50 * 3));
    const out = (await session.run({ z: new ort.Tensor('float32', z, [50, 3]) })).image.data as Float32Array;
    const { spec, values } = await readNetwork(join(root, 'runs', 'vae', 'checkpoints', '00000008'), 'generator');
    const decoder = Network.fromValues(spec, values);
    const f64 = referenceForward(spec, values, z, 50);
    expect(compareWithReference(out, f64).worstRatio).toBeLessThanOrEqual(1);
    const viaTfjs = (await decoder.apply(tf.tensor2d(z, [50, 3])).data()) as Float32Array;
    expect(compareWithReference(viaTfjs, f64).worstRatio).toBeLessThanOrEqual(1);
    decoder.dispose();
    for (const v of out) expect(v >= 0 && v <= 1).toBe(true);
  }, 60_000);
});

describe('refusals', () => {
  async function expectError(p: Promise<unknown>, message: RegExp, where?: RegExp) {
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(isPipelineError(e), String(e)).toBe(true);
    if (isPipelineError(e)) {
      expect(e.message).toMatch(message);
      if (where) expect(e.where).toMatch(where);
    }
  }

  it('refuses a checkpoint whose weights do not match their checksum, naming the file', async () => {
    const runDir = join(root, 'runs', 'tampered');
    await writeTestCheckpoint(runDir, { iteration: 7, generator: seed001Generator(8) });
    const bin = join(runDir, 'checkpoints', '00000007', 'generator.weights.bin');
    const bytes = await readFile(bin);
    bytes[100] ^= 0x40;
    await writeFile(bin, bytes);
    await expectError(
      exportCheckpoint(config({ run: 'tampered' })),
      /sha256 .* does not match/,
      /generator\.weights\.bin$/,
    );
    expect(existsSync(join(root, 'export', 'tampered'))).toBe(false);
  });

  it('refuses a checkpoint with a file added after the fact, and a manifest edited by hand', async () => {
    const runDir = join(root, 'runs', 'edited');
    await writeTestCheckpoint(runDir, { iteration: 7, generator: seed001Generator(8) });
    const manifest = join(runDir, 'checkpoints', '00000007', 'manifest.json');
    const text = await readFile(manifest, 'utf8');
    await writeFile(manifest, text.replace(/"size": \d+/, '"size": 1'));
    await expectError(exportCheckpoint(config({ run: 'edited' })), /does not match the manifest/);
    await writeFile(manifest, text);
    await writeFile(join(runDir, 'checkpoints', '00000007', 'extra.bin'), 'x');
    await expectError(exportCheckpoint(config({ run: 'edited' })), /not listed in the manifest/, /extra\.bin$/);
  });

  it('names the missing checkpoint and lists the ones there are', async () => {
    await expectError(exportCheckpoint(config({ checkpoint: 123 })), /checkpoint 00000123 not found/);
    const e = await exportCheckpoint(config({ checkpoint: 123 })).catch((err: unknown) => err);
    expect(isPipelineError(e) && e.hint).toBe('use one of: 500, 1000 (or latest)');
    await expectError(exportCheckpoint(config({ run: 'nope' })), /no checkpoints folder/);
  });

  it('refuses an artifact from another stage and a latest pointer to nowhere', async () => {
    const runDir = join(root, 'runs', 'wrong-stage');
    await writeArtifact(
      join(runDir, 'checkpoints', '00000001'),
      { stage: 'export', packageVersion: '0', config: null },
      async () => {},
    );
    await writeFile(join(runDir, 'checkpoints', 'latest'), '00000001\n');
    await expectError(
      exportCheckpoint(config({ run: 'wrong-stage' })),
      /written by stage "export", expected "train-checkpoint"/,
    );
    await writeFile(join(runDir, 'checkpoints', 'latest'), 'garbage\n');
    await expectError(exportCheckpoint(config({ run: 'wrong-stage' })), /checkpoints\/latest names "garbage"/);
  });
});

describe('checkOnnxModels', () => {
  it('rejects a model the checker finds invalid (or skips with a printed reason)', async () => {
    const reason = checkerUnavailable();
    if (reason) {
      console.log(`[skip] ONNX checker: ${reason}`);
      return;
    }
    const bad = join(root, 'bad.onnx');
    await writeFile(bad, Buffer.from('not a model'));
    expect(() => checkOnnxModels([bad])).toThrow(/the ONNX checker rejected the model/);
  });
});
