export * from './likelihood.js';
export * from './architectures.js';
export * from './objective.js';
export * from './manifold.js';
export * from './diagnostics.js';
export * from './trainer.js';
export * from './create.js';
