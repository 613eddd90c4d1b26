/** Test fixtures for data-prep and the stages after it: tiny MNIST-shaped IDX datasets built in memory. */
import { gzipSync } from 'node:zlib';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Bytes } from '@wgan/core';
import { DATASETS, type DatasetSpec } from './datasets.js';
import { encodeIdx, IMAGE_MAGIC, LABEL_MAGIC, PIXELS } from './idx.js';
import { md5 } from './sources.js';

/** A tiny MNIST-shaped dataset built in the test: pixel (i, j) of image k = (k * 7 + j) % 256. */
export interface Fixture {
  files: Record<string, Uint8Array>;
  spec: DatasetSpec;
  trainLabels: Uint8Array;
  testLabels: Uint8Array;
}

export function makeFixture(trainCount = 30, testCount = 10): Fixture {
  const images = (n: number, offset: number) => {
    const px = new Uint8Array(n * PIXELS);
    for (let k = 0; k < n; k++) for (let j = 0; j < PIXELS; j++) px[k * PIXELS + j] = ((k + offset) * 7 + j) % 256;
    return px;
  };
  const labels = (n: number) => Uint8Array.from({ length: n }, (_, k) => k % 10);
  const trainLabels = labels(trainCount);
  const testLabels = labels(testCount);
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': encodeIdx(IMAGE_MAGIC, [trainCount, 28, 28], images(trainCount, 0)),
    'train-labels-idx1-ubyte': encodeIdx(LABEL_MAGIC, [trainCount], trainLabels),
    't10k-images-idx3-ubyte': encodeIdx(IMAGE_MAGIC, [testCount, 28, 28], images(testCount, 1000)),
    't10k-labels-idx1-ubyte': encodeIdx(LABEL_MAGIC, [testCount], testLabels),
  };
  const spec: DatasetSpec = {
    ...DATASETS.mnist,
    files: DATASETS.mnist.files.map((f) => ({
      ...f,
      count: f.split === 'train' ? trainCount : testCount,
      idxSha256: sha256Bytes(files[f.name]),
      gzMd5: md5(gzipSync(files[f.name])),
    })),
    mirrors: [],
  };
  return { files, spec, trainLabels, testLabels };
}

/** Writes the fixture's files into `dir`, gzipped or raw; `replace` swaps a file's bytes. */
export async function writeFixture(
  dir: string,
  fixture: Fixture,
  options: { gzip?: boolean; replace?: Record<string, Uint8Array>; omit?: string[] } = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries({ ...fixture.files, ...(options.replace ?? {}) })) {
    if (options.omit?.includes(name)) continue;
    await writeFile(join(dir, options.gzip ? `${name}.gz` : name), options.gzip ? gzipSync(bytes) : bytes);
  }
}

/** The same spec with checksums switched off (to reach the parser's own checks). */
export function unchecked(spec: DatasetSpec): DatasetSpec {
  return { ...spec, files: spec.files.map((f) => ({ ...f, idxSha256: null })) };
}
