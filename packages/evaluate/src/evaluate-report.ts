import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  artifactsRoot,
  gridPng,
  parentRef,
  PipelineError,
  writeArtifact,
  writeFloat32,
  type Artifact,
} from '@wgan/core';
import type { Dataset } from '@wgan/data-prep';
import { CLASSIFIER_REMAKE, type ClassifierMeta } from './classifier.js';
import { displayPath } from './classifier-stage.js';
import { comparisonRow, readComparedReports } from './comparison.js';
import type { Diagnostics, EvaluatedModels, Notes } from './evaluate-diagnostics.js';
import type { GeneratorScore, Ranking } from './evaluate-scoring.js';
import type { EvaluateConfig, FigureRenderer } from './evaluate-run.js';
import { chiSquareUniform } from './formulas/index.js';
import type { RealReference } from './references.js';
import { renderHtml, renderMarkdown, type Figure } from './report-render.js';
import { REPORT_SCHEMA_VERSION, reportSchema, type Report } from './report-schema.js';
import { trainerDescription, type LoadedCheckpoint } from './run-folder.js';
import pkg from '../package.json' with { type: 'json' };

/** report.json assembled from the evaluation's parts and validated, and the evaluation artifact written. */

export const EVAL_STAGE = 'evaluate';
const SAMPLE_FILE_COUNT = 100;

export const REPORT_FILES = {
  samples: 'samples.f32',
  samplesPng: 'samples.png',
  traversal: 'traversal.f32',
  traversalPng: 'traversal.png',
  markdown: 'report.md',
  html: 'report.html',
};

/** Everything the report is assembled from. */
export interface EvaluationParts {
  config: EvaluateConfig;
  ckpt: LoadedCheckpoint;
  data: Dataset;
  classifier: { dir: string; artifact: Artifact; meta: ClassifierMeta; featureSize: number };
  reference: RealReference;
  models: Pick<EvaluatedModels, 'latentDim' | 'noise'>;
  backend: { name: string; device: string };
  score: GeneratorScore;
  diagnostics: Diagnostics;
  ranking?: Ranking;
  notes: Notes;
  timings: Record<string, number>;
}

/** The run's description in the report: what was trained, how, and which checkpoint is scored. */
function runSection(p: EvaluationParts): Report['run'] {
  const { ckpt } = p;
  return {
    name: p.config.run,
    model: ckpt.meta.model ?? ckpt.config.model,
    loss: ckpt.meta.loss ?? ckpt.config.loss,
    iterations: ckpt.meta.iteration,
    totalIterations: ckpt.defaultedConfig.includes('iterations') ? null : ckpt.config.iterations,
    backend: ckpt.meta.backend ?? 'unknown',
    trainer: trainerDescription(ckpt.meta, ckpt.config),
    checkpoint: ckpt.ref.name,
    epoch: ckpt.meta.epoch ?? null,
    latentDim: p.models.latentDim,
    noise: p.models.noise,
  };
}

/** The notes that close the report: the Fréchet features, the classifier's accuracy when below its target. */
function closingNotes(p: EvaluationParts): void {
  const { meta } = p.classifier;
  p.notes.frechet =
    `Fréchet distance of Gaussians fitted to the classifier's ${p.classifier.featureSize} penultimate features ` +
    `(unbiased covariances); train vs test uses the first ${p.reference.trainCount} training images`;
  if (!meta.meetsTarget)
    p.notes.classifier =
      `classifier test accuracy ${meta.testAccuracy.toFixed(4)} is below ${meta.minTestAccuracy}: ` +
      `retrain it with more epochs (\`${CLASSIFIER_REMAKE}\`)`;
}

/** report.json's content, validated with its schema, and the compared runs' reports it includes. */
export async function assembleReport(
  p: EvaluationParts,
): Promise<{ report: Report; compared: Awaited<ReturnType<typeof readComparedReports>> }> {
  const { config, diagnostics: d, score, reference, classifier } = p;
  closingNotes(p);
  const histogram = chiSquareUniform(score.histogram);
  const draft = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    run: runSection(p),
    evaluation: {
      createdAt: new Date().toISOString(),
      backend: `${p.backend.name} (${p.backend.device})`,
      seed: config.seed,
      samples: config.samples,
      data: p.data.meta.datasetId,
      classifier: displayPath(classifier.dir),
    },
    E1: { counts: d.E1.counts, total: d.E1.total, delta: d.E1.delta, imbalancePct: d.E1.imbalancePct },
    E2: {
      batchSize: d.E2.batchSize,
      mean: d.E2.mean,
      std: d.E2.std,
      min: d.E2.min,
      max: d.E2.max,
      fracAbsLeHalf: d.E2.fracAbsLeHalf,
      source: d.E2.source,
    },
    E3: d.E3,
    E4: d.E4,
    E5: d.E5,
    E6: d.E6,
    E7: d.E7,
    E8: d.E8,
    E9: d.E9,
    E10: d.E10,
    inceptionScore: { fake: score.inceptionScore, realTest: reference.inceptionScoreTest, samples: config.samples },
    frechet: {
      fakeVsTest: score.frechet,
      trainVsTest: reference.frechetTrainVsTest,
      features: `classifier penultimate layer (${classifier.featureSize})`,
    },
    classifier: {
      testAccuracy: classifier.meta.testAccuracy,
      epochs: classifier.meta.epochs,
      seconds: classifier.meta.seconds,
      meetsTarget: classifier.meta.meetsTarget,
    },
    classHistogram: {
      counts: score.histogram,
      chiSquare: histogram.chiSquare,
      degreesOfFreedom: histogram.degreesOfFreedom,
      pValue: histogram.pValue,
      realTestCounts: reference.testHistogram,
      realTestChiSquare: reference.testChiSquare,
    },
    ...(p.ranking ? { checkpoints: p.ranking.checkpoints, bestCheckpoint: p.ranking.bestCheckpoint } : {}),
    notes: p.notes,
    files: REPORT_FILES,
    timings: p.timings,
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
  return { report: parsed.data, compared };
}

/** The report's figures: the first samples, the traversal, and the renderer's extra ones (figures/<id>.png). */
async function reportFigures(
  report: Report,
  p: EvaluationParts,
  figures?: FigureRenderer,
): Promise<{ samples: Float32Array; figures: Figure[]; extra: Figure[] }> {
  const { config, diagnostics: d } = p;
  const values = d.traversalValues;
  const nSamples = Math.min(SAMPLE_FILE_COUNT, config.samples);
  const samples = p.score.images.slice(0, nSamples * 784);
  const extra = ((await figures?.({ report, samples, traversal: d.traversal })) ?? []).map((f) => ({
    ...f,
    file: `figures/${f.id}.png`,
  }));
  const r = d.E9.r === null ? 'N/A' : d.E9.r.toFixed(3);
  return {
    samples,
    extra,
    figures: [
      {
        id: 'samples',
        file: REPORT_FILES.samplesPng,
        title: `${nSamples} samples`,
        png: await gridPng(samples, nSamples, { cols: 10, scale: 2 }),
        caption: `checkpoint ${p.ckpt.ref.name}, the first ${nSamples} of the ${config.samples} scored samples`,
      },
      {
        id: 'traversal',
        file: REPORT_FILES.traversalPng,
        title: `Latent traversal of z_${config.traversalIndex}`,
        png: await gridPng(d.traversal, values.length, { cols: values.length, scale: 2 }),
        caption:
          `${values.length} values from ${values[0]} to ${values[values.length - 1]}, other dimensions fixed; ` +
          `r = ${r}`,
      },
      ...extra,
    ],
  };
}

/** Writes artifacts/eval/<run>/ (or --out): report.json/.md/.html, the sample and traversal files, figures. */
export async function writeEvaluation(
  dir: string,
  p: EvaluationParts,
  assembled: Awaited<ReturnType<typeof assembleReport>>,
  renderer?: FigureRenderer,
): Promise<Artifact> {
  const { report, compared } = assembled;
  const { config, ckpt } = p;
  const { samples, figures, extra } = await reportFigures(report, p, renderer);
  const [samplesFigure, traversalFigure] = figures;
  const values = p.diagnostics.traversalValues;
  const root = artifactsRoot();
  return writeArtifact(
    dir,
    {
      stage: EVAL_STAGE,
      packageVersion: pkg.version,
      config,
      parents: [
        parentRef(ckpt.artifact, root),
        parentRef(p.data.artifact, root),
        parentRef(p.classifier.artifact, root),
        ...compared.map((c) => parentRef(c.artifact, root)),
      ],
      meta: {
        run: config.run,
        checkpoint: ckpt.ref.name,
        iteration: ckpt.meta.iteration,
        inceptionScore: report.inceptionScore.fake,
        frechet: report.frechet.fakeVsTest,
        samples: {
          file: REPORT_FILES.samples,
          shape: [samples.length / 784, 784],
          dtype: 'float32',
          range: [-1, 1],
        },
        traversal: {
          file: REPORT_FILES.traversal,
          shape: [values.length, 784],
          dtype: 'float32',
          latentIndex: config.traversalIndex,
          values,
        },
        ...(p.ranking ? { bestCheckpoint: p.ranking.bestCheckpoint.checkpoint } : {}),
      },
    },
    async (tmp) => {
      await writeFile(join(tmp, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
      await writeFile(join(tmp, REPORT_FILES.markdown), renderMarkdown(report, figures));
      await writeFile(join(tmp, REPORT_FILES.html), renderHtml(report, figures));
      await writeFloat32(join(tmp, REPORT_FILES.samples), samples);
      await writeFloat32(join(tmp, REPORT_FILES.traversal), p.diagnostics.traversal);
      await writeFile(join(tmp, REPORT_FILES.samplesPng), samplesFigure.png);
      await writeFile(join(tmp, REPORT_FILES.traversalPng), traversalFigure.png);
      if (extra.length) {
        await mkdir(join(tmp, 'figures'));
        for (const f of extra) await writeFile(join(tmp, f.file), f.png);
      }
    },
  );
}
