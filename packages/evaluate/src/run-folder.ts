import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { followPointer, PipelineError, readFloat32 } from '@wgan/core';
import {
  CHECKPOINT_NAME,
  checkpointName,
  checkpointsDir,
  listCheckpoints as listCheckpointIterations,
  Network,
  readCheckpointModels,
  type CheckpointModels,
} from '@wgan/train';

/**
 * Reading a train run folder, artifacts/runs/<run>/ (written by train):
 *   checkpoints/<8-digit iteration>/   artifacts of stage "train-checkpoint" (generator.json/.weights.bin,
 *                                      critic.json/.weights.bin, optimiser state, state.json)
 *   checkpoints/latest                 text: the folder name of the newest complete checkpoint
 *   snapshots/iter-<8 digits>.f32      G(z_fixed): [64, 784] float32 in [−1, 1]
 *   z_fixed.f32, metrics.jsonl, train-stats.json, metadata.json
 * Evaluate reads checkpoints (with train's reader and train's config schema) and snapshots only, and never
 * writes into the run.
 */
export { CHECKPOINT_STAGE, checkpointsDir } from '@wgan/train';
const TRAIN_REMAKE = 'npx nx run train:pipeline';

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
      return (
        `onnx-cpu (onnxruntime CPU, ` +
        `${threads === 0 ? 'one thread per core' : threads === 1 ? '1 thread' : `${threads} threads`})`
      );
    case 'webgpu-fused':
      return 'webgpu-fused (WGSL kernels on WebGPU)';
    default:
      return `${meta.implementation} (tfjs ${backend} backend)`;
  }
}

export interface CheckpointRef {
  /** Folder name, e.g. "00002000". */
  name: string;
  dir: string;
  iteration: number;
}

/** Every complete checkpoint of a run (a folder with a manifest), by iteration. */
export async function listCheckpoints(runDir: string): Promise<CheckpointRef[]> {
  const dir = checkpointsDir(runDir);
  if (!existsSync(dir))
    throw new PipelineError(
      'run has no checkpoints folder',
      dir,
      `train the run first (\`${TRAIN_REMAKE}\`), or check --run`,
    );
  return (await listCheckpointIterations(runDir)).map((iteration) => ({
    name: checkpointName(iteration),
    dir: join(dir, checkpointName(iteration)),
    iteration,
  }));
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
      followPointer(
        pointer,
        CHECKPOINT_NAME,
        `the run folder is damaged: rerun train, or pass --checkpoint <iteration>`,
      ),
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

/** A checkpoint as evaluate reads it: train's CheckpointModels and the folder it was found as. */
export interface LoadedCheckpoint extends CheckpointModels {
  ref: CheckpointRef;
}

/** Reads and verifies a checkpoint with train's reader (manifest, checksums, config schema, networks). */
export async function readCheckpoint(ref: CheckpointRef): Promise<LoadedCheckpoint> {
  return { ref, ...(await readCheckpointModels(ref.dir)) };
}

/** The checkpoint's networks on the device (dispose them when done). */
export function checkpointNetworks(ckpt: LoadedCheckpoint): { generator: Network; critic: Network } {
  return {
    generator: Network.fromValues(ckpt.specs.generator, ckpt.weights.generator, 'eval-generator'),
    critic: Network.fromValues(ckpt.specs.critic, ckpt.weights.critic, 'eval-critic'),
  };
}

/**
 * 'vae' for seed 002's VAE (train's `--model vae`: the checkpoint's generator is the decoder, its critic
 * the encoder, which scores nothing), 'gan' for every other run.
 */
export function modelFamily(ckpt: Pick<LoadedCheckpoint, 'meta' | 'specs'>): 'gan' | 'vae' {
  return ckpt.meta.model === 'vae' || ckpt.specs.critic.role === 'encoder' ? 'vae' : 'gan';
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
