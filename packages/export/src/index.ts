export * from './convert.js';
export * from './checker.js';
export * from './checkpoint.js';
export * from './config.js';
export * from './parity.js';
export * from './export.js';
