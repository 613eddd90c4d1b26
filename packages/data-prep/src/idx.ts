import { gunzipSync } from 'node:zlib';
import { PipelineError } from '@wgan/core';

/**
 * The IDX format (LeCun): big-endian header `00 00 <type> <ndim>`, then ndim uint32 sizes, then the data.
 * MNIST uses type 0x08 (uint8): images are 3-D (count, 28, 28), magic 2051; labels 1-D (count), magic 2049.
 */
export const IMAGE_MAGIC = 0x00000803;
export const LABEL_MAGIC = 0x00000801;
export const ROWS = 28;
export const COLS = 28;
export const PIXELS = ROWS * COLS;

export interface IdxImages {
  kind: 'images';
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols pixels, row-major, 0..255. */
  pixels: Uint8Array;
}

export interface IdxLabels {
  kind: 'labels';
  count: number;
  labels: Uint8Array;
}

/** gzip streams start with 1f 8b: such input is decompressed first (".gz" or not). */
export function maybeGunzip(bytes: Uint8Array, source: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (e) {
      throw new PipelineError(
        `gzip data is damaged or truncated: ${(e as Error).message}`,
        source,
        'download or copy the file again',
      );
    }
  }
  return bytes;
}

function header(bytes: Uint8Array, source: string): { magic: number; dims: number[]; offset: number } {
  if (bytes.length < 4)
    throw new PipelineError(
      `file has ${bytes.length} bytes: too short for an IDX header`,
      source,
      'the file is truncated: download or copy it again',
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const ndim = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) {
    throw new PipelineError(
      `wrong magic number 0x${magic.toString(16).padStart(8, '0')}: not an IDX file of uint8`,
      source,
      'point --source at the original MNIST IDX files (…-idx3-ubyte / …-idx1-ubyte, raw or .gz)',
    );
  }
  const offset = 4 + 4 * ndim;
  if (bytes.length < offset)
    throw new PipelineError(
      'file ends inside the IDX header',
      source,
      'the file is truncated: download or copy it again',
    );
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  return { magic, dims, offset };
}

function checkLength(bytes: Uint8Array, offset: number, expected: number, source: string): void {
  const have = bytes.length - offset;
  if (have < expected)
    throw new PipelineError(
      `file holds ${have} data bytes, the header promises ${expected} (truncated)`,
      source,
      'download or copy the file again',
    );
  if (have > expected)
    throw new PipelineError(
      `file holds ${have - expected} bytes more than the header describes`,
      source,
      'use the original IDX file',
    );
}

/** Parses an IDX image file (raw or gzipped): magic 2051, dimensions (count, 28, 28). */
export function parseImages(input: Uint8Array, source: string): IdxImages {
  const bytes = maybeGunzip(input, source);
  const { magic, dims, offset } = header(bytes, source);
  if (magic !== IMAGE_MAGIC) {
    const hint =
      magic === LABEL_MAGIC
        ? 'this is a label file; images are the …-idx3-ubyte files'
        : 'use the …-idx3-ubyte image files';
    throw new PipelineError(`wrong magic number ${magic} for an image file (expected ${IMAGE_MAGIC})`, source, hint);
  }
  if (dims.length !== 3 || dims[1] !== ROWS || dims[2] !== COLS) {
    throw new PipelineError(
      `wrong dimensions [${dims.join(', ')}], expected [count, ${ROWS}, ${COLS}]`,
      source,
      'only 28×28 MNIST-style images are supported',
    );
  }
  checkLength(bytes, offset, dims[0] * PIXELS, source);
  return { kind: 'images', count: dims[0], rows: ROWS, cols: COLS, pixels: bytes.subarray(offset) };
}

/** Parses an IDX label file (raw or gzipped): magic 2049, one dimension, every label in 0..9. */
export function parseLabels(input: Uint8Array, source: string, numClasses = 10): IdxLabels {
  const bytes = maybeGunzip(input, source);
  const { magic, dims, offset } = header(bytes, source);
  if (magic !== LABEL_MAGIC) {
    const hint =
      magic === IMAGE_MAGIC
        ? 'this is an image file; labels are the …-idx1-ubyte files'
        : 'use the …-idx1-ubyte label files';
    throw new PipelineError(`wrong magic number ${magic} for a label file (expected ${LABEL_MAGIC})`, source, hint);
  }
  if (dims.length !== 1)
    throw new PipelineError(
      `wrong dimensions [${dims.join(', ')}] for labels, expected [count]`,
      source,
      'use the original label file',
    );
  checkLength(bytes, offset, dims[0], source);
  const labels = bytes.subarray(offset);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses)
      throw new PipelineError(
        `label ${labels[i]} at index ${i} is outside 0..${numClasses - 1}`,
        source,
        'the label file is damaged: use the original',
      );
  }
  return { kind: 'labels', count: dims[0], labels };
}

/** Builds IDX bytes (for tests and fixtures). */
export function encodeIdx(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
