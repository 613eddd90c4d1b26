// @wgan/evaluate's public surface: entry points, config schema, result types (other exports stay internal).
/** E1–E10, the inception score and the Fréchet distance: the pure formulas, listed by name in formulas/index.ts. */
export * as formulas from './formulas/index.js';
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
