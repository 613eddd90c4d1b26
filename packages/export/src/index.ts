// @wgan/export's public surface: entry points, config schema, result types (other exports stay internal).
export { networkToOnnx } from './convert.js';
export { checkOnnxModels } from './checker.js';
export { loadCheckpoint } from './checkpoint.js';
export { exportSchema, type ExportConfig } from './config.js';
export { measureParity, type ParityResult } from './parity.js';
export { exportCheckpoint, EXPORT_STAGE, type ExportMeta, type ExportResult } from './export.js';
export {
  compareWithReference,
  confidenceFactor,
  FALSE_ALARM_PROBABILITY,
  referenceForward,
  type Reference,
  type ReferenceComparison,
} from './reference.js';
