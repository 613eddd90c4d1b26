import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  acquireArtifactLock,
  artifactPaths,
  artifactsRoot,
  epochPermutation,
  gridPng,
  parentRef,
  PipelineError,
  writeArtifact,
  writeFloat32,
  z,
  type Artifact,
  type Logger,
} from '@wgan/core';
import { initBackend, type BackendInfo } from '@wgan/core/backend';
import { loadDataset, type Dataset } from '@wgan/data-prep';
import { countTrainable, trainSchema, useConvGradients, type Network } from '@wgan/train';
import { artifactDir, classifierDir, displayPath } from './classifier-stage.js';
import { loadClassifier, CLASSIFIER_REMAKE, type Classifier, type ClassifierMeta } from './classifier.js';
import { criticGradientNorms, criticScores, gatherRows, generate, interpolate } from './device.js';
import { featureStats } from './feature-stats.js';
import {
  chiSquareUniform,
  classHistogram,
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
  frechetDistanceTo,
  inceptionScore,
  traversalValues,
  type CycleParameters,
  type E2,
} from './formulas/index.js';
import { comparisonRow, readComparedReports } from './comparison.js';
import { realReference, type RealReference } from './references.js';
import { renderHtml, renderMarkdown, type Figure } from './report-render.js';
import { REPORT_SCHEMA_VERSION, reportSchema, type CheckpointScore, type Report } from './report-schema.js';
import {
  checkpointNetworks,
  trainerDescription,
  listCheckpoints,
  listSnapshots,
  lossKind,
  modelFamily,
  readCheckpoint,
  readSnapshot,
  resolveCheckpoint,
  type LoadedCheckpoint,
} from './run-folder.js';
import { sampleIndices, streamRng } from './streams.js';
import pkg from '../package.json' with { type: 'json' };

/**
 * evaluate, the stage: reads a run's checkpoint (never trains the GAN), the data artifact it was trained
 * on and the cached MNIST classifier, and writes artifacts/eval/<run>/ with report.json (validated),
 * report.md, a self-contained report.html, samples.f32 (the first 100 samples) and traversal.f32 (E9's
 * images) for render.
 *
 * Defaults are the seeds': 10,000 samples for the inception score (seed 002), N = 256 interpolates and
 * λ = 10 for E6, K = 64 pairs for E10, 10 traversal values in [−2, 2] for E9 (seed 000; [−1, 1] for runs
 * whose latents are U(−1, 1), seed 002's GANs). Every latent is drawn from the run's p(z) (config `noise`).
 */
export const EVAL_STAGE = 'evaluate';

export const evaluateSchema = z
  .object({
    /** Run name: artifacts/runs/<run>. */
    run: z.string().default('default'),
    /** The run folder, when not under artifacts/runs. */
    runDir: z.string().optional(),
    /** "latest", a checkpoint folder name or an iteration. */
    checkpoint: z.string().default('latest'),
    /** Score every checkpoint of the run (IS, FD, Ŵ₁) and name the best. */
    allCheckpoints: z.boolean().default(false),
    samples: z.number().int().min(10).default(10_000),
    seed: z.number().int().nonnegative().default(42),
    /** E6: interpolates N. */
    gpSamples: z.number().int().min(2).default(256),
    /** E10: pairs K. */
    pairs: z.number().int().min(1).default(64),
    /** E9: the latent index swept and how many values in [−2, 2]. */
    traversalIndex: z.number().int().min(0).default(0),
    traversalSteps: z.number().int().min(2).default(10),
    /** Held-out batch (test images, fixed z) of the checkpoint ranking's Ŵ₁. */
    heldOutBatch: z.number().int().min(2).default(1000),
    /** The data artifact (default: the checkpoint config's `data`, else artifacts/data/mnist). */
    data: z.string().optional(),
    /** The classifier artifact (default: artifacts/classifier/<dataset id>). */
    classifier: z.string().optional(),
    backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('auto'),
    /** Output folder (default artifacts/eval/<run>). */
    out: z.string().optional(),
    /** Runs whose evaluations (artifacts/eval/<run>/report.json) join this one in the comparison table. */
    compare: z.array(z.string()).default([]),
  })
  .strict();
export type EvaluateConfig = z.output<typeof evaluateSchema>;

/** What one 5 + 1 training cycle on a copy of a checkpoint returns (E4's inputs). */
export interface OneCycleResult {
  /** The implementation that ran the cycle (the run's own where it can start here). */
  implementation?: string;
  /** n_critic: the cycle's critic updates. */
  nCritic: number;
  /** L̄_D, the mean of the n_critic critic losses L_D⁽ⁱ⁾. */
  lossDMean: number;
  /** The critic losses one by one, where the implementation reports them. */
  lossD?: number[];
  /** Trainable parameters before and after, same order. */
  before: CycleParameters;
  after: CycleParameters;
}

/**
 * E4 needs exactly 5 critic updates and 1 generator update on a copy of the checkpoint (its optimiser
 * state included), which is train's business: evaluate never trains. The CLI passes train's
 * `runOneCycle`; without it E4 is null in the report, with a note saying so.
 */
export type OneCycle = (checkpointDir: string, options: { seed: number }) => Promise<OneCycleResult>;

/** What a figure renderer gets: the report and the image data it summarises. */
export interface FigureInput {
  report: Report;
  /** The first 100 samples, [100, 784] in [−1, 1]. */
  samples: Float32Array;
  /** E9's images, [traversalSteps, 784]. */
  traversal: Float32Array;
}

/**
 * Extra figures for report.html (inline) and figures/<id>.png: the hook for render's vega-lite plots
 * (IS / FD / Ŵ₁ against iteration from `report.checkpoints`, the class histogram); the CLI passes
 * figures.ts, which draws them with @wgan/render.
 */
export type FigureRenderer = (input: FigureInput) => Promise<Omit<Figure, 'file'>[]>;

export interface EvaluateOptions {
  logger?: Logger;
  oneCycle?: OneCycle;
  figures?: FigureRenderer;
}

export interface EvaluateResult {
  dir: string;
  report: Report;
  artifact: Artifact;
  backend: BackendInfo;
}

const TRAIN_REMAKE = 'npx nx run train:pipeline';
const SAMPLE_FILE_COUNT = 100;

/** The fixed inputs every checkpoint is scored on, so scores are comparable across checkpoints. */
interface ScoringContext {
  classifier: Classifier;
  reference: RealReference;
  latentDim: number;
  samples: number;
  zSamples: Float32Array;
  heldOutReal: Float32Array;
  heldOutZ: Float32Array;
  heldOutCount: number;
}

interface GeneratorScore {
  images: Float32Array;
  inceptionScore: number;
  frechet: number;
  histogram: number[];
  /** null for a VAE (no critic). */
  wassersteinGap: number | null;
}

/** IS, FD and the histogram of the generator's samples, and Ŵ₁ on the held-out batch when there is a critic (`critic` null: a VAE). */
async function scoreCheckpoint(
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

/** p(z) of a run: N(0, I), or U(−1, 1) for seed 002's GANs (train's `noise`). */
export type LatentNoise = 'normal' | 'uniform';

/** `count` latent values of the purpose's stream, drawn from the run's p(z). */
function latents(seed: number, purpose: string, count: number, noise: LatentNoise = 'normal'): Float32Array {
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

/** E2 on the first batch train drew (epoch 0 of its seed, its batch size), else data-prep's. */
function e2ForRun(data: Dataset, ckpt: LoadedCheckpoint): E2 & { source: string } {
  const { seed, batchSize } = ckpt.config;
  if (seed !== undefined && batchSize !== undefined && data.train.count > 0) {
    const indices = epochPermutation(seed, 0, data.train.count).subarray(0, Math.min(batchSize, data.train.count));
    return {
      ...e2FromBatch(gatherRows(data.train.images, indices), indices.length),
      source: `train's first batch: epoch 0 of seed ${seed}, B = ${indices.length}`,
    };
  }
  const { seed: s, indices: _indices, ...e2 } = data.stats.E2;
  return { ...e2, source: `data-prep's first batch (seed ${s})` };
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

async function e8ForRun(runDir: string, iteration: number): Promise<{ e8: Report['E8']; note?: string }> {
  const snapshots = (await listSnapshots(runDir)).filter((s) => s.iteration <= iteration);
  const chosen = driftIterations(snapshots.map((s) => s.iteration));
  if (chosen.length < 3)
    return {
      e8: null,
      note: `needs three fixed-noise snapshots up to iteration ${iteration}; the run has ${snapshots.length} (${snapshots.map((s) => s.iteration).join(', ') || 'none'})`,
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

export async function evaluateRun(config: EvaluateConfig, options: EvaluateOptions = {}): Promise<EvaluateResult> {
  const dir = config.out ? artifactDir(config.out, '--out') : artifactPaths.eval(config.run, '--run');
  const lock = acquireArtifactLock(dir, {
    stage: EVAL_STAGE,
    logger: options.logger,
    flag: config.out ? '--out' : '--run',
  });
  try {
    return await evaluateInto(dir, config, options);
  } finally {
    lock.release();
  }
}

async function evaluateInto(dir: string, config: EvaluateConfig, options: EvaluateOptions): Promise<EvaluateResult> {
  const { logger } = options;
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const lap = (key: string, since: number) => (timings[key] = (performance.now() - since) / 1000);

  const runDir = config.runDir ? artifactDir(config.runDir, '--run-dir') : artifactPaths.run(config.run, '--run');
  if (!existsSync(runDir))
    throw new PipelineError(
      'run folder not found',
      runDir,
      `train it first (\`${TRAIN_REMAKE}\`), or check --run / --run-dir`,
    );
  const backend = await initBackend(config.backend, { quiet: true });
  useConvGradients(); // conv critics' input gradients (E6) on wasm: XNNPACK convolutions, a correct maxPool gradient
  logger?.info('backend', { name: backend.name, device: backend.device });

  let t = performance.now();
  const ref = await resolveCheckpoint(runDir, config.checkpoint);
  const ckpt = await readCheckpoint(ref);
  const dataDir = artifactDir(config.data ?? ckpt.config.data ?? 'data/mnist', '--data');
  const data = await loadDataset(dataDir);
  const clsDir = config.classifier
    ? artifactDir(config.classifier, '--classifier')
    : classifierDir(data.meta.datasetId);
  if (!existsSync(join(clsDir, 'manifest.json')))
    throw new PipelineError(
      `no classifier artifact for the dataset "${data.meta.datasetId}"`,
      clsDir,
      `train it once (\`npx tsx packages/evaluate/src/cli.ts classifier --dataset ${data.meta.datasetId}\`, or \`${CLASSIFIER_REMAKE}\` for MNIST; a few minutes, cached afterwards)`,
    );
  const { classifier, meta: clsMeta, artifact: clsArtifact } = await loadClassifier(clsDir);
  if (clsMeta.dataset !== data.meta.datasetId)
    logger?.warn('classifier was trained on another dataset', {
      classifier: clsMeta.dataset,
      data: data.meta.datasetId,
    });
  lap('loadSeconds', t);
  logger?.info('checkpoint', {
    run: config.run,
    checkpoint: ref.name,
    iteration: ckpt.meta.iteration,
    data: data.meta.datasetId,
  });

  t = performance.now();
  const reference = await realReference(classifier, data.test, data.train);
  lap('referenceSeconds', t);
  logger?.info('real reference', {
    inceptionScoreTest: reference.inceptionScoreTest,
    frechetTrainVsTest: reference.frechetTrainVsTest,
  });

  const { generator, critic } = checkpointNetworks(ckpt);
  // A VAE (seed 002) has a decoder in the generator's place and an encoder in the critic's: its samples
  // are scored like a GAN's, and the critic's figures (E4, E5, E6, E7, E10, Ŵ₁) do not apply.
  const vae = modelFamily(ckpt) === 'vae';
  const scorer = vae ? null : critic;
  const latentDim = generator.spec.inputSize;
  const noise: LatentNoise = ckpt.config.noise ?? 'normal';
  const drawZ = (seed: number, purpose: string, count: number) => latents(seed, purpose, count, noise);
  const heldOutCount = Math.min(config.heldOutBatch, data.test.count);
  const ctx: ScoringContext = {
    classifier,
    reference,
    latentDim,
    samples: config.samples,
    zSamples: sampleLatents(config.seed, config.samples, latentDim, noise),
    heldOutReal: gatherRows(
      data.test.images,
      sampleIndices(streamRng(config.seed, 'held-out'), data.test.count, heldOutCount),
    ),
    heldOutZ: drawZ(config.seed, 'held-out-z', heldOutCount * latentDim),
    heldOutCount,
  };
  const notes: Record<string, string> = {};

  t = performance.now();
  const score = await scoreCheckpoint(ctx, generator, scorer);
  lap('samplesSeconds', t);
  logger?.info('samples', { inceptionScore: score.inceptionScore, frechet: score.frechet });

  // E1–E3: the data and the models' sizes.
  t = performance.now();
  const E1 = e1FromLabels(data.train.labels, data.meta.classes.length);
  const E2 = e2ForRun(data, ckpt);
  const E3 = e3ModelSize(countTrainable(ckpt.generatorSpec), countTrainable(ckpt.criticSpec));

  // E4: one 5 + 1 cycle, delegated to train.
  let E4: Report['E4'] = null;
  if (vae) {
    notes.E3 = 'a VAE: n_G counts the decoder, n_D the encoder';
    notes.E4 = 'a VAE has no critic/generator cycle (E4 is defined for GANs)';
  } else if (options.oneCycle && !existsSync(join(ref.dir, 'state.json'))) {
    notes.E4 = `not computed: checkpoint ${ref.name} has no training state (state.json: optimiser moments, sampler position), as in a run written by the PyTorch anchor (bench/anchor_crosscheck.py train-run)`;
  } else if (options.oneCycle) {
    const cycle = await options.oneCycle(ref.dir, { seed: config.seed });
    E4 = e4CycleDeltas(cycle, cycle.before, cycle.after);
    const on = cycle.implementation ? ` on ${cycle.implementation}` : '';
    notes.E4 = `one cycle of ${cycle.nCritic} critic + 1 generator updates (the run's n_critic)${on} on a copy of checkpoint ${ref.name} (its optimiser state included)`;
  } else {
    const measured = await trainingE4(runDir);
    notes.E4 = `not computed: no one-cycle function was given (train's runOneCycle does a 5 + 1 update on a copy of the checkpoint)${measured ? `; train-stats.json reports the run's first training cycle as (L̄_D, Δ_D, Δ_G) = ${measured}` : ''}`;
  }

  // E5: a training batch (B of the run) and as many fresh latents.
  const batchSize = Math.min(ckpt.config.batchSize ?? 64, data.train.count);
  let E5: Report['E5'] = null;
  if (scorer) {
    const e5Real = gatherRows(
      data.train.images,
      sampleIndices(streamRng(config.seed, 'E5'), data.train.count, batchSize),
    );
    const e5Fake = await generate(generator, drawZ(config.seed, 'E5-z', batchSize * latentDim), batchSize);
    E5 = e5WassersteinGap(await criticScores(scorer, e5Real, batchSize), await criticScores(scorer, e5Fake, batchSize));
    notes.E5 = `one batch of B = ${batchSize} training images drawn with the evaluation seed, and B generated ones`;
  } else {
    notes.E5 = 'a VAE has no critic to score images with';
  }

  // E6 / E7: the Lipschitz constraint of the run's loss.
  const kind = lossKind(ckpt.meta.loss ?? ckpt.config.loss);
  let E6: Report['E6'] = null;
  let E7: Report['E7'] = null;
  if (vae) {
    notes.E6 = notes.E7 = 'a VAE has no critic (E6 and E7 constrain a WGAN critic)';
  } else if (kind === 'gp') {
    const n = config.gpSamples;
    const rng = streamRng(config.seed, 'E6');
    const real = gatherRows(data.train.images, sampleIndices(rng, data.train.count, Math.min(n, data.train.count)));
    const m = real.length / 784;
    const fake = await generate(generator, drawZ(config.seed, 'E6-z', m * latentDim), m);
    const eps = rng.fillUniform(new Float32Array(m));
    // a config without λ (older runs) gets train's own default, and the note says so
    const lambda = ckpt.config.lambda ?? trainSchema.shape.lambda.parse(undefined);
    E6 = e6PenaltyStats(await criticGradientNorms(critic, interpolate(real, fake, eps), m), lambda);
    const assumed =
      ckpt.config.lambda === undefined
        ? `; the checkpoint config has no lambda: train's default λ = ${lambda} was assumed`
        : '';
    notes.E6 = `N = ${m} interpolates x̂ = εx + (1 − ε)x̃ of training images and samples at the checkpoint; s_g is the population std (the seed's worked example: 0.224 for {0.8, 1.2, 1.0, 0.6})${assumed}`;
    notes.E7 = 'a gradient-penalty run: E7 is for weight clipping';
  } else if (kind === 'clip') {
    const clipValue = ckpt.config.clipValue ?? trainSchema.shape.clipValue.parse(undefined);
    E7 = e7ClipUtilization(
      critic.trainableNames().map((name) => ckpt.criticValues.get(name) as Float32Array),
      clipValue,
    );
    if (ckpt.config.clipValue === undefined)
      notes.E7 = `the checkpoint config has no clipValue: train's default c = ${clipValue} was assumed`;
    notes.E6 = 'a weight-clipping run: E6 is for the gradient penalty';
  } else {
    notes.E6 =
      notes.E7 = `loss "${ckpt.meta.loss ?? ckpt.config.loss ?? 'unknown'}" has neither a gradient penalty nor weight clipping`;
  }

  // E8: drift of the fixed-noise snapshots.
  const { e8: E8, note: e8Note } = await e8ForRun(runDir, ckpt.meta.iteration);
  if (e8Note) notes.E8 = e8Note;

  // E9: latent traversal.
  if (config.traversalIndex >= latentDim)
    throw new PipelineError(
      `latent index ${config.traversalIndex} is out of range for d_z = ${latentDim}`,
      '--traversal-index',
      `pick 0..${latentDim - 1}`,
    );
  // the seed's [−2, 2] for N(0, I); the support [−1, 1] for U(−1, 1) latents
  const values =
    noise === 'uniform' ? traversalValues(config.traversalSteps, -1, 1) : traversalValues(config.traversalSteps);
  const base = drawZ(config.seed, 'E9', latentDim);
  const zTraversal = new Float32Array(values.length * latentDim);
  values.forEach((v, j) => {
    zTraversal.set(base, j * latentDim);
    zTraversal[j * latentDim + config.traversalIndex] = v;
  });
  const traversal = await generate(generator, zTraversal, values.length);
  const E9 = e9TraversalCorrelation(config.traversalIndex, values, traversal);

  // E10: K held-out test pairs.
  const k = Math.min(config.pairs, data.test.count);
  let E10: Report['E10'] = null;
  if (scorer) {
    const e10Real = gatherRows(data.test.images, sampleIndices(streamRng(config.seed, 'E10'), data.test.count, k));
    const e10Fake = await generate(generator, drawZ(config.seed, 'E10-z', k * latentDim), k);
    E10 = e10OrderingAccuracy(await criticScores(scorer, e10Real, k), await criticScores(scorer, e10Fake, k));
  }
  lap('diagnosticsSeconds', t);
  generator.dispose();
  critic.dispose();

  // Critic ranking of every checkpoint.
  let checkpoints: CheckpointScore[] | undefined;
  let bestCheckpoint: Report['bestCheckpoint'];
  if (config.allCheckpoints) {
    t = performance.now();
    checkpoints = [];
    for (const c of await listCheckpoints(runDir)) {
      let s: GeneratorScore;
      if (c.name === ref.name) {
        s = score;
      } else {
        const other = await readCheckpoint(c);
        const nets = checkpointNetworks(other);
        if (nets.generator.spec.inputSize !== latentDim)
          throw new PipelineError(
            `checkpoint ${c.name} has d_z = ${nets.generator.spec.inputSize}, the evaluated one ${latentDim}`,
            c.dir,
            'the run folder mixes runs: retrain it',
          );
        s = await scoreCheckpoint(ctx, nets.generator, vae ? null : nets.critic);
        nets.generator.dispose();
        nets.critic.dispose();
      }
      checkpoints.push({
        iteration: c.iteration,
        checkpoint: c.name,
        inceptionScore: s.inceptionScore,
        frechet: s.frechet,
        wassersteinGap: s.wassersteinGap,
      });
      logger?.info('ranked', {
        checkpoint: c.name,
        inceptionScore: s.inceptionScore,
        frechet: s.frechet,
        wassersteinGap: s.wassersteinGap,
      });
    }
    const best = checkpoints.reduce((a, b) => (b.frechet < a.frechet ? b : a));
    bestCheckpoint = {
      iteration: best.iteration,
      checkpoint: best.checkpoint,
      criterion: 'lowest Fréchet distance to the test set',
    };
    notes.ranking = `every checkpoint scored on the same ${config.samples} latents (IS, FD) and the same held-out batch of ${heldOutCount} test images and latents (Ŵ₁)`;
    lap('rankingSeconds', t);
  }
  classifier.dispose();

  const histogram = chiSquareUniform(score.histogram);
  notes.frechet = `Fréchet distance of Gaussians fitted to the classifier's ${classifier.featureSize} penultimate features (unbiased covariances); train vs test uses the first ${reference.trainCount} training images`;
  notes.E10 = vae
    ? 'a VAE has no critic to order images with'
    : `K = ${k} pairs of random test images and fresh samples, the critic evaluated once`;
  if (!clsMeta.meetsTarget)
    notes.classifier = `classifier test accuracy ${clsMeta.testAccuracy.toFixed(4)} is below ${clsMeta.minTestAccuracy}: retrain it with more epochs (\`${CLASSIFIER_REMAKE}\`)`;
  timings.totalSeconds = (performance.now() - t0) / 1000;

  const files = {
    samples: 'samples.f32',
    samplesPng: 'samples.png',
    traversal: 'traversal.f32',
    traversalPng: 'traversal.png',
    markdown: 'report.md',
    html: 'report.html',
  };
  const draft = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    run: {
      name: config.run,
      model: ckpt.meta.model ?? String(ckpt.config.model ?? 'unknown'),
      loss: ckpt.meta.loss ?? ckpt.config.loss ?? 'unknown',
      iterations: ckpt.meta.iteration,
      totalIterations: ckpt.config.iterations ?? null,
      backend: ckpt.meta.backend ?? 'unknown',
      trainer: trainerDescription(ckpt.meta, ckpt.config as { threads?: unknown }),
      checkpoint: ref.name,
      epoch: ckpt.meta.epoch ?? null,
      latentDim,
      noise,
    },
    evaluation: {
      createdAt: new Date().toISOString(),
      backend: `${backend.name} (${backend.device})`,
      seed: config.seed,
      samples: config.samples,
      data: data.meta.datasetId,
      classifier: displayPath(clsDir),
    },
    E1: { counts: E1.counts, total: E1.total, delta: E1.delta, imbalancePct: E1.imbalancePct },
    E2: {
      batchSize: E2.batchSize,
      mean: E2.mean,
      std: E2.std,
      min: E2.min,
      max: E2.max,
      fracAbsLeHalf: E2.fracAbsLeHalf,
      source: E2.source,
    },
    E3,
    E4,
    E5,
    E6,
    E7,
    E8,
    E9,
    E10,
    inceptionScore: { fake: score.inceptionScore, realTest: reference.inceptionScoreTest, samples: config.samples },
    frechet: {
      fakeVsTest: score.frechet,
      trainVsTest: reference.frechetTrainVsTest,
      features: `classifier penultimate layer (${classifier.featureSize})`,
    },
    classifier: {
      testAccuracy: clsMeta.testAccuracy,
      epochs: clsMeta.epochs,
      seconds: clsMeta.seconds,
      meetsTarget: clsMeta.meetsTarget,
    },
    classHistogram: {
      counts: score.histogram,
      chiSquare: histogram.chiSquare,
      degreesOfFreedom: histogram.degreesOfFreedom,
      pValue: histogram.pValue,
      realTestCounts: reference.testHistogram,
      realTestChiSquare: reference.testChiSquare,
    },
    ...(checkpoints ? { checkpoints, bestCheckpoint } : {}),
    notes,
    files,
    timings,
  };
  const compared = await readComparedReports(config.compare.filter((r) => r !== config.run));
  const comparison = config.compare.length
    ? [comparisonRow(draft, draft, 'this evaluation'), ...compared.map((c) => comparisonRow(c.report, draft, c.path))]
    : undefined;
  const parsed = reportSchema.safeParse(comparison ? { ...draft, comparison } : draft);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PipelineError(
      `report does not match its schema: ${issue.path.join('.')}: ${issue.message}`,
      'report.json',
      'a bug in evaluate (a non-finite number?): report it with the run folder',
      1,
    );
  }
  const report = parsed.data;

  const nSamples = Math.min(SAMPLE_FILE_COUNT, config.samples);
  const samples = score.images.slice(0, nSamples * 784);
  const samplesPng = await gridPng(samples, nSamples, { cols: 10, scale: 2 });
  const traversalPng = await gridPng(traversal, values.length, { cols: values.length, scale: 2 });
  const extraFigures = ((await options.figures?.({ report, samples, traversal })) ?? []).map((f) => ({
    ...f,
    file: `figures/${f.id}.png`,
  }));
  const figures: Figure[] = [
    {
      id: 'samples',
      file: files.samplesPng,
      title: `${nSamples} samples`,
      png: samplesPng,
      caption: `checkpoint ${ref.name}, the first ${nSamples} of the ${config.samples} scored samples`,
    },
    {
      id: 'traversal',
      file: files.traversalPng,
      title: `Latent traversal of z_${config.traversalIndex}`,
      png: traversalPng,
      caption: `${values.length} values from ${values[0]} to ${values[values.length - 1]}, other dimensions fixed; r = ${E9.r === null ? 'N/A' : E9.r.toFixed(3)}`,
    },
    ...extraFigures,
  ];

  const root = artifactsRoot();
  const artifact = await writeArtifact(
    dir,
    {
      stage: EVAL_STAGE,
      packageVersion: pkg.version,
      config,
      parents: [
        parentRef(ckpt.artifact, root),
        parentRef(data.artifact, root),
        parentRef(clsArtifact, root),
        ...compared.map((c) => parentRef(c.artifact, root)),
      ],
      meta: {
        run: config.run,
        checkpoint: ref.name,
        iteration: ckpt.meta.iteration,
        inceptionScore: report.inceptionScore.fake,
        frechet: report.frechet.fakeVsTest,
        samples: { file: files.samples, shape: [nSamples, 784], dtype: 'float32', range: [-1, 1] },
        traversal: {
          file: files.traversal,
          shape: [values.length, 784],
          dtype: 'float32',
          latentIndex: config.traversalIndex,
          values,
        },
        ...(bestCheckpoint ? { bestCheckpoint: bestCheckpoint.checkpoint } : {}),
      },
    },
    async (tmp) => {
      await writeFile(join(tmp, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
      await writeFile(join(tmp, files.markdown), renderMarkdown(report, figures));
      await writeFile(join(tmp, files.html), renderHtml(report, figures));
      await writeFloat32(join(tmp, files.samples), samples);
      await writeFloat32(join(tmp, files.traversal), traversal);
      await writeFile(join(tmp, files.samplesPng), samplesPng);
      await writeFile(join(tmp, files.traversalPng), traversalPng);
      if (extraFigures.length) {
        await mkdir(join(tmp, 'figures'));
        for (const f of extraFigures) await writeFile(join(tmp, f.file), f.png);
      }
    },
  );
  logger?.info('wrote report', { dir, seconds: timings.totalSeconds });
  return { dir, report, artifact, backend };
}
