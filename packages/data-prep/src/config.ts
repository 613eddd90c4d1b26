import { PipelineError, z } from '@wgan/core';

/**
 * data-prep's config. Defaults follow the seeds: MNIST train/test, [-1, 1] (OPPE WGAN, "Image scale"),
 * seed 42 (its "Randomness"), E2 on a batch of 64 (train's batch size, Assignment 3 / seed 001).
 */
export const dataPrepSchema = z
  .object({
    dataset: z.enum(['mnist', 'fashion']).default('mnist'),
    /** Keep only these classes (the seed 004 subsets: [3], [0, 3]); null = all ten. */
    digits: z.array(z.number().int().min(0).max(9)).min(1).nullable().default(null),
    /** A local folder with the four IDX files (raw or .gz). */
    source: z.string().optional(),
    /** Download from the public mirrors (md5-checked) instead of a local copy. */
    download: z.boolean().default(false),
    seed: z.number().int().nonnegative().default(42),
    e2BatchSize: z.number().int().positive().default(64),
    shardSize: z.number().int().positive().default(10_000),
    /** Output folder (default artifacts/data/<dataset id>). */
    out: z.string().optional(),
  })
  .strict();

export type DataPrepConfig = z.output<typeof dataPrepSchema>;

/** Parses `--digits 3` / `--digits 0,3`: sorted, unique, each 0..9. */
export function parseDigits(text: string): number[] {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const digits = parts.map((p) => (/^\d$/.test(p) ? Number(p) : NaN));
  if (parts.length === 0 || digits.some((d) => Number.isNaN(d))) {
    throw new PipelineError(
      `unknown digit list "${text}"`,
      '--digits',
      'give digits 0..9 separated by commas, e.g. --digits 3 or --digits 0,3',
    );
  }
  return [...new Set(digits)].sort((a, b) => a - b);
}
