export * from './series.js';
export * from './plots.js';
export * from './grids.js';
export * from './inputs.js';
export * from './figures.js';
export * from './config.js';
export * from './render-run.js';
export * from './vae-figures.js';
