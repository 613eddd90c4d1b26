/**
 * @wgan/train's public surface, by name. Test helpers (a tiny data artifact, tiny configs) are behind
 * the `@wgan/train/testing` subpath, not here.
 */
export {
  countTrainable,
  type InitSpec,
  isDenseChain,
  type LayerSpec,
  type LayerType,
  type NetworkSpec,
  outputRange,
  type ParamSpec,
  paramSpecs,
  sizeOf,
  toPipelineScale,
} from './models/spec.js';
export {
  dcganDiscriminator,
  dcganGenerator,
  denseStack,
  IMAGE_SIZE,
  SEED001_CRITIC_HIDDEN,
  SEED001_GENERATOR_HIDDEN,
  seed001Critic,
  seed001Generator,
  SEED002_DISCRIMINATOR_HIDDEN,
  SEED002_GENERATOR_HIDDEN,
  seed002Discriminator,
  seed002Generator,
} from './models/architectures.js';
export { type BatchStat, initialValues, Network, updateBatchNormStats } from './models/network.js';
export {
  type NamedTensor,
  NETWORK_FORMAT,
  readNetwork,
  readTensorFile,
  writeNetwork,
  writeTensorFile,
} from './models/serialize.js';
export {
  type EpochContext,
  type EpochReporter,
  type FamilyEpochDiagnostics,
  GAN_LOSS_FIELDS,
  GAN_RUNNING_FIELDS,
  type IterationInputs,
  type IterationStats,
  type NamedValues,
  type OptimizerState,
  STAT_FIELDS,
  type StatsRecord,
  type Trainer,
  type TrainerState,
  type WganStepSettings,
} from './trainer.js';
export {
  bceDiscriminatorLoss,
  bceGeneratorLoss,
  bceSaturatingGeneratorLoss,
  bceWithLogits,
  discriminatorObjective,
  GAN_LOSSES,
  type GanLoss,
  generatorObjective,
  gradientPenalty,
  interpolate,
  isWasserstein,
  lsganDiscriminatorLoss,
  lsganGeneratorLoss,
  rowNorms,
  wassersteinCriticLoss,
  wassersteinGap,
  wassersteinGeneratorLoss,
} from './losses.js';
export {
  criticInputGradient,
  criticInputGradientAutodiff,
  registerSecondOrderGradients,
  supportsClosedForm,
} from './trainers/tfjs/penalty.js';
export { createOptimizer, type Optimizer, type OptimizerConfig } from './optimizers.js';
export {
  LOSSES,
  MODEL_DEFAULTS,
  type ModelFamily,
  MODELS,
  N_CRITIC_DEFAULTS,
  OPTIMIZER_DEFAULTS,
  resolveTrainConfig,
  type SavedTrainConfig,
  savedTrainConfig,
  type TrainConfig,
  trainSchema,
} from './config.js';
export {
  BatchSampler,
  type BatchSamplerOptions,
  drawIterationInputs,
  drawLatents,
  type LatentNoise,
  type SamplerPosition,
} from './sampling.js';
export {
  type Checkpoint,
  CHECKPOINT_NAME,
  type CheckpointMeta,
  checkpointMetaSchema,
  type CheckpointModels,
  CHECKPOINT_STAGE,
  checkpointName,
  checkpointsDir,
  type CheckpointState,
  listCheckpoints,
  pruneCheckpoints,
  readCheckpoint,
  readCheckpointModels,
  resolveCheckpoint,
  type RunningMeans,
  writeCheckpoint,
} from './checkpoint.js';
export {
  type E3,
  e3ModelSize,
  type E4,
  type E5,
  type E6,
  e6FromNorms,
  type E7,
  e7Clipping,
  e7FromWeights,
  epochDiagnostics,
  type EpochDiagnostics,
  parameterDelta,
} from './diagnostics.js';
export {
  buildModels,
  createGanTrainer,
  createTrainer,
  type GanImplementation,
  ganLoss,
  type GanTrainerRequest,
  isWganSettings,
  modelSpecs,
  stepSettings,
} from './factory.js';
export { TfjsAutodiffTrainer, type TfjsAutodiffTrainerOptions } from './trainers/tfjs-autodiff/trainer.js';
export { firstCycleE4, train, type TrainOptions, type TrainResult, type TrainStats } from './loop.js';
export { type GanEpochDiagnostics, GanEpochReporter, ganEpochSummary } from './gan-epoch-reporter.js';
export { addToRunning, freshRunning, metricsLine, type MetricsLine, runningMeans } from './metrics.js';
export {
  METRICS_FILE,
  removeTemporaries,
  type RunMetadata,
  snapshotBase,
  truncateMetrics,
  writeJson,
  writeMetadata,
  writeSnapshot,
} from './run-files.js';
export {
  denseLayers,
  supportsManualMlp,
  TfjsManualTrainer,
  type TfjsManualTrainerOptions,
} from './trainers/tfjs-manual/trainer.js';
export { matMulTransposeA, matMulTransposeB, useFastMatMulGradients } from './trainers/tfjs/fast-matmul.js';
export {
  DEFAULT_TILE_CHOICE,
  DEFAULT_TUNING,
  defaultOptimizer,
  type FusedTrainerOptions,
  type KernelTuning,
  type TileChoice,
  type TileConfig,
  TILES,
  WebgpuFusedTrainer,
} from './trainers/webgpu-fused/index.js';
export { type OneCycle, runOneCycle } from './one-cycle.js';
export {
  type AttributeValue,
  type DecodedGraph,
  type DecodedNode,
  decodeModel,
  type Dim,
  GraphBuilder,
  IR_VERSION,
  onnx,
  OPSET,
  type ValueInfo,
} from './trainers/onnx-cpu/graph.js';
export {
  type ActivationKind,
  denseChain,
  type DenseChain,
  type DenseLayer,
  flatten,
  unflatten,
} from './models/dense-chain.js';
export { Ops } from './trainers/onnx-cpu/ops.js';
export {
  buildGeneratorGraph,
  buildWganIterationGraph,
  iterationFlops,
  slotNames,
  type WganGraph,
  type WganGraphOptions,
} from './trainers/onnx-cpu/wgan-graph.js';
export {
  loadOnnxRuntime,
  OnnxCpuTrainer,
  type OnnxCpuTrainerOptions,
  type OnnxOptimizerPath,
  onnxSessionOptions,
  onnxThreads,
} from './trainers/onnx-cpu/trainer.js';
export {
  fusedOptimizerPath,
  fusedUpdate,
  loadFusedOptimizer,
  type FusedOptimizerAddon,
  type FusedOptimizerLoad,
} from './trainers/onnx-cpu/fused-optimizer.js';
export { buildCriticStepGraph, buildGeneratorStepGraph, CRITIC_STEP_STATS } from './trainers/onnx-cpu/step-graphs.js';
export {
  conv2dFilterGradient,
  conv2dFilterGradientStride1,
  conv2dInputGradientStride1,
  maxPoolRoutedGradient,
  useConvGradients,
} from './trainers/tfjs/conv-gradients.js';
export {
  continuousBernoulliTerms,
  createVaeTrainer,
  decodeLogits,
  decoderLogitLayers,
  encode,
  epochTag,
  gaussianKl,
  interleaveRows,
  klToStandardNormal,
  LOG_C_TAYLOR_BOUND,
  logNormalizer,
  MANIFOLD_SIDE,
  manifoldLatents,
  normalQuantile,
  RECONSTRUCTION_COUNT,
  reparameterize,
  SEED002_DECODER_HIDDEN,
  SEED002_ENCODER_HIDDEN,
  seed002Decoder,
  seed002Encoder,
  toUnitInterval,
  VAE_DIR,
  VAE_STAT_FIELDS,
  VaeDiagnostics,
  type VaeDiagnosticsOptions,
  type VaeEpochDiagnostics,
  vaeObjective,
  type VaeStats,
  type VaeTerms,
  type VaeTestFigures,
  VaeTrainer,
  type VaeTrainerOptions,
} from './vae/index.js';
