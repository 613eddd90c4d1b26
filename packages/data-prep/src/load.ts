import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { PipelineError, readArtifact, readFloat32, type Artifact } from '@wgan/core';
import type { Split } from './datasets.js';
import { PIXELS } from './idx.js';
import { STAGE, type DataMeta, type DataStats } from './prepare.js';

/** One split of a prepared dataset, in memory: images [count, 784] float32 in [−1, 1], labels uint8. */
export interface DataSplit {
  count: number;
  images: Float32Array;
  labels: Uint8Array;
}

export interface Dataset {
  artifact: Artifact;
  meta: DataMeta;
  stats: DataStats;
  train: DataSplit;
  test: DataSplit;
}

const REMAKE = 'npx nx run data-prep:pipeline';

/**
 * Reads a data-prep artifact after verifying its manifest and every checksum. `splits` limits what is
 * loaded (evaluate needs only the test split for some jobs).
 */
export async function loadDataset(dir: string, splits: Split[] = ['train', 'test']): Promise<Dataset> {
  const artifact = await readArtifact(dir, { stage: STAGE, remake: REMAKE });
  const meta = artifact.manifest.meta as unknown as DataMeta;
  if (!meta?.splits?.train || !meta.splits.test)
    throw new PipelineError(
      'data manifest has no split description',
      join(dir, 'manifest.json'),
      `rerun \`${REMAKE}\``,
    );
  const stats = JSON.parse(await readFile(join(dir, 'stats.json'), 'utf8')) as DataStats;
  const empty: DataSplit = { count: 0, images: new Float32Array(0), labels: new Uint8Array(0) };
  const out: Record<Split, DataSplit> = { train: empty, test: empty };
  for (const split of splits) {
    const m = meta.splits[split];
    const images = new Float32Array(m.count * PIXELS);
    let offset = 0;
    for (const shard of m.shards) {
      images.set(await readFloat32(join(dir, shard.file), shard.count * PIXELS), offset);
      offset += shard.count * PIXELS;
    }
    const labels = new Uint8Array(await readFile(join(dir, m.labels)));
    if (labels.length !== m.count)
      throw new PipelineError(
        `labels file has ${labels.length} entries, manifest says ${m.count}`,
        join(dir, m.labels),
        `rerun \`${REMAKE}\``,
      );
    out[split] = { count: m.count, images, labels };
  }
  return { artifact, meta, stats, ...out };
}
