import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { artifactName, PipelineError } from '@wgan/core';

/**
 * A study: a base train configuration, one or more grids (each a set of axes: a train flag and its
 * values), the training seeds, and the stages run per cell (train → evaluate under one classifier).
 * Every (grid cell, seed) is one run, named from a hash of its resolved configuration, so the same run is
 * found again wherever and whenever it is computed.
 */

/** Train CLI flags a study may set (its own `--name`, `--seed`, `--resume` and friends are the study's). */
export const TRAIN_FLAGS = [
  'data',
  'model',
  'loss',
  'log-c-coefficient',
  'latent-dim',
  'noise',
  'generator-hidden',
  'critic-hidden',
  'iterations',
  'batch-size',
  'sampling',
  'n-critic',
  'lambda',
  'clip-value',
  'lr',
  'beta1',
  'beta2',
  'implementation',
  'threads',
  'penalty',
  'backend',
  'log-every',
  'snapshot-every',
  'checkpoint-every',
] as const;
export type TrainFlag = (typeof TRAIN_FLAGS)[number];

const flagValue = z.union([z.string().min(1), z.number().finite(), z.array(z.number().int().positive()).min(1)]);
export type FlagValue = z.infer<typeof flagValue>;

/**
 * The kinds of cell a grid can hold, each run by its own stage CLI:
 *  - `train`: train → evaluate (the pipeline's stages; flags are train's);
 *  - `ring`: one run of the ring's sensitivity grid, `experiments ring-cell` (LAB 3, seed 003);
 *  - `anchor`: the PyTorch anchor's seed-001 WGAN-GP, `evaluate/bench/anchor_crosscheck.py train-run`, written
 *    as a run in train's format and scored by the same evaluate as the train cells.
 */
export const CELL_KINDS = ['train', 'ring', 'anchor'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/** `experiments ring-cell` flags a ring grid may set (its `--seed` and `--out` are the study's). */
export const RING_FLAGS = ['loss', 'lr', 'clip-value', 'lambda', 'epochs', 'backend'] as const;
/** `anchor_crosscheck.py train-run` flags an anchor grid may set (its `--seed` and `--run` are the study's). */
export const ANCHOR_FLAGS = ['iters', 'threads', 'data', 'snapshot-every'] as const;

function flagsOf<const T extends readonly [string, ...string[]]>(names: T, what: string) {
  const name = z.enum(names, {
    error: (i) => `unknown ${what} flag "${String(i.input)}"; one of ${names.join(', ')}`,
  });
  const flags = z.partialRecord(name, flagValue, {
    // a partial record reports keys outside the enum as unrecognized_keys (its type does not list that code)
    error: (i) => {
      const issue = i as { code: string; keys?: string[] };
      return issue.code === 'unrecognized_keys' && issue.keys
        ? `unknown ${what} flag ${issue.keys.map((k) => `"${k}"`).join(', ')}; one of ${names.join(', ')}`
        : undefined;
    },
  });
  return { name, flags };
}
const trainFlag = flagsOf(TRAIN_FLAGS, 'train');
const flags = trainFlag.flags;
const ringFlag = flagsOf(RING_FLAGS, 'ring-cell');
const anchorFlag = flagsOf(ANCHOR_FLAGS, 'anchor');

const gridName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/, 'a plain name: letters, digits, . _ -');

/** A grid of one kind: its label, the flags shared by its cells, and its axes (each a flag and its values). */
function gridOf<K extends CellKind>(kind: K, flag: ReturnType<typeof flagsOf>) {
  const axisSchema = z
    .object({ flag: flag.name, values: z.array(flagValue).min(1, 'an axis needs at least one value') })
    .strict();
  return z
    .object({
      kind: z.literal(kind),
      /** The grid's label in the report (e.g. "clip", "gp"). */
      name: gridName,
      /** Flags shared by this grid's cells (over the study's base for train grids). */
      flags: flag.flags.default({}),
      axes: z.array(axisSchema).default([]),
    })
    .strict();
}

const gridSchema = z
  .preprocess(
    // a grid without `kind` is a train grid (the specs written before the other kinds)
    (g) => (g && typeof g === 'object' && !Array.isArray(g) && !('kind' in g) ? { ...g, kind: 'train' } : g),
    z.discriminatedUnion('kind', [gridOf('train', trainFlag), gridOf('ring', ringFlag), gridOf('anchor', anchorFlag)], {
      error: (i) =>
        `unknown cell kind ${JSON.stringify((i.input as { kind?: unknown })?.kind)}; one of ${CELL_KINDS.join(', ')}`,
    }),
  )
  .superRefine((g, ctx) => {
    const seen = new Set<string>();
    g.axes.forEach((a, i) => {
      if (seen.has(a.flag))
        ctx.addIssue({ code: 'custom', path: ['axes', i, 'flag'], message: `axis "${a.flag}" appears twice` });
      seen.add(a.flag);
      if (a.flag in g.flags) {
        ctx.addIssue({
          code: 'custom',
          path: ['axes', i, 'flag'],
          message: `"${a.flag}" is both a grid flag and an axis`,
        });
      }
    });
  });
export type GridSpec = z.infer<typeof gridSchema>;

export const studySpecSchema = z
  .object({
    /** artifacts/studies/<name>/ */
    name: gridName,
    description: z.string().optional(),
    train: z
      .object({
        /** A train --config file's content (any key of train's config, e.g. milestones); flags override it. */
        config: z.record(z.string(), z.unknown()).optional(),
        flags: flags.default({}),
      })
      .strict()
      .default({ flags: {} }),
    /** The grids: train (default), ring or anchor cells, each kind with its own flags. */
    grids: z.array(gridSchema).min(1, 'a study needs at least one grid (a grid with no axes is one cell)'),
    seeds: z
      .array(z.number().int().min(0))
      .min(1, 'at least one training seed')
      .refine((s) => new Set(s).size === s.length, 'seeds repeat'),
    /** Evaluate every run's final checkpoint under one classifier; false = train only. */
    evaluate: z
      .union([
        z.literal(false),
        z
          .object({
            /** The classifier artifact (the one classifier every cell is scored with). */
            classifier: z.string().min(1),
            samples: z.number().int().positive().optional(),
            seed: z.number().int().min(0).optional(),
            backend: z.string().optional(),
          })
          .strict(),
      ])
      .default(false),
    /** Attempts per run before it is reported failed (BullMQ retries with exponential backoff). */
    attempts: z.number().int().min(1).max(20).default(3),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.grids.forEach((g, i) => {
      if (seen.has(g.name))
        ctx.addIssue({ code: 'custom', path: ['grids', i, 'name'], message: `grid "${g.name}" appears twice` });
      seen.add(g.name);
    });
  });
export type StudySpec = z.infer<typeof studySpecSchema>;
export type EvaluateSettings = Exclude<StudySpec['evaluate'], false>;

/** Validates a parsed spec; a bad one is refused with the offending field named (e.g. `grids.0.axes.1.flag`). */
export function parseStudySpec(value: unknown, source = 'study spec'): StudySpec {
  const parsed = studySpecSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length ? issue.path.join('.') : '(top level)';
    const hint = `fix "${field}" in ${source}; see packages/study/README.md for the format`;
    throw new PipelineError(`${source}: ${field}: ${issue.message}`, field, hint);
  }
  return parsed.data;
}

export async function readStudySpec(path: string): Promise<StudySpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new PipelineError('cannot read the study spec', path, 'give the path of a study spec JSON file');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PipelineError(`not JSON: ${(e as Error).message}`, path, 'fix the JSON syntax');
  }
  return parseStudySpec(value, path);
}

/** JSON with object keys sorted at every depth: equal values give equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * What a run is: for a train cell, train's config file content and the flags over it (the seed included),
 * exactly as before other kinds existed (so a train run keeps its name); for a ring or anchor cell, its
 * kind and its flags.
 */
export type ResolvedRunConfig =
  | { kind?: undefined; config: Record<string, unknown>; flags: Record<string, FlagValue> }
  | { kind: 'ring' | 'anchor'; flags: Record<string, FlagValue> };

/** The run's name: `r-` and the first 16 hex digits of sha256 of its canonical resolved config. */
export function runNameFor(resolved: ResolvedRunConfig): { name: string; configHash: string } {
  const configHash = sha256Hex(canonicalJson(resolved));
  return { name: artifactName(`r-${configHash.slice(0, 16)}`, 'run name'), configHash };
}

export interface RunPlan {
  study: string;
  /** What runs the cell (absent in job data queued before the kinds: train). */
  kind?: CellKind;
  grid: string;
  /** The cell: grid name and axis values; the seeds of one cell share it. */
  cell: string;
  axes: Record<string, FlagValue>;
  seed: number;
  name: string;
  configHash: string;
  resolved: ResolvedRunConfig;
}

/** Every axis-value combination of a grid, first axis slowest. */
function combinations(axes: { flag: string; values: FlagValue[] }[]): Record<string, FlagValue>[] {
  let out: Record<string, FlagValue>[] = [{}];
  for (const axis of axes) out = out.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.flag]: v })));
  return out;
}

export function formatValue(v: FlagValue): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

export function cellLabel(grid: string, axes: Record<string, FlagValue>): string {
  const parts = Object.entries(axes).map(([k, v]) => `${k}=${formatValue(v)}`);
  return parts.length ? `${grid} ${parts.join(' ')}` : grid;
}

/** The study's runs: grids × cells × seeds, in that order; two cells resolving to one run are refused. */
export function expandRuns(spec: StudySpec): RunPlan[] {
  const runs: RunPlan[] = [];
  const byName = new Map<string, RunPlan>();
  for (const grid of spec.grids) {
    for (const axes of combinations(grid.axes)) {
      const cell = cellLabel(grid.name, axes);
      for (const seed of spec.seeds) {
        const resolved: ResolvedRunConfig =
          grid.kind === 'train'
            ? {
                config: spec.train.config ?? {},
                flags: { ...spec.train.flags, ...grid.flags, ...axes, seed } as Record<string, FlagValue>,
              }
            : { kind: grid.kind, flags: { ...grid.flags, ...axes, seed } as Record<string, FlagValue> };
        const { name, configHash } = runNameFor(resolved);
        const plan: RunPlan = {
          study: spec.name,
          kind: grid.kind,
          grid: grid.name,
          cell,
          axes,
          seed,
          name,
          configHash,
          resolved,
        };
        const twin = byName.get(name);
        if (twin) {
          const what = `cells "${twin.cell}" and "${cell}" (seed ${seed}) are the same run`;
          throw new PipelineError(what, 'grids', 'remove the duplicate cell');
        }
        byName.set(name, plan);
        runs.push(plan);
      }
    }
  }
  return runs;
}

/** The train CLI arguments of a run (its config file is passed separately as --config). */
export function trainArgs(plan: RunPlan): string[] {
  return ['--name', plan.name, ...flagArgs(plan)];
}

/** `--flag value` for every resolved flag of the run (the seed included). */
export function flagArgs(plan: RunPlan): string[] {
  const args: string[] = [];
  for (const [flag, value] of Object.entries(plan.resolved.flags)) args.push(`--${flag}`, formatValue(value));
  return args;
}

/** A spec's identity (what a duplicate submit is recognised by). */
export function specHash(spec: StudySpec): string {
  return sha256Hex(canonicalJson(spec)).slice(0, 16);
}
