// @wgan/data-prep's public surface: what the other stages import, by name (a module's other exports stay internal).
export { DATASETS } from './datasets.js';
export { parseImages, encodeIdx, IMAGE_MAGIC, LABEL_MAGIC, PIXELS } from './idx.js';
export { normalizeImages } from './transform.js';
export { classCounts, e1FromCounts, e2FromBatch, type E1, type E2 } from './stats.js';
export { mnistPackageFolder } from './sources.js';
export { dataPrepSchema, type DataPrepConfig } from './config.js';
export { datasetId, prepareDataset, type DataMeta, type PrepareResult } from './prepare.js';
export { loadDataset, type DataSplit, type Dataset } from './load.js';
