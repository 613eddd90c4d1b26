import { isAbsolute } from 'node:path';
import { artifactName, artifactPath, artifactPaths, PipelineError, z } from '@wgan/core';

/**
 * export's config. Parity runs on 256 seeded latent vectors (seed 0, an arbitrary fixed choice recorded
 * in the manifest); its bound is derived per output from float32 arithmetic on the network
 * (reference.ts), so it has no tolerance to set.
 */
export const exportSchema = z
  .object({
    /** Run name: reads artifacts/runs/<run>/, writes artifacts/export/<run>/<iteration>/. */
    run: z.string().default('default'),
    /** Which checkpoint: "latest" (checkpoints/latest) or an iteration number. */
    checkpoint: z.union([z.literal('latest'), z.number().int().nonnegative()]).default('latest'),
    /** Also export the critic (critic.onnx), so other stages can score images without tfjs. */
    critic: z.boolean().default(false),
    /**
     * tfjs backend of the second implementation checked against the float64 evaluation: `cpu`, tfjs's
     * reference kernels (plain float32 loops), or `wasm` (XNNPACK, and train's sub-pixel transposed
     * convolution on it). Both are held to the same float32 rounding bound as onnxruntime.
     */
    backend: z.enum(['wasm', 'cpu']).default('cpu'),
    paritySamples: z.number().int().positive().max(4096).default(256),
    paritySeed: z.number().int().nonnegative().default(0),
    /** Run folder inside the artifacts root (default runs/<run>). */
    runDir: z.string().optional(),
    /** Output folder inside the artifacts root (default export/<run>/<checkpoint folder>). */
    out: z.string().optional(),
  })
  .strict();

export type ExportConfig = z.output<typeof exportSchema>;

/** `--checkpoint latest` or `--checkpoint 20000` (also "00020000"). */
export function parseCheckpoint(text: string): 'latest' | number {
  if (text === 'latest') return 'latest';
  if (/^\d+$/.test(text)) return Number(text);
  throw new PipelineError(
    `"${text}" is not a checkpoint`,
    '--checkpoint',
    'give an iteration number (e.g. 20000) or latest',
  );
}

/**
 * The folders export reads and writes, checked before anything is touched: `run` is one plain name,
 * `runDir` and `out` resolve inside the artifacts root (exit 2 naming the flag otherwise; with `strict`
 * false, as from code, an absolute path is taken as it is).
 */
export function exportPaths(
  config: Pick<ExportConfig, 'run' | 'runDir' | 'out'>,
  options: { strict?: boolean } = {},
): { run: string; runDir: string; out: string | null } {
  // A folder given on the command line resolves inside the artifacts root; code may also pass an absolute path.
  const folder = (path: string, flag: string) =>
    !options.strict && isAbsolute(path) ? path : artifactPath(path, flag);
  const run = artifactName(config.run, '--run');
  const runDir = config.runDir !== undefined ? folder(config.runDir, '--run-dir') : artifactPaths.run(run, '--run');
  const out = config.out !== undefined ? folder(config.out, '--out') : null;
  return { run, runDir, out };
}
