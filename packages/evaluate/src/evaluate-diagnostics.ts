import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { epochPermutation, PipelineError, z } from '@wgan/core';
import type { Dataset } from '@wgan/data-prep';
import { countTrainable, type Network } from '@wgan/train';
import { splitRowLabels } from './conditional.js';
import { criticGradientNorms, criticScores, gatherRows, generate, interpolate } from './device.js';
import {
  driftIterations,
  e1FromLabels,
  e2FromBatch,
  e3ModelSize,
  e4CycleDeltas,
  e5WassersteinGap,
  e6PenaltyStats,
  e7ClipUtilization,
  e8FixedNoiseDrift,
  e9TraversalCorrelation,
  e10OrderingAccuracy,
  traversalValues,
  type E1,
  type E2,
} from './formulas/index.js';
import type { Report } from './report-schema.js';
import { listSnapshots, lossKind, readSnapshot, type LoadedCheckpoint } from './run-folder.js';
import { latents, type LatentNoise } from './evaluate-scoring.js';
import { sampleIndices, streamRng } from './streams.js';
import type { EvaluateConfig, OneCycle } from './evaluate-run.js';

/**
 * The seed's diagnostics E1–E10 of one checkpoint, each step a function of its own. Every step that
 * cannot compute its figure (a VAE has no critic; a run without enough snapshots has no E8) leaves it null
 * and says why in `notes`, under the figure's key.
 */

/** Explanations by report key ("E6", "config", ...): report.notes. */
export type Notes = Record<string, string>;

/** The evaluated checkpoint's networks on the device and what follows from them. */
export interface EvaluatedModels {
  generator: Network;
  critic: Network;
  /** The critic that scores images; null for a VAE (its "critic" is the encoder). */
  scorer: Network | null;
  vae: boolean;
  /** d_z: the generator's latent columns (its input less a conditional run's K label columns). */
  latentDim: number;
  /** K of a conditional run, 0 otherwise. */
  classes: number;
  noise: LatentNoise;
}

/** What every diagnostic reads. */
export interface DiagnosticInputs {
  config: EvaluateConfig;
  runDir: string;
  ckpt: LoadedCheckpoint;
  data: Dataset;
  models: EvaluatedModels;
  oneCycle?: OneCycle;
}

export interface Diagnostics {
  E1: E1;
  E2: E2 & { source: string };
  E3: Report['E3'];
  E4: Report['E4'];
  E5: Report['E5'];
  E6: Report['E6'];
  E7: Report['E7'];
  E8: Report['E8'];
  E9: Report['E9'];
  E10: Report['E10'];
  /** E9's images, [values.length, 784], and the values of the swept latent. */
  traversal: Float32Array;
  traversalValues: number[];
}

/** E1–E10 in the seed's order. */
export async function diagnose(inputs: DiagnosticInputs, notes: Notes): Promise<Diagnostics> {
  const { data, ckpt } = inputs;
  const E1 = e1FromLabels(data.train.labels, data.meta.classes.length);
  const E2 = e2ForRun(data, ckpt);
  const E3 = e3ModelSize(countTrainable(ckpt.specs.generator), countTrainable(ckpt.specs.critic));
  const E4 = await e4ForRun(inputs, notes);
  const E5 = await e5ForRun(inputs, notes);
  const { E6, E7 } = await lipschitzForRun(inputs, notes);
  const { e8: E8, note: e8Note } = await e8ForRun(inputs.runDir, ckpt.meta.iteration);
  if (e8Note) notes.E8 = e8Note;
  const { E9, traversal, values } = await e9ForRun(inputs);
  const E10 = await e10ForRun(inputs, notes);
  return { E1, E2, E3, E4, E5, E6, E7, E8, E9, E10, traversal, traversalValues: values };
}

/** `count` latents of the purpose's stream from the run's p(z). */
function drawZ(inputs: DiagnosticInputs, purpose: string, count: number): Float32Array {
  return latents(inputs.config.seed, purpose, count, inputs.models.noise);
}

/**
 * E2 on the first batch train drew (epoch 0 of its seed, its batch size), else data-prep's (a checkpoint
 * config without the seed or the batch size).
 */
export function e2ForRun(data: Dataset, ckpt: LoadedCheckpoint): E2 & { source: string } {
  const { seed, batchSize } = ckpt.config;
  const known = !ckpt.defaultedConfig.includes('seed') && !ckpt.defaultedConfig.includes('batchSize');
  if (known && data.train.count > 0) {
    const indices = epochPermutation(seed, 0, data.train.count).subarray(0, Math.min(batchSize, data.train.count));
    return {
      ...e2FromBatch(gatherRows(data.train.images, indices), indices.length),
      source: `train's first batch: epoch 0 of seed ${seed}, B = ${indices.length}`,
    };
  }
  const { seed: s, indices: _indices, ...e2 } = data.stats.E2;
  return { ...e2, source: `data-prep's first batch (seed ${s})` };
}

/** E4: one n_critic + 1 cycle on a copy of the checkpoint, delegated to train (`oneCycle`). */
async function e4ForRun(inputs: DiagnosticInputs, notes: Notes): Promise<Report['E4']> {
  const { ckpt, models } = inputs;
  if (models.vae) {
    notes.E3 = 'a VAE: n_G counts the decoder, n_D the encoder';
    notes.E4 = 'a VAE has no critic/generator cycle (E4 is defined for GANs)';
    return null;
  }
  if (inputs.oneCycle && !existsSync(join(ckpt.ref.dir, 'state.json'))) {
    notes.E4 =
      `not computed: checkpoint ${ckpt.ref.name} has no training state (state.json: optimiser moments, sampler ` +
      'position), as in a run written by the PyTorch anchor (bench/anchor_crosscheck.py train-run)';
    return null;
  }
  if (inputs.oneCycle) {
    const cycle = await inputs.oneCycle(ckpt.ref.dir, { seed: inputs.config.seed });
    const on = cycle.implementation ? ` on ${cycle.implementation}` : '';
    notes.E4 =
      `one cycle of ${cycle.nCritic} critic + 1 generator updates (the run's n_critic)${on} on a copy of ` +
      `checkpoint ${ckpt.ref.name} (its optimiser state included)`;
    return e4CycleDeltas(cycle, cycle.before, cycle.after);
  }
  const measured = await trainingE4(inputs.runDir);
  notes.E4 =
    "not computed: no one-cycle function was given (train's runOneCycle does a 5 + 1 update on a copy of the " +
    'checkpoint)' +
    (measured ? `; train-stats.json reports the run's first training cycle as (L̄_D, Δ_D, Δ_G) = ${measured}` : '');
  return null;
}

const trainStatsE4 = z
  .object({
    E4: z.object({ lossDMean: z.number(), deltaD: z.number(), deltaG: z.number() }).loose().nullable().optional(),
  })
  .loose();

/** train's own E4 (its first cycle, from train-stats.json), formatted, or null when absent. */
async function trainingE4(runDir: string): Promise<string | null> {
  const path = join(runDir, 'train-stats.json');
  if (!existsSync(path)) return null;
  try {
    const e4 = trainStatsE4.parse(JSON.parse(await readFile(path, 'utf8'))).E4;
    return e4 ? `(${e4.lossDMean.toFixed(3)}, ${e4.deltaD.toFixed(3)}, ${e4.deltaG.toFixed(3)})` : null;
  } catch {
    return null;
  }
}

/** E5: a training batch (B of the run) and as many fresh latents, scored by the critic. */
async function e5ForRun(inputs: DiagnosticInputs, notes: Notes): Promise<Report['E5']> {
  const { data, config, models } = inputs;
  if (!models.scorer) {
    notes.E5 = 'a VAE has no critic to score images with';
    return null;
  }
  const batchSize = Math.min(inputs.ckpt.config.batchSize, data.train.count);
  const rows = sampleIndices(streamRng(config.seed, 'E5'), data.train.count, batchSize);
  const real = gatherRows(data.train.images, rows);
  // a conditional run: fakes with the real rows' labels, each image scored with its label
  const labels = splitRowLabels(data.train, rows, models.classes);
  const z = drawZ(inputs, 'E5-z', batchSize * models.latentDim);
  const fake = await generate(models.generator, z, batchSize, 1000, labels);
  notes.E5 = `one batch of B = ${batchSize} training images drawn with the evaluation seed, and B generated ones`;
  return e5WassersteinGap(
    await criticScores(models.scorer, real, batchSize, 1000, labels),
    await criticScores(models.scorer, fake, batchSize, 1000, labels),
  );
}

/** The note for a value the checkpoint config lacked (train's default was used), or ''. */
function assumedNote(ckpt: LoadedCheckpoint, key: 'lambda' | 'clipValue', symbol: string): string {
  return ckpt.defaultedConfig.includes(key)
    ? `the checkpoint config has no ${key}: train's default ${symbol} = ${ckpt.config[key]} was assumed`
    : '';
}

/** E6 / E7: the Lipschitz constraint of the run's loss (E6 for the gradient penalty, E7 for clipping). */
async function lipschitzForRun(
  inputs: DiagnosticInputs,
  notes: Notes,
): Promise<{ E6: Report['E6']; E7: Report['E7'] }> {
  const { ckpt, config, data, models } = inputs;
  const kind = lossKind(ckpt.meta.loss ?? ckpt.config.loss);
  if (models.vae) {
    notes.E6 = notes.E7 = 'a VAE has no critic (E6 and E7 constrain a WGAN critic)';
    return { E6: null, E7: null };
  }
  if (kind === 'gp') {
    const rng = streamRng(config.seed, 'E6');
    const n = Math.min(config.gpSamples, data.train.count);
    const rows = sampleIndices(rng, data.train.count, n);
    const real = gatherRows(data.train.images, rows);
    const m = real.length / 784;
    // a conditional run: fakes with the real rows' labels, ∇ₓD(x̂, y) with respect to the image for that label
    const labels = splitRowLabels(data.train, rows, models.classes);
    const fake = await generate(models.generator, drawZ(inputs, 'E6-z', m * models.latentDim), m, 1000, labels);
    const eps = rng.fillUniform(new Float32Array(m));
    const norms = await criticGradientNorms(models.critic, interpolate(real, fake, eps), m, labels);
    const assumed = assumedNote(ckpt, 'lambda', 'λ');
    notes.E6 =
      `N = ${m} interpolates x̂ = εx + (1 − ε)x̃ of training images and samples at the checkpoint; s_g is the ` +
      "population std (the seed's worked example: 0.224 for {0.8, 1.2, 1.0, 0.6})" +
      (assumed ? `; ${assumed}` : '');
    notes.E7 = 'a gradient-penalty run: E7 is for weight clipping';
    return { E6: e6PenaltyStats(norms, ckpt.config.lambda), E7: null };
  }
  if (kind === 'clip') {
    const weights = models.critic.trainableNames().map((name) => ckpt.weights.critic.get(name) as Float32Array);
    const assumed = assumedNote(ckpt, 'clipValue', 'c');
    if (assumed) notes.E7 = assumed;
    notes.E6 = 'a weight-clipping run: E6 is for the gradient penalty';
    return { E6: null, E7: e7ClipUtilization(weights, ckpt.config.clipValue) };
  }
  notes.E6 =
    notes.E7 = `loss "${ckpt.meta.loss ?? ckpt.config.loss}" has neither a gradient penalty nor weight clipping`;
  return { E6: null, E7: null };
}

/** E8: drift of the fixed-noise snapshots up to the evaluated iteration (three of them, or null and a note). */
export async function e8ForRun(runDir: string, iteration: number): Promise<{ e8: Report['E8']; note?: string }> {
  const snapshots = (await listSnapshots(runDir)).filter((s) => s.iteration <= iteration);
  const chosen = driftIterations(snapshots.map((s) => s.iteration));
  if (chosen.length < 3)
    return {
      e8: null,
      note:
        `needs three fixed-noise snapshots up to iteration ${iteration}; the run has ${snapshots.length} ` +
        `(${snapshots.map((s) => s.iteration).join(', ') || 'none'})`,
    };
  const loaded = await Promise.all(
    chosen.map(async (t) => ({ iteration: t, images: await readSnapshot(snapshots.find((s) => s.iteration === t)!) })),
  );
  const sizes = new Set(loaded.map((s) => s.images.length));
  if (sizes.size !== 1)
    throw new PipelineError(
      `snapshots differ in size (${[...sizes].join(' vs ')} values)`,
      join(runDir, 'snapshots'),
      'the run folder mixes runs: retrain it',
    );
  return { e8: e8FixedNoiseDrift(loaded) };
}

/** E9: one latent swept over [−2, 2] (N(0, I)) or its support [−1, 1] (U(−1, 1)), the others fixed. */
async function e9ForRun(
  inputs: DiagnosticInputs,
): Promise<{ E9: Report['E9']; traversal: Float32Array; values: number[] }> {
  const { config, models } = inputs;
  const { latentDim } = models;
  if (config.traversalIndex >= latentDim)
    throw new PipelineError(
      `latent index ${config.traversalIndex} is out of range for d_z = ${latentDim}`,
      '--traversal-index',
      `pick 0..${latentDim - 1}`,
    );
  const values =
    models.noise === 'uniform' ? traversalValues(config.traversalSteps, -1, 1) : traversalValues(config.traversalSteps);
  const base = drawZ(inputs, 'E9', latentDim);
  const zTraversal = new Float32Array(values.length * latentDim);
  values.forEach((v, j) => {
    zTraversal.set(base, j * latentDim);
    zTraversal[j * latentDim + config.traversalIndex] = v;
  });
  // a conditional run sweeps z_i for one fixed class (0)
  const labels = models.classes > 0 ? { labels: new Int32Array(values.length), classes: models.classes } : null;
  const traversal = await generate(models.generator, zTraversal, values.length, 1000, labels);
  return { E9: e9TraversalCorrelation(config.traversalIndex, values, traversal), traversal, values };
}

/** E10: K held-out test pairs (a test image, a fresh sample), ordered by the critic. */
async function e10ForRun(inputs: DiagnosticInputs, notes: Notes): Promise<Report['E10']> {
  const { config, data, models } = inputs;
  const k = Math.min(config.pairs, data.test.count);
  if (!models.scorer) {
    notes.E10 = 'a VAE has no critic to order images with';
    return null;
  }
  const rows = sampleIndices(streamRng(config.seed, 'E10'), data.test.count, k);
  const real = gatherRows(data.test.images, rows);
  const labels = splitRowLabels(data.test, rows, models.classes);
  const fake = await generate(models.generator, drawZ(inputs, 'E10-z', k * models.latentDim), k, 1000, labels);
  notes.E10 = `K = ${k} pairs of random test images and fresh samples, the critic evaluated once`;
  return e10OrderingAccuracy(
    await criticScores(models.scorer, real, k, 1000, labels),
    await criticScores(models.scorer, fake, k, 1000, labels),
  );
}
