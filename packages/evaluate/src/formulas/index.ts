export { mean, populationStd, pearson, linspace, l2Distance } from './stats.js';
export { e1FromLabels, type E1, type E2, e1FromCounts, e2FromBatch } from './dataset.js';
export { e3ModelSize, type E3 } from './model-size.js';
export { e4CycleDeltas, type E4, type CycleParameters } from './training-cycle.js';
export { e5WassersteinGap, e10OrderingAccuracy, type E5, type E10 } from './critic.js';
export { e6PenaltyStats, e7ClipUtilization, type E6, type E7 } from './lipschitz.js';
export { meanAbsDifference, e8FixedNoiseDrift, driftIterations, type Snapshot, type E8 } from './drift.js';
export { traversalValues, e9TraversalCorrelation, type E9 } from './traversal.js';
export { inceptionScore, INCEPTION_EPS } from './inception.js';
export { classHistogram, chiSquareUniform, regularizedGammaQ, logGamma, type ChiSquare } from './histogram.js';
export {
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
} from './frechet.js';
