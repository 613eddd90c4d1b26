// @wgan/evaluate's public surface: entry points, config schema, result types (other exports stay internal).
export {
  mean,
  populationStd,
  pearson,
  linspace,
  l2Distance,
  e1FromLabels,
  type E1,
  type E2,
  e1FromCounts,
  e2FromBatch,
  e3ModelSize,
  type E3,
  e4CycleDeltas,
  type E4,
  type CycleParameters,
  e5WassersteinGap,
  e10OrderingAccuracy,
  type E5,
  type E10,
  e6PenaltyStats,
  e7ClipUtilization,
  type E6,
  type E7,
  meanAbsDifference,
  e8FixedNoiseDrift,
  driftIterations,
  type Snapshot,
  type E8,
  traversalValues,
  e9TraversalCorrelation,
  type E9,
  inceptionScore,
  INCEPTION_EPS,
  classHistogram,
  chiSquareUniform,
  regularizedGammaQ,
  logGamma,
  type ChiSquare,
  gaussianStats,
  gaussianStatsFromGram,
  sqrtPsd,
  traceSqrtProductWithRoot,
  traceSqrtProduct,
  frechetReference,
  frechetDistanceTo,
  frechetDistance,
  frechetDistanceOfFeatures,
  type GaussianStats,
  type FrechetReference,
} from './formulas/index.js';
export {
  trainClassifier,
  loadClassifier,
  CLASSIFIER_STAGE,
  classifierSchema,
  type ClassifierConfig,
  Classifier,
} from './classifier.js';
export { artifactDir, buildClassifier } from './classifier-stage.js';
export { evaluatePaths } from './paths.js';
export { generate, criticScores, criticGradientNorms } from './device.js';
export { resolveCheckpoint, readCheckpoint, checkpointNetworks } from './run-folder.js';
export { REPORT_SCHEMA_VERSION, reportSchema, type Report } from './report-schema.js';
export { renderMarkdown, renderHtml } from './report-render.js';
export {
  evaluateRun,
  sampleLatents,
  EVAL_STAGE,
  evaluateSchema,
  type EvaluateConfig,
  type EvaluateOptions,
  type EvaluateResult,
} from './evaluate-run.js';
export { compareRuns, COMPARE_STAGE, compareSchema, type CompareConfig, type Comparison } from './compare.js';
export { labelAgreement, scoreConditional, conditionalGrid, type ConditionalScores } from './conditional.js';
