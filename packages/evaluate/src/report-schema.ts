import { z } from '@wgan/core';

/**
 * report.json: what notebooks, scripts, render and the experiments read. Validated before it is written.
 * Every figure at full precision (report.md rounds to 3 decimals, as the seed asks). E-answers are
 * objects with named fields, or null where they do not apply (E6 on clip runs, E7 on GP runs) or could
 * not be computed; `notes` says why for each null.
 */
export const REPORT_SCHEMA_VERSION = 1;

const num = z.number(); // finite: zod rejects NaN and ±Infinity
const count = z.number().int().nonnegative();

export const e1Schema = z.object({ counts: z.array(count), total: count, delta: count, imbalancePct: num }).strict();
export const e2Schema = z
  .object({
    batchSize: count,
    mean: num,
    std: num,
    min: num,
    max: num,
    fracAbsLeHalf: num,
    /** Which batch: train's first (seed, B from the checkpoint's config) or data-prep's. */
    source: z.string(),
  })
  .strict();
export const e3Schema = z.object({ nG: count, nD: count, ratio: num, sizeMb: num }).strict();
export const e4Schema = z
  .object({
    nCritic: z.number().int().positive().optional(),
    lossD: z.array(num).optional(),
    lossDMean: num,
    deltaD: num,
    deltaG: num,
  })
  .strict();
export const e5Schema = z.object({ batchSize: count, dReal: num, dFake: num, wassersteinGap: num }).strict();
export const e6Schema = z
  .object({ n: count, lambda: num, gradNormMean: num, gradNormStd: num, gradientPenalty: num })
  .strict();
export const e7Schema = z
  .object({ clipValue: num, weights: count, fracAtBound: num, meanAbsWeight: num, maxAbsRatio: num })
  .strict();
export const e8Schema = z
  .object({
    iterations: z.array(count).min(3),
    d12: num,
    d23: num,
    drifts: z.array(z.object({ from: count, to: count, d: num }).strict()),
  })
  .strict();
export const e9Schema = z
  .object({ latentIndex: count, values: z.array(num), meanIntensity: z.array(num), r: num.nullable() })
  .strict();
export const e10Schema = z.object({ pairs: count, correct: count, accuracy: num }).strict();

export const checkpointScoreSchema = z
  .object({
    iteration: count,
    checkpoint: z.string(),
    inceptionScore: num,
    frechet: num,
    /** Ŵ₁ = mean D(x_test) − mean D(G(z)) on the fixed held-out batch; null for a VAE (no critic). */
    wassersteinGap: num.nullable(),
  })
  .strict();

/**
 * One row of the comparison table: a run's sample scores, from this evaluation or from another run's
 * report.json (`--compare`), e.g. the VAE next to the GANs.
 */
export const comparisonRowSchema = z
  .object({
    run: z.string(),
    model: z.string(),
    loss: z.string(),
    iteration: count,
    samples: count,
    inceptionScore: num,
    frechet: num,
    chiSquare: num,
    /** Predicted-class counts of the samples. */
    counts: z.array(count).length(10),
    /** The classifier artifact and its test accuracy: scores compare only under the same classifier. */
    classifier: z.string(),
    classifierAccuracy: num,
    sameClassifier: z.boolean(),
    /** "this evaluation", or the report.json it was read from (relative to the workspace). */
    source: z.string(),
  })
  .strict();

export const reportSchema = z
  .object({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    run: z
      .object({
        name: z.string(),
        model: z.string(),
        loss: z.string(),
        /** Generator iterations of the evaluated checkpoint. */
        iterations: count,
        /** The run's configured total, when its config says. */
        totalIterations: count.nullable(),
        backend: z.string(),
        /** The trainer implementation and its device, e.g. "onnx-cpu (onnxruntime CPU, 1 thread)". */
        trainer: z.string().optional(),
        checkpoint: z.string(),
        epoch: num.nullable(),
        latentDim: count,
        /**
         * The latent distribution the samples were drawn from (the run's: N(0, I), or U(−1, 1) for seed 002's GANs).
         */
        noise: z.enum(['normal', 'uniform']).optional(),
      })
      .strict(),
    evaluation: z
      .object({
        createdAt: z.string(),
        backend: z.string(),
        seed: count,
        samples: count,
        data: z.string(),
        /** The classifier artifact, relative to the workspace root when inside it. */
        classifier: z.string(),
      })
      .strict(),
    E1: e1Schema,
    E2: e2Schema,
    E3: e3Schema,
    E4: e4Schema.nullable(),
    /** null for a VAE (no critic), as E10. */
    E5: e5Schema.nullable(),
    E6: e6Schema.nullable(),
    E7: e7Schema.nullable(),
    E8: e8Schema.nullable(),
    E9: e9Schema,
    E10: e10Schema.nullable(),
    inceptionScore: z.object({ fake: num, realTest: num, samples: count }).strict(),
    frechet: z.object({ fakeVsTest: num, trainVsTest: num, features: z.string() }).strict(),
    classifier: z.object({ testAccuracy: num, epochs: count, seconds: num, meetsTarget: z.boolean() }).strict(),
    classHistogram: z
      .object({
        counts: z.array(count).length(10),
        chiSquare: num,
        degreesOfFreedom: count,
        pValue: num,
        /** The classifier's histogram of the real test set and its χ² (the reference). */
        realTestCounts: z.array(count).length(10),
        realTestChiSquare: num,
      })
      .strict(),
    /** Every checkpoint scored (--all-checkpoints), ascending iteration; absent otherwise. */
    checkpoints: z.array(checkpointScoreSchema).optional(),
    bestCheckpoint: z.object({ iteration: count, checkpoint: z.string(), criterion: z.string() }).strict().optional(),
    /** This run next to the runs named with --compare (absent without). */
    comparison: z.array(comparisonRowSchema).optional(),
    /** Why an E-answer is null, or how it was measured when it departs from the seed's wording. */
    notes: z.record(z.string(), z.string()),
    /** Files of the artifact besides report.json (samples.f32, traversal.f32, PNGs). */
    files: z.record(z.string(), z.string()),
    timings: z.record(z.string(), num),
  })
  .strict();

export type Report = z.output<typeof reportSchema>;
export type CheckpointScore = z.output<typeof checkpointScoreSchema>;
export type ComparisonRow = z.output<typeof comparisonRowSchema>;
