import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  artifactName,
  artifactPath,
  artifactsRoot,
  followPointer,
  PipelineError,
  readArtifact,
  z,
  type Manifest,
} from '@wgan/core';

/**
 * The served model: an export artifact (`artifacts/export/<run>/<checkpoint>/`) read through its
 * documented manifest fields only (serve does not import train or export), verified by sha256, and one
 * onnxruntime InferenceSession created once, warmed up, and shared by every request.
 */
export const EXPORT_STAGE = 'export';
export const REMAKE_EXPORT = 'npx nx run export:pipeline';
/** An export folder's name, what `export/<run>/latest` names: the checkpoint's 8-digit iteration. */
const EXPORT_FOLDER = /^\d{8}$/;

const tensorInfo = z.looseObject({
  name: z.string().min(1),
  shape: z.array(z.union([z.number().int().positive(), z.string()])),
});

/** The fields of export's manifest meta that serve relies on (see packages/export/README.md). */
export const exportMetaSchema = z.looseObject({
  run: z.string(),
  checkpoint: z.string(),
  iteration: z.number().int().nonnegative(),
  latentDim: z.number().int().positive(),
  opset: z.number().int(),
  models: z.looseObject({
    generator: z.looseObject({
      file: z.string().min(1),
      inputs: z.array(tensorInfo).length(1),
      outputs: z.array(tensorInfo.extend({ range: z.tuple([z.number(), z.number()]).nullable().optional() })).length(1),
    }),
  }),
  parity: z.looseObject({ samples: z.number(), maxAbsError: z.number(), backend: z.string() }),
});
export type ExportMetaView = z.infer<typeof exportMetaSchema>;

export interface GeneratorModel {
  dir: string;
  manifest: Manifest;
  meta: ExportMetaView;
  latentDim: number;
  /** Per-image output shape without the batch axis, e.g. [1, 28, 28]. */
  imageShape: number[];
  imageSize: number;
  /** Image height and width (the last two axes). */
  height: number;
  width: number;
  /** G(z): z [n·d_z] row-major → images [n·imageSize], in the model's output range. */
  generate(z: Float32Array, n: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/**
 * The export folder to serve: `--model <dir>` as given, or the run's newest export (`artifacts/export/<run>/latest`).
 */
export async function resolveModelDir(options: { model?: string; run?: string }): Promise<string> {
  if (options.model !== undefined) return artifactPath(options.model, '--model');
  const run = artifactName(options.run ?? 'default', '--run');
  const runDir = join(artifactsRoot(), 'export', run);
  const pointer = join(runDir, 'latest');
  if (existsSync(pointer))
    return followPointer(
      pointer,
      EXPORT_FOLDER,
      `the export folder is damaged: re-export it (npx tsx ` +
        `packages/export/src/cli.ts --run ${run}), or pass --model <dir>`,
    );
  const folders = existsSync(runDir) ? (await readdir(runDir)).filter((n) => /^\d+$/.test(n)).sort() : [];
  if (folders.length === 0)
    throw new PipelineError(
      `no export of run "${run}"`,
      runDir,
      `export it first: npx tsx packages/export/src/cli.ts --run ${run} (or ${REMAKE_EXPORT}), or pass --model <dir>`,
    );
  return join(runDir, folders[folders.length - 1]);
}

/** Verifies the export artifact, opens its generator and runs one warm-up batch. */
export async function loadGenerator(
  dir: string,
  options: { intraOpThreads?: number; spinning?: boolean } = {},
): Promise<GeneratorModel> {
  const artifact = await readArtifact(dir, { stage: EXPORT_STAGE, remake: REMAKE_EXPORT });
  const parsed = exportMetaSchema.safeParse(artifact.manifest.meta);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PipelineError(
      `export manifest meta.${issue.path.join('.')}: ${issue.message}`,
      join(dir, 'manifest.json'),
      `the export is from another version: ${REMAKE_EXPORT}`,
    );
  }
  const meta = parsed.data;
  const g = meta.models.generator;
  const [input] = g.inputs;
  const [output] = g.outputs;
  const imageShape = output.shape.slice(1).map(Number);
  if (imageShape.some((d) => !Number.isInteger(d) || d <= 0) || imageShape.length < 2) {
    throw new PipelineError(
      `generator output shape [${output.shape}] is not [N, ..., H, W]`,
      join(dir, 'manifest.json'),
      'serve shows images: export a generator',
    );
  }
  const imageSize = imageShape.reduce((a, b) => a * b, 1);
  const session = await ort.InferenceSession.create(join(dir, g.file), {
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    // onnxruntime's pool threads spin-wait after each run by default; on a small machine they then
    // compete with node's event loop (JSON, PNG, sockets). Measured on 2 cores: p50 for one image
    // 11–20 ms spinning vs 2–3 ms not (packages/serve/README.md, "Performance").
    extra: {
      session: {
        intra_op: { allow_spinning: options.spinning ? '1' : '0' },
        inter_op: { allow_spinning: options.spinning ? '1' : '0' },
      },
    },
  });
  const latentDim = meta.latentDim;
  const generate = async (zValues: Float32Array, n: number): Promise<Float32Array> => {
    if (zValues.length !== n * latentDim) throw new Error(`generate: ${zValues.length} values for ${n} × ${latentDim}`);
    const result = await session.run({ [input.name]: new ort.Tensor('float32', zValues, [n, latentDim]) });
    const out = result[output.name];
    const data = out.data as Float32Array;
    if (data.length !== n * imageSize)
      throw new Error(`generator returned ${data.length} values for ${n} images of ${imageSize}`);
    return data;
  };
  await generate(new Float32Array(latentDim), 1); // warm-up: first-run allocations happen now, not on a request
  return {
    dir,
    manifest: artifact.manifest,
    meta,
    latentDim,
    imageShape,
    imageSize,
    height: imageShape[imageShape.length - 2],
    width: imageShape[imageShape.length - 1],
    generate,
    release: () => session.release(),
  };
}
