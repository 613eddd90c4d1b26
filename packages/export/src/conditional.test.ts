import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Rng } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { readNetwork, seed001Critic, seed001Generator, withOneHot } from '@wgan/train';
import { exportSchema } from './config.js';
import { exportCheckpoint } from './export.js';
import { compareWithReference, referenceForward } from './reference.js';
import { trainedScale, writeTestCheckpoint } from './testing.js';

/**
 * A conditional checkpoint (train --conditional, K = 10): the ONNX generator takes (z float32 [N, d_z],
 * label int64 [N]) and the critic (image, label); both are held to the float32 rounding bound of the
 * float64 evaluation of the checkpoint's network on [input | onehot(label)], at trained scale.
 */
let root: string;
const previousArtifacts = process.env.WGAN_ARTIFACTS;
const K = 10;
const dz = 100;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wgan-export-cond-'));
  process.env.WGAN_ARTIFACTS = root;
  await initBackend('wasm', { quiet: true });
  await writeTestCheckpoint(join(root, 'runs', 'cond'), {
    iteration: 500,
    generator: seed001Generator(dz + K),
    critic: seed001Critic(undefined, 784 + K),
    seed: 7,
    classes: K,
    perturb: trainedScale(3),
  });
});

afterAll(async () => {
  if (previousArtifacts === undefined) delete process.env.WGAN_ARTIFACTS;
  else process.env.WGAN_ARTIFACTS = previousArtifacts;
  await rm(root, { recursive: true, force: true });
});

describe('a conditional checkpoint', () => {
  it('exports (z, label) → image and (image, label) → score, in parity with the float64 reference', async () => {
    const { meta, artifact } = await exportCheckpoint(exportSchema.parse({ run: 'cond', critic: true }));
    expect(meta.latentDim).toBe(dz);
    expect(meta.conditional).toEqual({ classes: K, labelInput: 'label', labelDtype: 'int64' });
    expect(meta.models.generator.inputs).toEqual([
      { name: 'z', shape: ['N', dz], dtype: 'float32' },
      expect.objectContaining({ name: 'label', shape: ['N'], dtype: 'int64' }),
    ]);
    expect(meta.models.critic!.inputs.map((i) => [i.name, i.dtype])).toEqual([
      ['image', 'float32'],
      ['label', 'int64'],
    ]);
    for (const m of [meta.models.generator, meta.models.critic!]) {
      expect(m.opTypes).toEqual(expect.arrayContaining(['Gather', 'Concat']));
      expect(m.parity.onnxruntime.worstRatio).toBeLessThanOrEqual(1);
      expect(m.parity.tfjs.worstRatio).toBeLessThanOrEqual(1);
    }

    // the written model, in onnxruntime, on fresh latents and every class
    const n = 40;
    const z = Rng.fromSeed(9).fillNormal(new Float32Array(n * dz));
    const labels = Int32Array.from({ length: n }, (_, i) => (3 * i) % K);
    const session = await ort.InferenceSession.create(join(artifact.dir, 'generator.onnx'));
    const run = async (y: Int32Array) =>
      (
        await session.run({
          z: new ort.Tensor('float32', z, [n, dz]),
          label: new ort.Tensor('int64', BigInt64Array.from(Array.from(y), BigInt), [n]),
        })
      ).image.data as Float32Array;
    const images = await run(labels);
    const { spec, values } = await readNetwork(join(root, 'runs', 'cond', 'checkpoints', '00000500'), 'generator');
    const reference = referenceForward(spec, values, withOneHot(z, dz, labels, K), n);
    expect(compareWithReference(images, reference).worstRatio).toBeLessThanOrEqual(1);
    // the label matters: the same z with the next class is another image, far beyond the bound
    const shifted = await run(labels.map((y) => (y + 1) % K));
    expect(compareWithReference(shifted, reference).worstRatio).toBeGreaterThan(100);
    await session.release();
  }, 120_000);
});
