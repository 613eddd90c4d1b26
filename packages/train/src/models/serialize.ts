import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineError, readFloat32, writeFloat32, z } from '@wgan/core';
import { paramSpecs, sizeOf, type NetworkSpec } from './spec.js';

/**
 * Named float32 tensors on disk in tfjs's weights format: `<base>.json` holds a header and a
 * `weightsManifest` ([{ paths: ["<base>.weights.bin"], weights: [{ name, shape, dtype }] }], the layout of
 * tfjs's model.json, so tf.io.decodeWeights reads the bin), `<base>.weights.bin` the values back to back,
 * float32 little-endian. No tfjs needed to read or write them (export and serve run without it).
 */
export interface NamedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

const weightEntry = z
  .object({ name: z.string(), shape: z.array(z.number().int().nonnegative()), dtype: z.literal('float32') })
  .strict();
const tensorFileSchema = z
  .object({
    format: z.string(),
    version: z.literal(1),
    header: z.record(z.string(), z.unknown()),
    weightsManifest: z
      .array(z.object({ paths: z.array(z.string()).length(1), weights: z.array(weightEntry) }).strict())
      .length(1),
  })
  .strict();

export async function writeTensorFile(
  dir: string,
  base: string,
  format: string,
  header: Record<string, unknown>,
  tensors: NamedTensor[],
): Promise<void> {
  const total = tensors.reduce((s, t) => s + t.values.length, 0);
  const all = new Float32Array(total);
  let offset = 0;
  for (const t of tensors) {
    if (t.values.length !== sizeOf(t.shape))
      throw new Error(`${base}: tensor ${t.name} has ${t.values.length} values for shape [${t.shape}]`);
    all.set(t.values, offset);
    offset += t.values.length;
  }
  const json = {
    format,
    version: 1,
    header,
    weightsManifest: [
      {
        paths: [`${base}.weights.bin`],
        weights: tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' as const })),
      },
    ],
  };
  await writeFloat32(join(dir, `${base}.weights.bin`), all);
  await writeFile(join(dir, `${base}.json`), `${JSON.stringify(json, null, 2)}\n`);
}

export async function readTensorFile(
  dir: string,
  base: string,
  format: string,
): Promise<{ header: Record<string, unknown>; tensors: Map<string, NamedTensor> }> {
  const jsonPath = join(dir, `${base}.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (e) {
    throw new PipelineError(
      `cannot read ${base}.json: ${(e as Error).message}`,
      jsonPath,
      'the checkpoint is incomplete or damaged: resume from another one',
    );
  }
  const parsed = tensorFileSchema.safeParse(raw);
  if (!parsed.success || parsed.data.format !== format) {
    throw new PipelineError(
      `not a ${format} ` +
        `file${parsed.success ? ` (format "${parsed.data.format}")` : `: ${parsed.error.issues[0].message}`}`,
      jsonPath,
      'point at a checkpoint written by this version of train',
    );
  }
  const manifest = parsed.data.weightsManifest[0];
  const expected = manifest.weights.reduce((s, w) => s + sizeOf(w.shape), 0);
  const all = await readFloat32(join(dir, manifest.paths[0]), expected);
  const tensors = new Map<string, NamedTensor>();
  let offset = 0;
  for (const w of manifest.weights) {
    const n = sizeOf(w.shape);
    tensors.set(w.name, { name: w.name, shape: w.shape, values: all.slice(offset, offset + n) });
    offset += n;
  }
  return { header: parsed.data.header, tensors };
}

export const NETWORK_FORMAT = 'wgan-pipeline/network';

/** Writes a network: its spec in the header, every parameter and state tensor in paramSpecs order. */
export async function writeNetwork(
  dir: string,
  base: string,
  spec: NetworkSpec,
  values: Map<string, Float32Array>,
): Promise<void> {
  const tensors = paramSpecs(spec).map((p) => {
    const v = values.get(p.name);
    if (!v) throw new Error(`${base}: no value for ${p.name}`);
    return { name: p.name, shape: p.shape, values: v };
  });
  await writeTensorFile(dir, base, NETWORK_FORMAT, { spec }, tensors);
}

/** Reads a network written by writeNetwork; checks every tensor against the spec's shapes. */
export async function readNetwork(
  dir: string,
  base: string,
): Promise<{ spec: NetworkSpec; values: Map<string, Float32Array> }> {
  const { header, tensors } = await readTensorFile(dir, base, NETWORK_FORMAT);
  const spec = header.spec as NetworkSpec;
  const values = new Map<string, Float32Array>();
  for (const p of paramSpecs(spec)) {
    const t = tensors.get(p.name);
    if (!t || t.shape.join() !== p.shape.join()) {
      throw new PipelineError(
        `parameter ${p.name} is ${t ? `of shape [${t.shape}]` : 'missing'}, the spec needs [${p.shape}]`,
        join(dir, `${base}.json`),
        'the checkpoint does not match its own spec: it is damaged',
      );
    }
    values.set(p.name, t.values);
  }
  return { spec, values };
}
