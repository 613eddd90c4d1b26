/** The VAE family (seed 002, Part I): its likelihood, architectures, objective, diagnostics and trainer. */
export {
  continuousBernoulliTerms,
  gaussianKl,
  klToStandardNormal,
  LOG_C_TAYLOR_BOUND,
  logNormalizer,
  reparameterize,
} from './likelihood.js';
export {
  decoderLogitLayers,
  SEED002_DECODER_HIDDEN,
  SEED002_ENCODER_HIDDEN,
  seed002Decoder,
  seed002Encoder,
} from './architectures.js';
export { decodeLogits, encode, toUnitInterval, vaeObjective, type VaeTerms } from './objective.js';
export { manifoldLatents, normalQuantile } from './manifold.js';
export {
  epochTag,
  interleaveRows,
  MANIFOLD_SIDE,
  RECONSTRUCTION_COUNT,
  VAE_DIR,
  VaeDiagnostics,
  type VaeDiagnosticsOptions,
  type VaeEpochDiagnostics,
  type VaeTestFigures,
} from './diagnostics.js';
export { VAE_STAT_FIELDS, type VaeStats, VaeTrainer, type VaeTrainerOptions } from './trainer.js';
export { createVaeTrainer } from './create.js';
