export * from './config.js';
export * from './model.js';
export * from './requests.js';
export * from './sampling.js';
export * from './server.js';
export * from './queue.js';
