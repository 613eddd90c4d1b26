import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gridPng, Rng, writeFileAtomic, writeFloat32, type GridOptions } from '@wgan/core';
import { tf } from '@wgan/core/backend';
import { loadDataset, type DataSplit } from '@wgan/data-prep';
import type { Network } from '../models/network.js';
import type { EpochContext, EpochReporter, FamilyEpochDiagnostics } from '../trainer.js';
import { manifoldLatents } from './manifold.js';
import { decodeLogits, encode, toUnitInterval } from './objective.js';
import { continuousBernoulliTerms, klToStandardNormal, reparameterize } from './likelihood.js';

/**
 * The VAE's epoch-end diagnostics, in place of the GAN's E5–E7, written under `<run>/vae/`:
 *   test-batch.f32                    the fixed test batch (the first 32 test images), [32, 784] in [−1, 1]
 *   reconstructions-epoch-<e>.f32/.png  their reconstructions 2·σ(dec(μ(x))) − 1 (the posterior mean, no
 *                                     sampling); the PNG interleaves rows of originals and reconstructions
 *   with d_z = 2 only:
 *   test-labels.u8                    the test set's labels (once)
 *   latent-means-epoch-<e>.f32        μ(x) of every test image, [n_test, 2] (render draws the scatter
 *                                     coloured by class: latent-scatter.png)
 *   manifold-epoch-<e>.f32/.png       the 20 × 20 decoded manifold (manifold.ts), [400, 784] in [−1, 1]
 * and return the epoch's figures for train-stats.json: the training batches' running means (loss, recon,
 * kl, bce) and the test set's negative ELBO and its parts with one ε per image from a fixed stream.
 * <e> is the 0-based epoch, 3 digits (the seed prints "Epoch: 0" … "Epoch: 19").
 */
export const VAE_DIR = 'vae';
export const RECONSTRUCTION_COUNT = 32;
export const MANIFOLD_SIDE = 20;

export interface VaeTestFigures {
  /** Test images the figures average over. */
  count: number;
  loss: number;
  recon: number;
  kl: number;
  bce: number;
  logC: number;
}

export interface VaeEpochDiagnostics extends FamilyEpochDiagnostics {
  train: Record<string, number>;
  test: VaeTestFigures;
  /** Files written this epoch, relative to the run folder. */
  files: string[];
}

export function epochTag(epoch: number): string {
  return `epoch-${String(epoch).padStart(3, '0')}`;
}

export interface VaeDiagnosticsOptions {
  encoder: Network;
  decoder: Network;
  /** The data-prep artifact (its test split is read on first use). */
  dataDir: string;
  seed: number;
  latentDim: number;
  logCCoefficient: number;
  /** Images per device batch (default 1000). */
  chunk?: number;
}

export class VaeDiagnostics implements EpochReporter {
  private test: DataSplit | null = null;

  constructor(private readonly o: VaeDiagnosticsOptions) {}

  private async testSplit(): Promise<DataSplit> {
    this.test ??= (await loadDataset(this.o.dataDir, ['test'])).test;
    return this.test;
  }

  async epochEnd(ctx: EpochContext): Promise<VaeEpochDiagnostics> {
    const test = await this.testSplit();
    const dir = join(ctx.runDir, VAE_DIR);
    await mkdir(dir, { recursive: true });
    const tag = epochTag(ctx.epoch);
    const files: string[] = [];
    const twoD = this.o.latentDim === 2;

    const { figures, means } = await this.testElbo(test, Rng.fromSeed(this.o.seed * 7919 + ctx.epoch + 1), twoD);

    const cols = Math.min(8, test.count);
    const n = Math.floor(Math.min(RECONSTRUCTION_COUNT, test.count) / cols) * cols; // whole rows of `cols`
    const originals = test.images.subarray(0, n * 784);
    if (!existsSync(join(dir, 'test-batch.f32'))) await writeF32(join(dir, 'test-batch.f32'), originals);
    const recon = await this.reconstruct(originals, n);
    await writeF32(join(dir, `reconstructions-${tag}.f32`), recon);
    files.push(`${VAE_DIR}/reconstructions-${tag}.f32`);
    if (
      await writePng(join(dir, `reconstructions-${tag}.png`), interleaveRows(originals, recon, n, cols), 2 * n, {
        cols,
        pad: 2,
        scale: 2,
      })
    )
      files.push(`${VAE_DIR}/reconstructions-${tag}.png`);

    if (twoD && means) {
      if (!existsSync(join(dir, 'test-labels.u8'))) await writeFileAtomic(join(dir, 'test-labels.u8'), test.labels);
      await writeF32(join(dir, `latent-means-${tag}.f32`), means);
      files.push(`${VAE_DIR}/latent-means-${tag}.f32`);
      const side = MANIFOLD_SIDE;
      const manifold = await this.decode(manifoldLatents(side), side * side);
      await writeF32(join(dir, `manifold-${tag}.f32`), manifold);
      files.push(`${VAE_DIR}/manifold-${tag}.f32`);
      if (await writePng(join(dir, `manifold-${tag}.png`), manifold, side * side, { cols: side, pad: 0 }))
        files.push(`${VAE_DIR}/manifold-${tag}.png`);
    }

    const train = ctx.running;
    return {
      epoch: ctx.epoch,
      iteration: ctx.iteration,
      summary: {
        trainLoss: train.loss,
        trainRecon: train.recon,
        trainKl: train.kl,
        trainBce: train.bce,
        testLoss: figures.loss,
        testRecon: figures.recon,
        testKl: figures.kl,
      },
      train,
      test: figures,
      files,
    };
  }

  /**
   * The negative ELBO on the whole test set (one ε per image from `rng`), and with `keepMeans` every
   * image's μ(x) [n, d_z].
   */
  private async testElbo(
    test: DataSplit,
    rng: Rng,
    keepMeans: boolean,
  ): Promise<{ figures: VaeTestFigures; means: Float32Array | null }> {
    const { encoder, decoder, latentDim: d, logCCoefficient } = this.o;
    const chunk = this.o.chunk ?? 1000;
    const sums = new Float64Array(5); // loss, recon, kl, bce, logC
    const means = keepMeans ? new Float32Array(test.count * d) : null;
    for (let start = 0; start < test.count; start += chunk) {
      const m = Math.min(chunk, test.count - start);
      const eps = rng.fillNormal(new Float32Array(m * d));
      const [batchSums, mu] = tf.tidy(() => {
        const x = toUnitInterval(tf.tensor2d(test.images.subarray(start * 784, (start + m) * 784), [m, 784]));
        const { mu, logVar } = encode(encoder, x);
        const logits = decodeLogits(decoder, reparameterize(mu, logVar, tf.tensor2d(eps, [m, d])));
        const { nll, bce, logC } = continuousBernoulliTerms(x, logits, logCCoefficient);
        const kl = klToStandardNormal(mu, logVar);
        return [tf.stack([tf.sum(tf.add(nll, kl)), tf.sum(nll), tf.sum(kl), tf.sum(bce), tf.sum(logC)]), mu];
      });
      const values = (await batchSums.data()) as Float32Array;
      values.forEach((v, k) => (sums[k] += v));
      if (means) means.set((await mu.data()) as Float32Array, start * d);
      tf.dispose([batchSums, mu]);
    }
    const [loss, recon, kl, bce, logC] = Array.from(sums, (s) => s / test.count);
    return { figures: { count: test.count, loss, recon, kl, bce, logC }, means };
  }

  /** 2·σ(dec(μ(x))) − 1 for pipeline images x [n, 784]. */
  private async reconstruct(images: Float32Array, n: number): Promise<Float32Array> {
    const out = tf.tidy(() => {
      const { mu } = encode(this.o.encoder, toUnitInterval(tf.tensor2d(images, [n, 784])));
      return tf.sub(tf.mul(this.o.decoder.apply(mu), 2), 1);
    });
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  }

  /** 2·σ(dec(z)) − 1 for z [n, d_z]. */
  private async decode(z: Float32Array, n: number): Promise<Float32Array> {
    const out = tf.tidy(() => tf.sub(tf.mul(this.o.decoder.apply(tf.tensor2d(z, [n, this.o.latentDim])), 2), 1));
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  }
}

/** Rows of `cols` originals, each followed by the row of their reconstructions: [2n, 784] (n a multiple of cols). */
export function interleaveRows(
  originals: Float32Array,
  reconstructions: Float32Array,
  n: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(2 * n * 784);
  let k = 0;
  for (let start = 0; start < n; start += cols) {
    const m = Math.min(cols, n - start);
    out.set(originals.subarray(start * 784, (start + m) * 784), k * 784);
    out.set(reconstructions.subarray(start * 784, (start + m) * 784), (k + cols) * 784);
    k += 2 * cols;
  }
  return out;
}

async function writeF32(path: string, values: Float32Array): Promise<void> {
  await writeFloat32(`${path}.tmp`, values);
  await rename(`${path}.tmp`, path);
}

/** Writes a grid PNG; false (and no file) where sharp is absent, as run-files' snapshots do. */
async function writePng(path: string, images: Float32Array, count: number, options: GridOptions): Promise<boolean> {
  let png: Buffer;
  try {
    png = await gridPng(images, count, options);
  } catch (e) {
    if (!/sharp/i.test(String((e as Error).message))) throw e;
    return false;
  }
  await writeFile(`${path}.tmp`, png);
  await rename(`${path}.tmp`, path);
  return true;
}
