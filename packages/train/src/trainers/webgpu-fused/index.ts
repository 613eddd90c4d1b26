/**
 * The fused WebGPU training path: WebgpuFusedTrainer implements the Trainer contract for
 * dense-chain GANs with a handful of WGSL kernels, one command buffer per generator iteration.
 */
export {
  WebgpuFusedTrainer,
  defaultOptimizer,
  DEFAULT_TUNING,
  type FusedTrainerOptions,
  type KernelTuning,
} from './trainer.js';
export { DEFAULT_TILE_CHOICE, TILES, type TileChoice, type TileConfig } from './kernels/matmul.js';
