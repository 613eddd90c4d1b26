import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { PipelineError } from './errors.js';

/**
 * Float32 little-endian files: the format every stage uses for tensors on disk (data shards, snapshots,
 * samples). Raw values, no header: shapes live in the artifact's manifest.
 */
const LITTLE = endianness() === 'LE';

function toLittleEndianBytes(values: Float32Array): Uint8Array {
  if (LITTLE) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}

export async function writeFloat32(path: string, values: Float32Array): Promise<void> {
  await writeFile(path, toLittleEndianBytes(values));
}

/** Reads a float32 LE file; `expectedLength` (in values), when given, is checked. */
export async function readFloat32(path: string, expectedLength?: number): Promise<Float32Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new PipelineError(
      `cannot read float32 file: ${(e as Error).message}`,
      path,
      'rerun the stage that writes it',
    );
  }
  if (bytes.byteLength % 4 !== 0 || (expectedLength !== undefined && bytes.byteLength !== expectedLength * 4)) {
    throw new PipelineError(
      `float32 file has ${bytes.byteLength} bytes, expected ` +
        `${expectedLength !== undefined ? expectedLength * 4 : 'a multiple of 4'}`,
      path,
      'the file is truncated: rerun the stage that writes it',
    );
  }
  const out = new Float32Array(bytes.byteLength / 4);
  if (LITTLE) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

/** Writes a file atomically: a temporary sibling, fsync'd, then renamed over the target. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}
