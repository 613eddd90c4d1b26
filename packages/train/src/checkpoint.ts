import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  followPointer,
  PipelineError,
  readArtifact,
  writeArtifact,
  writeFileAtomic,
  type Artifact,
  type ParentRef,
  type RngState,
  z,
} from '@wgan/core';
import { readNetwork, readTensorFile, writeNetwork, writeTensorFile } from './models/serialize.js';
import type { NetworkSpec } from './models/spec.js';
import type { NamedValues, OptimizerState, TrainerState } from './trainer.js';
import type { SamplerPosition } from './sampling.js';
import { savedTrainConfig, type TrainConfig } from './config.js';
import type { TrainStats } from './run-session.js';
import pkg from '../package.json' with { type: 'json' };

/**
 * Checkpoints: `artifacts/runs/<run>/checkpoints/<8-digit iteration>/`, each an artifact (manifest with
 * the sha256 of every file) holding everything a resume, an export or an evaluation needs — the two
 * networks (spec + weights, tfjs weights format), both optimisers' state, the RNG state, the data
 * loader's position, the running means and the full config. `checkpoints/latest` names the newest
 * complete one; it is rewritten (atomically) only after the checkpoint folder is in place.
 */
export const CHECKPOINT_STAGE = 'train-checkpoint';
const TRAIN_REMAKE = 'npx nx run train:pipeline';
const OPTIMIZER_FORMAT = 'wgan-pipeline/optimizer';

export interface RunningMeans {
  /**
   * Sums of the trainer's runningFields and their count since the start of the current epoch (the seed's "running
   * means").
   */
  sums: Record<string, number>;
  count: number;
  epoch: number;
}

export interface CheckpointState {
  iteration: number;
  sampler: SamplerPosition;
  rng: RngState;
  running: RunningMeans;
  /** Training wall time so far (excluding checkpoint writing), ms. */
  elapsedMs: number;
  backend: string;
  implementation: string;
  /** train-stats.json as it stood at this checkpoint (E3, the first cycle's E4, the epochs so far). */
  trainStats?: TrainStats;
}

/** A checkpoint manifest's `meta`, as writeCheckpoint writes it (older checkpoints may lack the optional keys). */
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

/** What a checkpoint holds for reading its networks: what evaluation and export need, no optimiser state. */
export interface CheckpointModels {
  dir: string;
  artifact: Artifact;
  /** The run's config, parsed with train's schema. */
  config: TrainConfig;
  /** Keys the saved config lacked, filled with train's defaults (see savedTrainConfig). */
  defaultedConfig: string[];
  meta: CheckpointMeta;
  specs: { generator: NetworkSpec; critic: NetworkSpec };
  weights: { generator: NamedValues; critic: NamedValues };
}

export interface Checkpoint extends CheckpointModels {
  state: CheckpointState;
  trainer: TrainerState;
}

/** A checkpoint folder's name: the 8-digit iteration (what `checkpoints/latest` and export's `latest` name). */
export const CHECKPOINT_NAME = /^\d{8}$/;

export function checkpointName(iteration: number): string {
  return String(iteration).padStart(8, '0');
}

export function checkpointsDir(runDir: string): string {
  return join(runDir, 'checkpoints');
}

async function writeOptimizer(dir: string, base: string, state: OptimizerState): Promise<void> {
  await writeTensorFile(dir, base, OPTIMIZER_FORMAT, { kind: state.kind, step: state.step }, state.slots);
}

async function readOptimizer(dir: string, base: string): Promise<OptimizerState> {
  const { header, tensors } = await readTensorFile(dir, base, OPTIMIZER_FORMAT);
  return { kind: header.kind as OptimizerState['kind'], step: header.step as number, slots: [...tensors.values()] };
}

/** Writes a checkpoint atomically, then points `latest` at it. */
export async function writeCheckpoint(
  runDir: string,
  content: {
    config: TrainConfig;
    state: CheckpointState;
    specs: { generator: NetworkSpec; critic: NetworkSpec };
    trainer: TrainerState;
    parents: ParentRef[];
  },
): Promise<string> {
  const name = checkpointName(content.state.iteration);
  const dir = join(checkpointsDir(runDir), name);
  const { config, state, specs, trainer } = content;
  await writeArtifact(
    dir,
    {
      stage: CHECKPOINT_STAGE,
      packageVersion: pkg.version,
      config,
      parents: content.parents,
      meta: {
        iteration: state.iteration,
        epoch: state.sampler.epoch,
        model: config.model,
        loss: config.loss,
        latentDim: config.latentDim,
        backend: state.backend,
        implementation: state.implementation,
      },
    },
    async (tmp) => {
      await writeNetwork(tmp, 'generator', specs.generator, trainer.generator);
      await writeNetwork(tmp, 'critic', specs.critic, trainer.critic);
      await writeOptimizer(tmp, 'optimizer-generator', trainer.generatorOptimizer);
      await writeOptimizer(tmp, 'optimizer-critic', trainer.criticOptimizer);
      await writeFile(join(tmp, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
    },
  );
  await writeFileAtomic(join(checkpointsDir(runDir), 'latest'), `${name}\n`);
  return dir;
}

/** The folder of a run's checkpoint: `latest` (the default) or an iteration number. */
export async function resolveCheckpoint(runDir: string, which: 'latest' | number = 'latest'): Promise<string> {
  const base = checkpointsDir(runDir);
  if (!existsSync(base))
    throw new PipelineError(
      'run has no checkpoints folder',
      base,
      `train the run first (\`${TRAIN_REMAKE}\`), or pass --run <name> of an existing run`,
    );
  if (which === 'latest') {
    const pointer = join(base, 'latest');
    if (!existsSync(pointer))
      throw new PipelineError(
        'run has no complete checkpoint yet (no checkpoints/latest)',
        pointer,
        'train the run first: `npx nx run train:pipeline` (or `train --name <run>`), or pass --checkpoint <iteration>',
      );
    return followPointer(
      pointer,
      CHECKPOINT_NAME,
      'the run folder is damaged: rerun train, or pass --checkpoint <iteration>',
    );
  }
  const dir = join(base, checkpointName(which));
  if (!existsSync(dir)) {
    const have = await listCheckpoints(runDir);
    throw new PipelineError(
      `checkpoint ${checkpointName(which)} not found`,
      dir,
      have.length ? `use one of: ${have.join(', ')} (or latest)` : 'no checkpoints yet: `npx nx run train:pipeline`',
    );
  }
  return dir;
}

/** Iterations of the complete checkpoints of a run (folders with a manifest), ascending. */
export async function listCheckpoints(runDir: string): Promise<number[]> {
  const base = checkpointsDir(runDir);
  if (!existsSync(base)) return [];
  const names = (await readdir(base)).filter((n) => /^\d{8}$/.test(n) && existsSync(join(base, n, 'manifest.json')));
  return names.map(Number).sort((a, b) => a - b);
}

/**
 * Reads and verifies a checkpoint's manifest (every checksum), config (train's schema), meta and networks.
 * A config or meta that is not train's is an error naming the manifest.
 */
export async function readCheckpointModels(dir: string): Promise<CheckpointModels> {
  const artifact = await readArtifact(dir, { stage: CHECKPOINT_STAGE, remake: TRAIN_REMAKE });
  const where = join(dir, 'manifest.json');
  const meta = checkpointMetaSchema.safeParse(artifact.manifest.meta);
  if (!meta.success) {
    const issue = meta.error.issues[0];
    throw new PipelineError(
      `checkpoint meta is not train's: ${issue.path.join('.')}: ${issue.message}`,
      where,
      `point at a checkpoint written by train (\`${TRAIN_REMAKE}\`)`,
    );
  }
  const { config, defaulted } = savedTrainConfig(artifact.manifest.config, where);
  const generator = await readNetwork(dir, 'generator');
  const critic = await readNetwork(dir, 'critic');
  return {
    dir,
    artifact,
    config,
    defaultedConfig: defaulted,
    meta: meta.data,
    specs: { generator: generator.spec, critic: critic.spec },
    weights: { generator: generator.values, critic: critic.values },
  };
}

/** Reads and verifies a whole checkpoint: its networks (readCheckpointModels), optimiser state and state.json. */
export async function readCheckpoint(dir: string): Promise<Checkpoint> {
  const models = await readCheckpointModels(dir);
  const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as CheckpointState;
  return {
    ...models,
    state,
    trainer: {
      generator: models.weights.generator,
      critic: models.weights.critic,
      generatorOptimizer: await readOptimizer(dir, 'optimizer-generator'),
      criticOptimizer: await readOptimizer(dir, 'optimizer-critic'),
    },
  };
}

/** Removes old checkpoints: keeps the newest `keep`, every milestone, and the one `latest` names. */
export async function pruneCheckpoints(runDir: string, keep: number, milestones: number[]): Promise<number[]> {
  const all = await listCheckpoints(runDir);
  const latest = existsSync(join(checkpointsDir(runDir), 'latest'))
    ? Number((await readFile(join(checkpointsDir(runDir), 'latest'), 'utf8')).trim())
    : -1;
  const kept = new Set([...all.slice(-keep), ...all.filter((i) => milestones.includes(i)), latest]);
  const removed = all.filter((i) => !kept.has(i));
  for (const i of removed) await rm(join(checkpointsDir(runDir), checkpointName(i)), { recursive: true, force: true });
  return removed;
}
