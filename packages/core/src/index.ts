// @wgan/core's public surface: what the other stages import, by name (a module's other exports stay internal).
export { isPipelineError, inFolder, runCli, PipelineError } from './errors.js';
export { epochPermutation, type RngState, Rng } from './rng.js';
export { resolveConfig, parseConfig, formatPath, readJsonObject, deepMerge, z } from './config.js';
export {
  sha256File,
  sha256Bytes,
  writeArtifact,
  sealArtifact,
  readArtifact,
  parentRef,
  MANIFEST_FILE,
  type ParentRef,
  type Manifest,
  type Artifact,
} from './artifact.js';
export { workspaceRoot, artifactsRoot, artifactPath, artifactPaths } from './paths.js';
export { writeFloat32, readFloat32, writeFileAtomic } from './binary.js';
export { createLogger, silentLogger, type Logger, JsonlWriter } from './logger.js';
export { createProgress } from './progress.js';
export { formatTable } from './table.js';
export { gridImage, encodePng, gridPng, decodeGray, type GridOptions, type GrayImage } from './image.js';
export { artifactName, folderInside, followPointer } from './names.js';
export { lockPathFor, acquireArtifactLock, withArtifactLock } from './lock.js';
