import { PipelineError, type Logger } from '@wgan/core';
import type { Network } from '@wgan/train';
import type { Classifier } from './classifier.js';
import { criticScores, generate } from './device.js';
import { featureStats } from './feature-stats.js';
import { classHistogram, e5WassersteinGap, frechetDistanceTo, inceptionScore } from './formulas/index.js';
import type { RealReference } from './references.js';
import type { CheckpointScore, Report } from './report-schema.js';
import { checkpointNetworks, listCheckpoints, readCheckpoint, type CheckpointRef } from './run-folder.js';
import { streamRng } from './streams.js';

/**
 * Scoring a generator (IS, FD, class histogram, and Ŵ₁ on a held-out batch where there is a critic) on fixed
 * inputs, and ranking every checkpoint of a run by it.
 */

/** p(z) of a run: N(0, I), or U(−1, 1) for seed 002's GANs (train's `noise`). */
export type LatentNoise = 'normal' | 'uniform';

/** `count` latent values of the purpose's stream, drawn from the run's p(z). */
export function latents(seed: number, purpose: string, count: number, noise: LatentNoise = 'normal'): Float32Array {
  const out = new Float32Array(count);
  return noise === 'uniform'
    ? streamRng(seed, purpose).fillUniform(out, -1, 1)
    : streamRng(seed, purpose).fillNormal(out);
}

/** The latents of the scored samples (IS, FD, histogram): [count, latentDim] from the seed's "samples" stream. */
export function sampleLatents(
  seed: number,
  count: number,
  latentDim: number,
  noise: LatentNoise = 'normal',
): Float32Array {
  return latents(seed, 'samples', count * latentDim, noise);
}

/** The fixed inputs every checkpoint is scored on, so scores are comparable across checkpoints. */
export interface ScoringContext {
  classifier: Classifier;
  reference: RealReference;
  latentDim: number;
  samples: number;
  zSamples: Float32Array;
  heldOutReal: Float32Array;
  heldOutZ: Float32Array;
  heldOutCount: number;
}

export interface GeneratorScore {
  images: Float32Array;
  inceptionScore: number;
  frechet: number;
  histogram: number[];
  /** null for a VAE (no critic). */
  wassersteinGap: number | null;
}

/**
 * IS, FD and the histogram of the generator's samples, and Ŵ₁ on the held-out batch when there is a critic
 * (`critic` null: a VAE).
 */
export async function scoreCheckpoint(
  ctx: ScoringContext,
  generator: Network,
  critic: Network | null,
): Promise<GeneratorScore> {
  const images = await generate(generator, ctx.zSamples, ctx.samples);
  const { probs, features } = await ctx.classifier.classify(images, ctx.samples);
  const stats = await featureStats(features as Float32Array, ctx.samples, ctx.classifier.featureSize);
  let wassersteinGap: number | null = null;
  if (critic) {
    const fakeHeldOut = await generate(generator, ctx.heldOutZ, ctx.heldOutCount);
    wassersteinGap = e5WassersteinGap(
      await criticScores(critic, ctx.heldOutReal, ctx.heldOutCount),
      await criticScores(critic, fakeHeldOut, ctx.heldOutCount),
    ).wassersteinGap;
  }
  return {
    images,
    inceptionScore: inceptionScore(probs),
    frechet: frechetDistanceTo(ctx.reference.frechet, stats),
    histogram: classHistogram(probs),
    wassersteinGap,
  };
}

export interface Ranking {
  checkpoints: CheckpointScore[];
  bestCheckpoint: NonNullable<Report['bestCheckpoint']>;
  note: string;
}

/**
 * Every checkpoint of the run scored on the same inputs (the evaluated one's score reused), and the one with
 * the lowest Fréchet distance named best.
 */
export async function rankCheckpoints(
  runDir: string,
  evaluated: { ref: CheckpointRef; score: GeneratorScore; vae: boolean },
  ctx: ScoringContext,
  logger?: Logger,
): Promise<Ranking> {
  const checkpoints: CheckpointScore[] = [];
  for (const c of await listCheckpoints(runDir)) {
    const s = c.name === evaluated.ref.name ? evaluated.score : await scoreOther(c, ctx, evaluated.vae);
    const row = { inceptionScore: s.inceptionScore, frechet: s.frechet, wassersteinGap: s.wassersteinGap };
    checkpoints.push({ iteration: c.iteration, checkpoint: c.name, ...row });
    logger?.info('ranked', { checkpoint: c.name, ...row });
  }
  const best = checkpoints.reduce((a, b) => (b.frechet < a.frechet ? b : a));
  return {
    checkpoints,
    bestCheckpoint: {
      iteration: best.iteration,
      checkpoint: best.checkpoint,
      criterion: 'lowest Fréchet distance to the test set',
    },
    note:
      `every checkpoint scored on the same ${ctx.samples} latents (IS, FD) and the same held-out batch of ` +
      `${ctx.heldOutCount} test images and latents (Ŵ₁)`,
  };
}

/** The score of another checkpoint of the run (same d_z as the evaluated one, or the run folder mixes runs). */
async function scoreOther(c: CheckpointRef, ctx: ScoringContext, vae: boolean): Promise<GeneratorScore> {
  const nets = checkpointNetworks(await readCheckpoint(c));
  try {
    if (nets.generator.spec.inputSize !== ctx.latentDim)
      throw new PipelineError(
        `checkpoint ${c.name} has d_z = ${nets.generator.spec.inputSize}, the evaluated one ${ctx.latentDim}`,
        c.dir,
        'the run folder mixes runs: retrain it',
      );
    return await scoreCheckpoint(ctx, nets.generator, vae ? null : nets.critic);
  } finally {
    nets.generator.dispose();
    nets.critic.dispose();
  }
}
