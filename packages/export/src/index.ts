export * from './convert.js';
export * from './checker.js';
export * from './checkpoint.js';
export * from './config.js';
export * from './parity.js';
export * from './export.js';
export {
  compareWithReference,
  confidenceFactor,
  FALSE_ALARM_PROBABILITY,
  referenceForward,
  type Reference,
  type ReferenceComparison,
} from './reference.js';
