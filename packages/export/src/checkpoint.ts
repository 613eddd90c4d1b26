import { join } from 'node:path';
import { PipelineError, readArtifact, z, type Artifact } from '@wgan/core';
import { CHECKPOINT_STAGE, readNetwork, type NetworkSpec } from '@wgan/train';

/**
 * Reading train checkpoints: `artifacts/runs/<run>/checkpoints/<8-digit iteration>/` artifacts (stage
 * "train-checkpoint"), the newest named by the text file `checkpoints/latest`. Every file's sha256 is
 * verified before a weight is read (readArtifact), so a tampered or truncated checkpoint is refused.
 */
export const REMAKE_CHECKPOINT = 'npx nx run train:pipeline';
export { CHECKPOINT_STAGE, checkpointName, resolveCheckpoint } from '@wgan/train';

/** What export needs from a checkpoint's manifest meta (train may write more). */
export const checkpointMetaSchema = z.looseObject({
  iteration: z.number().int().nonnegative(),
  epoch: z.number().nonnegative().optional(),
  model: z.string().optional(),
  loss: z.string().optional(),
  latentDim: z.number().int().positive(),
  backend: z.string().optional(),
  /** A conditional run (train --conditional): K classes, the generator takes [z | onehot(y)]. */
  conditional: z.boolean().optional(),
  classes: z.number().int().min(2).optional(),
});
export type CheckpointMeta = z.infer<typeof checkpointMetaSchema>;

export interface LoadedNetwork {
  spec: NetworkSpec;
  values: Map<string, Float32Array>;
}

export interface Checkpoint {
  artifact: Artifact;
  /** The folder name, e.g. "00020000". */
  name: string;
  meta: CheckpointMeta;
  generator: LoadedNetwork;
  critic: LoadedNetwork | null;
}

/** Verifies a checkpoint artifact and reads its generator (and critic) specs and weights. */
export async function loadCheckpoint(dir: string, options: { critic?: boolean } = {}): Promise<Checkpoint> {
  const artifact = await readArtifact(dir, { stage: CHECKPOINT_STAGE, remake: REMAKE_CHECKPOINT });
  const parsed = checkpointMetaSchema.safeParse(artifact.manifest.meta);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PipelineError(
      `checkpoint meta.${issue.path.join('.')}: ${issue.message}`,
      join(dir, 'manifest.json'),
      `the checkpoint is from another version of train: ${REMAKE_CHECKPOINT}`,
    );
  }
  const generator = await readNetwork(dir, 'generator');
  const classes = labelClasses(parsed.data);
  if (generator.spec.inputSize !== parsed.data.latentDim + classes) {
    throw new PipelineError(
      `generator input ${generator.spec.inputSize} differs from meta.latentDim ${parsed.data.latentDim}${classes ? ` + ${classes} classes` : ''}`,
      join(dir, 'generator.json'),
      'the checkpoint is inconsistent: export another one',
    );
  }
  const critic = options.critic ? await readNetwork(dir, 'critic') : null;
  return { artifact, name: dir.split(/[\\/]/).filter(Boolean).pop() ?? dir, meta: parsed.data, generator, critic };
}

/** K of a conditional checkpoint (its networks take K one-hot label columns), 0 for an unconditional one. */
export function labelClasses(meta: Pick<CheckpointMeta, 'conditional' | 'classes'>): number {
  return meta.conditional ? (meta.classes ?? 10) : 0;
}
