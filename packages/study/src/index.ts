export * from './spec.js';
export * from './stats.js';
export * from './executor.js';
export * from './local.js';
export * from './report.js';
export * from './queue.js';
