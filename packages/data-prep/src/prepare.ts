import { isAbsolute, join } from 'node:path';
import {
  acquireArtifactLock,
  artifactPath,
  artifactPaths,
  artifactsRoot,
  epochPermutation,
  PipelineError,
  sha256Bytes,
  writeArtifact,
  writeFloat32,
  type Artifact,
  type Logger,
} from '@wgan/core';
import { writeFile, mkdir } from 'node:fs/promises';
import { DATASETS, type DatasetName, type DatasetSpec, type Split } from './datasets.js';
import { PIXELS, parseImages, parseLabels, maybeGunzip } from './idx.js';
import { resolveSource, type ResolvedSource } from './sources.js';
import { classCounts, e1FromCounts, e2FromBatch, type E1, type E2 } from './stats.js';
import { normalizeImages } from './transform.js';
import type { DataPrepConfig } from './config.js';
import pkg from '../package.json' with { type: 'json' };

export const STAGE = 'data-prep';

export interface SplitMeta {
  count: number;
  /** Per example: [1, 28, 28] (channels, rows, cols). */
  exampleShape: [number, number, number];
  dtype: 'float32';
  range: [number, number];
  shards: { file: string; count: number }[];
  labels: string;
}

export interface DataMeta {
  dataset: DatasetName;
  datasetId: string;
  digits: number[] | null;
  classes: string[];
  transform: string;
  splits: Record<Split, SplitMeta>;
  sources: { file: string; path: string; origin: string; sha256: string; idxSha256: string }[];
  [key: string]: unknown;
}

export interface DataStats {
  dataset: string;
  E1: { train: E1; test: E1 };
  E2: E2 & { seed: number; indices: number[] };
}

/** The folder name of a prepared dataset: `mnist`, `fashion`, `mnist-digits-0-3`. */
export function datasetId(dataset: DatasetName, digits: number[] | null): string {
  return digits && digits.length ? `${dataset}-digits-${digits.join('-')}` : dataset;
}

interface SplitData {
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** Checks every file's content against the known sha256 and parses it; image/label counts must agree. */
export function decodeSource(source: ResolvedSource): {
  splits: Record<Split, SplitData>;
  sources: DataMeta['sources'];
} {
  const parsed: Partial<Record<Split, Partial<SplitData>>> = {};
  const sources: DataMeta['sources'] = [];
  for (const file of source.files) {
    const raw = maybeGunzip(file.bytes, file.path);
    const idxSha256 = sha256Bytes(raw);
    if (file.spec.idxSha256 !== null && idxSha256 !== file.spec.idxSha256) {
      throw new PipelineError(
        `wrong checksum: sha256 of the IDX content is ${idxSha256.slice(0, 16)}…, ` +
          `the original ${file.spec.name} has ${file.spec.idxSha256.slice(0, 16)}…`,
        file.path,
        'the file is modified or from another dataset: use the original files (or --dataset to pick the right one)',
      );
    }
    const split = (parsed[file.spec.split] ??= {});
    if (file.spec.kind === 'images') split.pixels = parseImages(raw, file.path).pixels;
    else split.labels = parseLabels(raw, file.path).labels;
    sources.push({
      file: file.spec.name,
      path: file.path,
      origin: source.kind,
      sha256: sha256Bytes(file.bytes),
      idxSha256,
    });
  }
  const splits = {} as Record<Split, SplitData>;
  for (const split of ['train', 'test'] as const) {
    const s = parsed[split];
    if (!s?.pixels || !s.labels)
      throw new PipelineError(`${split} split is incomplete`, source.location, 'provide all four IDX files');
    const images = s.pixels.length / PIXELS;
    if (images !== s.labels.length) {
      throw new PipelineError(
        `image/label count mismatch in the ${split} split: ${images} images, ${s.labels.length} labels`,
        source.location,
        'use image and label files of the same split and dataset',
      );
    }
    splits[split] = { pixels: s.pixels, labels: s.labels };
  }
  return { splits, sources };
}

/** Keeps only the examples whose label is in `digits`. */
export function selectDigits(data: SplitData, digits: number[] | null): SplitData {
  if (!digits || digits.length === 0) return data;
  const keep: number[] = [];
  for (let i = 0; i < data.labels.length; i++) if (digits.includes(data.labels[i])) keep.push(i);
  const pixels = new Uint8Array(keep.length * PIXELS);
  const labels = new Uint8Array(keep.length);
  keep.forEach((src, dst) => {
    pixels.set(data.pixels.subarray(src * PIXELS, (src + 1) * PIXELS), dst * PIXELS);
    labels[dst] = data.labels[src];
  });
  return { pixels, labels };
}

/** E2 on the first training batch the train stage will draw (epoch 0 of `seed`'s data order). */
export function firstBatchStats(pixels: Uint8Array, count: number, seed: number, batchSize: number): DataStats['E2'] {
  const order = epochPermutation(seed, 0, count);
  const indices = Array.from(order.subarray(0, Math.min(batchSize, count)));
  const batch = new Float32Array(indices.length * PIXELS);
  indices.forEach((src, j) =>
    normalizeImages(pixels.subarray(src * PIXELS, (src + 1) * PIXELS), batch.subarray(j * PIXELS, (j + 1) * PIXELS)),
  );
  return { ...e2FromBatch(batch, indices.length), seed, indices };
}

export interface PrepareResult {
  artifact: Artifact;
  stats: DataStats;
  source: ResolvedSource;
}

/** data-prep, the whole stage: resolve → verify → parse → select → normalise → shard → stats → artifact. */
export interface PrepareOptions {
  logger?: Logger;
  /** The dataset description (default: the built-in one named by config.dataset); tests pass fixtures. */
  spec?: DatasetSpec;
  /** Download mirrors (default: the spec's public mirrors). */
  mirrors?: string[];
}

export async function prepareDataset(config: DataPrepConfig, options: PrepareOptions = {}): Promise<PrepareResult> {
  const { logger } = options;
  const spec = options.spec ?? DATASETS[config.dataset];
  const id = datasetId(config.dataset, config.digits);
  const outDir = dataPrepOut(config);
  const lock = acquireArtifactLock(outDir, {
    stage: STAGE,
    logger,
    flag: config.out === undefined ? '--dataset' : '--out',
  });
  try {
    return await prepareInto(outDir, config, options);
  } finally {
    lock.release();
  }
}

/**
 * data-prep's output folder: `out` inside the artifacts root (a relative path is relative to the root;
 * code may also pass an absolute path elsewhere, the CLI may not), else <root>/data/<dataset id>.
 */
export function dataPrepOut(config: Pick<DataPrepConfig, 'out' | 'dataset' | 'digits'>, cli = false): string {
  if (config.out === undefined) return artifactPaths.data(datasetId(config.dataset, config.digits), '--dataset');
  return cli || !isAbsolute(config.out) ? artifactPath(config.out, '--out') : config.out;
}

async function prepareInto(outDir: string, config: DataPrepConfig, options: PrepareOptions): Promise<PrepareResult> {
  const { logger } = options;
  const spec = options.spec ?? DATASETS[config.dataset];
  const id = datasetId(config.dataset, config.digits);

  const source = await resolveSource(spec, {
    source: config.source,
    download: config.download,
    mirrors: options.mirrors,
    cacheDir: join(artifactsRoot(), 'cache', 'downloads'),
    logger,
  });
  logger?.info('source', { kind: source.kind, location: source.location });
  const decoded = decodeSource(source);
  const splits = {
    train: selectDigits(decoded.splits.train, config.digits),
    test: selectDigits(decoded.splits.test, config.digits),
  };
  if (splits.train.labels.length === 0)
    throw new PipelineError(
      `no training examples of digits ${config.digits?.join(',')}`,
      '--digits',
      'pick digits in 0..9',
    );
  const stats: DataStats = {
    dataset: id,
    E1: {
      train: e1FromCounts(classCounts(splits.train.labels, spec.classes.length)),
      test: e1FromCounts(classCounts(splits.test.labels, spec.classes.length)),
    },
    E2: firstBatchStats(splits.train.pixels, splits.train.labels.length, config.seed, config.e2BatchSize),
  };
  const splitMeta = {} as Record<Split, SplitMeta>;
  const artifact = await writeArtifact(outDir, { stage: STAGE, packageVersion: pkg.version, config }, async (tmp) => {
    for (const split of ['train', 'test'] as const) {
      const { pixels, labels } = splits[split];
      const count = labels.length;
      await mkdir(join(tmp, split));
      const shards: SplitMeta['shards'] = [];
      for (let start = 0, k = 0; start < count; start += config.shardSize, k++) {
        const n = Math.min(config.shardSize, count - start);
        const file = `${split}/images-${String(k).padStart(3, '0')}.f32`;
        await writeFloat32(join(tmp, file), normalizeImages(pixels.subarray(start * PIXELS, (start + n) * PIXELS)));
        shards.push({ file, count: n });
      }
      await writeFile(join(tmp, `${split}/labels.u8`), labels);
      splitMeta[split] = {
        count,
        exampleShape: [1, 28, 28],
        dtype: 'float32',
        range: [-1, 1],
        shards,
        labels: `${split}/labels.u8`,
      };
    }
    await writeFile(join(tmp, 'stats.json'), `${JSON.stringify(stats, null, 2)}\n`);
    const meta: DataMeta = {
      dataset: config.dataset,
      datasetId: id,
      digits: config.digits,
      classes: spec.classes,
      transform: 'x = p / 127.5 - 1',
      splits: splitMeta,
      sources: decoded.sources,
    };
    return meta;
  });
  return { artifact, stats, source };
}
