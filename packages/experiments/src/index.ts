// @wgan/experiments's public surface: entry points, config schema, result types (other exports stay internal).
export {
  ringSchema,
  type RingConfig,
  wdistanceSchema,
  type WDistanceConfig,
  ganVsWganSchema,
  type GanVsWganConfig,
} from './config.js';
export { sampleRing, ringMetrics } from './ring-data.js';
export { runRing, type RingResult } from './ring.js';
export { runWDistance, type WDistanceResult } from './wdistance.js';
export { runGanVsWgan, type GanVsWganResult } from './gan-vs-wgan.js';
