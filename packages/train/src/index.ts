export * from './models/spec.js';
export * from './models/architectures.js';
export * from './models/network.js';
export * from './models/serialize.js';
export * from './trainer.js';
