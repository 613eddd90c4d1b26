import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { followPointer, PipelineError, readArtifact, readFloat32, z, type Artifact } from '@wgan/core';
import { readNetwork, Network, type NetworkSpec } from '@wgan/train';

/**
 * Reading a train run folder, artifacts/runs/<run>/ (written by train):
 *   checkpoints/<8-digit iteration>/   artifacts of stage "train-checkpoint" (generator.json/.weights.bin,
 *                                      critic.json/.weights.bin, optimiser state, state.json)
 *   checkpoints/latest                 text: the folder name of the newest complete checkpoint
 *   snapshots/iter-<8 digits>.f32      G(z_fixed): [64, 784] float32 in [−1, 1]
 *   z_fixed.f32, metrics.jsonl, train-stats.json, metadata.json
 * Evaluate reads checkpoints and snapshots only, and never writes into the run.
 */
export const CHECKPOINT_STAGE = 'train-checkpoint';
const TRAIN_REMAKE = 'npx nx run train:pipeline';

/** The parts of train's config evaluate uses; everything else passes through untouched. */
export const checkpointConfigSchema = z
  .object({
    data: z.string().optional(),
    loss: z.string().optional(),
    lambda: z.number().optional(),
    clipValue: z.number().optional(),
    batchSize: z.number().int().optional(),
    seed: z.number().int().optional(),
    iterations: z.number().int().optional(),
    latentDim: z.number().int().optional(),
    /** p(z) the generator was trained on: N(0, I) (absent: runs before the seed-002 families) or U(−1, 1). */
    noise: z.enum(['normal', 'uniform']).optional(),
  })
  .loose();
export type CheckpointConfig = z.output<typeof checkpointConfigSchema>;

/**
 * What trained a run, in words: the implementation and the device it ran on, e.g. "onnx-cpu (onnxruntime
 * CPU, 1 thread)" or "tfjs-manual (tfjs wasm backend)". The backend alone when the checkpoint predates
 * the implementation field.
 */
export function trainerDescription(
  meta: { implementation?: string; backend?: string },
  config: { threads?: unknown },
): string {
  const backend = meta.backend ?? 'unknown';
  const threads = typeof config.threads === 'number' ? config.threads : 0;
  switch (meta.implementation) {
    case undefined:
      return backend;
    case 'onnx-cpu':
      return `onnx-cpu (onnxruntime CPU, ${threads === 0 ? 'one thread per core' : threads === 1 ? '1 thread' : `${threads} threads`})`;
    case 'webgpu-fused':
      return 'webgpu-fused (WGSL kernels on WebGPU)';
    default:
      return `${meta.implementation} (tfjs ${backend} backend)`;
  }
}

export const checkpointMetaSchema = z
  .object({
    iteration: z.number().int().nonnegative(),
    epoch: z.number().optional(),
    model: z.string().optional(),
    loss: z.string().optional(),
    latentDim: z.number().int().optional(),
    backend: z.string().optional(),
    /** The trainer implementation (onnx-cpu, tfjs-manual, tfjs-autodiff, webgpu-fused). */
    implementation: z.string().optional(),
  })
  .loose();
export type CheckpointMeta = z.output<typeof checkpointMetaSchema>;

export interface CheckpointRef {
  /** Folder name, e.g. "00002000". */
  name: string;
  dir: string;
  iteration: number;
}

export function checkpointsDir(runDir: string): string {
  return join(runDir, 'checkpoints');
}

/** Every checkpoint folder of a run that holds a manifest (complete), by iteration. */
export async function listCheckpoints(runDir: string): Promise<CheckpointRef[]> {
  const dir = checkpointsDir(runDir);
  if (!existsSync(dir))
    throw new PipelineError(
      'run has no checkpoints folder',
      dir,
      `train the run first (\`${TRAIN_REMAKE}\`), or check --run`,
    );
  const out: CheckpointRef[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !/^\d+$/.test(entry.name)) continue;
    if (!existsSync(join(dir, entry.name, 'manifest.json'))) continue;
    out.push({ name: entry.name, dir: join(dir, entry.name), iteration: Number(entry.name) });
  }
  return out.sort((a, b) => a.iteration - b.iteration);
}

/** `latest` (the checkpoints/latest pointer), a folder name, or an iteration number. */
export async function resolveCheckpoint(runDir: string, which: string): Promise<CheckpointRef> {
  const all = await listCheckpoints(runDir);
  let name = which;
  if (which === 'latest') {
    const pointer = join(checkpointsDir(runDir), 'latest');
    if (!existsSync(pointer))
      throw new PipelineError(
        'run has no checkpoints/latest pointer (no complete checkpoint yet)',
        pointer,
        `let the run write a checkpoint (\`${TRAIN_REMAKE}\`), or pass --checkpoint <iteration>`,
      );
    name = basename(
      followPointer(pointer, /^\d{8}$/, `the run folder is damaged: rerun train, or pass --checkpoint <iteration>`),
    );
  }
  const found = all.find((c) => c.name === name || (/^\d+$/.test(name) && c.iteration === Number(name)));
  if (!found) {
    throw new PipelineError(
      `no complete checkpoint "${name}"`,
      join(checkpointsDir(runDir), name),
      `pick one of: ${all.map((c) => c.name).join(', ') || '(none)'}`,
    );
  }
  return found;
}

export interface LoadedCheckpoint {
  ref: CheckpointRef;
  artifact: Artifact;
  config: CheckpointConfig;
  meta: CheckpointMeta;
  generatorSpec: NetworkSpec;
  criticSpec: NetworkSpec;
  generatorValues: Map<string, Float32Array>;
  criticValues: Map<string, Float32Array>;
}

/** Reads and verifies a checkpoint artifact (manifest, checksums, network shapes). */
export async function readCheckpoint(ref: CheckpointRef): Promise<LoadedCheckpoint> {
  const artifact = await readArtifact(ref.dir, { stage: CHECKPOINT_STAGE, remake: TRAIN_REMAKE });
  const where = join(ref.dir, 'manifest.json');
  const meta = checkpointMetaSchema.safeParse(artifact.manifest.meta);
  if (!meta.success)
    throw new PipelineError(
      `checkpoint meta is not train's: ${meta.error.issues[0].path.join('.')}: ${meta.error.issues[0].message}`,
      where,
      'point evaluate at a checkpoint written by train',
    );
  const config = checkpointConfigSchema.safeParse(artifact.manifest.config ?? {});
  if (!config.success)
    throw new PipelineError(
      `checkpoint config is not train's: ${config.error.issues[0].path.join('.')}: ${config.error.issues[0].message}`,
      where,
      'point evaluate at a checkpoint written by train',
    );
  const generator = await readNetwork(ref.dir, 'generator');
  const critic = await readNetwork(ref.dir, 'critic');
  return {
    ref,
    artifact,
    config: config.data,
    meta: meta.data,
    generatorSpec: generator.spec,
    criticSpec: critic.spec,
    generatorValues: generator.values,
    criticValues: critic.values,
  };
}

/** The checkpoint's networks on the device (dispose them when done). */
export function checkpointNetworks(ckpt: LoadedCheckpoint): { generator: Network; critic: Network } {
  return {
    generator: Network.fromValues(ckpt.generatorSpec, ckpt.generatorValues, 'eval-generator'),
    critic: Network.fromValues(ckpt.criticSpec, ckpt.criticValues, 'eval-critic'),
  };
}

/**
 * 'vae' for seed 002's VAE (train's `--model vae`: the checkpoint's generator is the decoder, its critic
 * the encoder, which scores nothing), 'gan' for every other run.
 */
export function modelFamily(ckpt: Pick<LoadedCheckpoint, 'meta' | 'criticSpec'>): 'gan' | 'vae' {
  return ckpt.meta.model === 'vae' || ckpt.criticSpec.role === 'encoder' ? 'vae' : 'gan';
}

/** "gp", "clip" or another family's loss (E6 applies to gp runs, E7 to clip runs). */
export type LossKind = 'gp' | 'clip' | 'other';

export function lossKind(loss: string | undefined): LossKind {
  if (!loss) return 'other';
  if (/clip/i.test(loss)) return 'clip';
  if (/gp|penalty/i.test(loss)) return 'gp';
  return 'other';
}

export interface SnapshotRef {
  iteration: number;
  path: string;
}

/** Snapshot files of G(z_fixed), by iteration (none when the folder is absent). */
export async function listSnapshots(runDir: string): Promise<SnapshotRef[]> {
  const dir = join(runDir, 'snapshots');
  if (!existsSync(dir)) return [];
  const out: SnapshotRef[] = [];
  for (const name of await readdir(dir)) {
    const m = /^iter-(\d+)\.f32$/.exec(name);
    if (m) out.push({ iteration: Number(m[1]), path: join(dir, name) });
  }
  return out.sort((a, b) => a.iteration - b.iteration);
}

export async function readSnapshot(ref: SnapshotRef): Promise<Float32Array> {
  return readFloat32(ref.path);
}
