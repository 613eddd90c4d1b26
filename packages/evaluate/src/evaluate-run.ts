import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { acquireArtifactLock, artifactPaths, PipelineError, z, type Artifact, type Logger } from '@wgan/core';
import { initBackend, type BackendInfo } from '@wgan/core/backend';
import { loadDataset, type Dataset } from '@wgan/data-prep';
import { useConvGradients } from '@wgan/train';
import { artifactDir, classifierDir } from './classifier-stage.js';
import { loadClassifier, CLASSIFIER_REMAKE, type Classifier, type ClassifierMeta } from './classifier.js';
import { gatherRows } from './device.js';
import { diagnose, type EvaluatedModels, type Notes } from './evaluate-diagnostics.js';
import { assembleReport, EVAL_STAGE, writeEvaluation } from './evaluate-report.js';
import { latents, rankCheckpoints, sampleLatents, scoreCheckpoint, type ScoringContext } from './evaluate-scoring.js';
import type { CycleParameters } from './formulas/index.js';
import { realReference, type RealReference } from './references.js';
import type { Figure } from './report-render.js';
import type { Report } from './report-schema.js';
import {
  checkpointNetworks,
  modelFamily,
  readCheckpoint,
  resolveCheckpoint,
  type LoadedCheckpoint,
} from './run-folder.js';
import { sampleIndices, streamRng } from './streams.js';

export { type LatentNoise, sampleLatents } from './evaluate-scoring.js';

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
export { EVAL_STAGE } from './evaluate-report.js';

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

/** Seconds per phase (report.timings), measured with `lap`. */
class Timings {
  readonly seconds: Record<string, number> = {};
  private readonly start = performance.now();

  /** Runs `step` and records its duration under `key`. */
  async lap<T>(key: string, step: () => Promise<T>): Promise<T> {
    const t = performance.now();
    const out = await step();
    this.seconds[key] = (performance.now() - t) / 1000;
    return out;
  }

  total(): void {
    this.seconds.totalSeconds = (performance.now() - this.start) / 1000;
  }
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

/**
 * The evaluation, step by step: load the run's checkpoint, its data and the classifier; the real data's
 * reference figures; score the samples; the diagnostics E1–E10; the ranking of every checkpoint (on request);
 * the report, validated, and the artifact.
 */
async function evaluateInto(dir: string, config: EvaluateConfig, options: EvaluateOptions): Promise<EvaluateResult> {
  const { logger } = options;
  const timings = new Timings();
  const backend = await initBackend(config.backend, { quiet: true });
  useConvGradients(); // conv critics' input gradients (E6) on wasm: XNNPACK convolutions, a correct maxPool gradient
  logger?.info('backend', { name: backend.name, device: backend.device });
  const inputs = await timings.lap('loadSeconds', () => loadInputs(config, logger));
  const reference = await timings.lap('referenceSeconds', () =>
    realReference(inputs.classifier, inputs.data.test, inputs.data.train),
  );
  logger?.info('real reference', {
    inceptionScoreTest: reference.inceptionScoreTest,
    frechetTrainVsTest: reference.frechetTrainVsTest,
  });
  const models = openModels(inputs.ckpt);
  const ctx = scoringContext(config, inputs, reference, models);
  const notes = configNotes(inputs.ckpt);
  const score = await timings.lap('samplesSeconds', () => scoreCheckpoint(ctx, models.generator, models.scorer));
  logger?.info('samples', { inceptionScore: score.inceptionScore, frechet: score.frechet });
  const diagnostics = await timings.lap('diagnosticsSeconds', () =>
    diagnose({ ...inputs, config, models, oneCycle: options.oneCycle }, notes),
  );
  models.generator.dispose();
  models.critic.dispose();
  const ranking = config.allCheckpoints
    ? await timings.lap('rankingSeconds', () =>
        rankCheckpoints(inputs.runDir, { ref: inputs.ckpt.ref, score, vae: models.vae }, ctx, logger),
      )
    : undefined;
  if (ranking) notes.ranking = ranking.note;
  inputs.classifier.dispose();
  timings.total();
  const parts = {
    config,
    ckpt: inputs.ckpt,
    data: inputs.data,
    classifier: { ...inputs.classifierArtifact, featureSize: inputs.classifier.featureSize },
    reference,
    models,
    backend,
    score,
    diagnostics,
    ranking,
    notes,
    timings: timings.seconds,
  };
  const assembled = await assembleReport(parts);
  const artifact = await writeEvaluation(dir, parts, assembled, options.figures);
  logger?.info('wrote report', { dir, seconds: timings.seconds.totalSeconds });
  return { dir, report: assembled.report, artifact, backend };
}

/** What an evaluation reads: the run's checkpoint, the data it was trained on, and the classifier. */
interface EvaluationInputs {
  runDir: string;
  ckpt: LoadedCheckpoint;
  data: Dataset;
  classifier: Classifier;
  classifierArtifact: { dir: string; artifact: Artifact; meta: ClassifierMeta };
}

async function loadInputs(config: EvaluateConfig, logger?: Logger): Promise<EvaluationInputs> {
  const runDir = config.runDir ? artifactDir(config.runDir, '--run-dir') : artifactPaths.run(config.run, '--run');
  if (!existsSync(runDir))
    throw new PipelineError(
      'run folder not found',
      runDir,
      `train it first (\`${TRAIN_REMAKE}\`), or check --run / --run-dir`,
    );
  const ckpt = await readCheckpoint(await resolveCheckpoint(runDir, config.checkpoint));
  const data = await loadDataset(artifactDir(config.data ?? ckpt.config.data, '--data'));
  const datasetId = data.meta.datasetId;
  const clsDir = config.classifier ? artifactDir(config.classifier, '--classifier') : classifierDir(datasetId);
  if (!existsSync(join(clsDir, 'manifest.json')))
    throw new PipelineError(
      `no classifier artifact for the dataset "${datasetId}"`,
      clsDir,
      `train it once (\`npx tsx packages/evaluate/src/cli.ts classifier --dataset ${datasetId}\`, ` +
        `or \`${CLASSIFIER_REMAKE}\` for MNIST; a few minutes, cached afterwards)`,
    );
  const { classifier, meta, artifact } = await loadClassifier(clsDir);
  if (meta.dataset !== datasetId)
    logger?.warn('classifier was trained on another dataset', { classifier: meta.dataset, data: datasetId });
  logger?.info('checkpoint', {
    run: config.run,
    checkpoint: ckpt.ref.name,
    iteration: ckpt.meta.iteration,
    data: datasetId,
  });
  return { runDir, ckpt, data, classifier, classifierArtifact: { dir: clsDir, artifact, meta } };
}

/**
 * The checkpoint's networks on the device. A VAE (seed 002) has a decoder in the generator's place and an
 * encoder in the critic's: its samples are scored like a GAN's, and the critic's figures (E4, E5, E6, E7,
 * E10, Ŵ₁) do not apply.
 */
function openModels(ckpt: LoadedCheckpoint): EvaluatedModels {
  const { generator, critic } = checkpointNetworks(ckpt);
  const vae = modelFamily(ckpt) === 'vae';
  return {
    generator,
    critic,
    scorer: vae ? null : critic,
    vae,
    latentDim: generator.spec.inputSize,
    noise: ckpt.config.noise,
  };
}

/** The fixed latents and held-out batch every checkpoint of the run is scored on. */
function scoringContext(
  config: EvaluateConfig,
  inputs: EvaluationInputs,
  reference: RealReference,
  models: EvaluatedModels,
): ScoringContext {
  const { data } = inputs;
  const heldOutCount = Math.min(config.heldOutBatch, data.test.count);
  const heldOutIndices = sampleIndices(streamRng(config.seed, 'held-out'), data.test.count, heldOutCount);
  return {
    classifier: inputs.classifier,
    reference,
    latentDim: models.latentDim,
    samples: config.samples,
    zSamples: sampleLatents(config.seed, config.samples, models.latentDim, models.noise),
    heldOutReal: gatherRows(data.test.images, heldOutIndices),
    heldOutZ: latents(config.seed, 'held-out-z', heldOutCount * models.latentDim, models.noise),
    heldOutCount,
  };
}

/**
 * The note on a checkpoint config that lacks keys of train's schema (older runs, other writers): which ones,
 * and that train's defaults stand in for them, so no default is assumed silently.
 */
function configNotes(ckpt: LoadedCheckpoint): Notes {
  if (!ckpt.defaultedConfig.length) return {};
  const values = ckpt.defaultedConfig.map(
    (k) => `${k} = ${JSON.stringify(ckpt.config[k as keyof typeof ckpt.config])}`,
  );
  return {
    config:
      `the checkpoint config (${join(ckpt.dir, 'manifest.json')}) lacks ${ckpt.defaultedConfig.join(', ')}: ` +
      `train's defaults were used (${values.join(', ')})`,
  };
}
