import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { PipelineError, readFloat32 } from '@wgan/core';

/**
 * Readers for what render draws from: a train run folder (metrics.jsonl, snapshots/, train-stats.json)
 * and an evaluation folder (report.json and the float32 files it points at). They are lenient where the
 * formats may grow (unknown fields are ignored, a missing figure's input is `undefined`) and strict where
 * a wrong number would be drawn (a damaged line or a truncated tensor file is an error naming the file).
 */

const PIXELS = 784;

/** One generator iteration of metrics.jsonl; null / missing numbers are NaN. */
export interface MetricRecord {
  iteration: number;
  lossD: number;
  lossG: number;
  dReal: number;
  dFake: number;
  wassersteinGap: number;
  gp: number;
  gradNormMean: number;
  gradNormStd: number;
  clipFraction: number;
  /** VAE runs: the negative ELBO, its reconstruction term and the KL (batch means). */
  loss: number;
  recon: number;
  kl: number;
  wallMs: number;
}

const METRIC_FIELDS = [
  'lossD',
  'lossG',
  'dReal',
  'dFake',
  'wassersteinGap',
  'gp',
  'gradNormMean',
  'gradNormStd',
  'clipFraction',
  'loss',
  'recon',
  'kl',
  'wallMs',
] as const;

export interface Metrics {
  records: MetricRecord[];
  /** Lines whose iteration appeared again later (a resumed run): the later line wins. */
  replaced: number;
  /** An incomplete last line (the run was killed mid-write) that was left out. */
  droppedPartialLine: boolean;
}

/** A JSON number, or NaN for null/absent/non-numbers (metrics.jsonl writes NaN as null). */
function asNumber(v: unknown): number {
  return typeof v === 'number' ? v : NaN;
}

/**
 * Parses metrics.jsonl: one JSON object per line with a numeric `iteration`. Records come back sorted
 * by iteration, one per iteration (a resumed run re-logs iterations after its checkpoint; the later
 * line is kept). A malformed last line without a newline is a write cut short and is dropped; any other
 * malformed line is an error naming the file and line.
 */
export function parseMetrics(text: string, file = 'metrics.jsonl'): Metrics {
  const lines = text.split('\n');
  const endsClean = text.endsWith('\n') || text.length === 0;
  const byIteration = new Map<number, MetricRecord>();
  let replaced = 0;
  let droppedPartialLine = false;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      if (i === lines.length - 1 && !endsClean) {
        droppedPartialLine = true;
        return;
      }
      throw new PipelineError(
        `line ${i + 1} is not valid JSON: ${(e as Error).message}`,
        `${file}:${i + 1}`,
        'the metrics log is damaged: rerun the training stage, or remove the line',
      );
    }
    if (obj === null || typeof obj !== 'object' || typeof (obj as { iteration?: unknown }).iteration !== 'number') {
      throw new PipelineError(
        `line ${i + 1} has no numeric "iteration"`,
        `${file}:${i + 1}`,
        'this file is not a train metrics log: point --run-dir at a train run folder',
      );
    }
    const o = obj as Record<string, unknown>;
    const record = { iteration: o.iteration as number } as MetricRecord;
    for (const f of METRIC_FIELDS) record[f] = asNumber(o[f]);
    if (byIteration.has(record.iteration)) replaced++;
    byIteration.set(record.iteration, record);
  });
  const records = [...byIteration.values()].sort((a, b) => a.iteration - b.iteration);
  return { records, replaced, droppedPartialLine };
}

export async function readMetrics(path: string): Promise<Metrics | undefined> {
  if (!existsSync(path)) return undefined;
  return parseMetrics(await readFile(path, 'utf8'), path);
}

export interface SnapshotFile {
  iteration: number;
  path: string;
}

const SNAPSHOT_NAME = /^iter-(\d{8})\.f32$/;

/** snapshots/iter-XXXXXXXX.f32 files of a run, sorted by iteration (none: []). */
export async function listSnapshots(runDir: string): Promise<SnapshotFile[]> {
  const dir = join(runDir, 'snapshots');
  if (!existsSync(dir)) return [];
  const out: SnapshotFile[] = [];
  for (const name of await readdir(dir)) {
    const m = SNAPSHOT_NAME.exec(name);
    if (m) out.push({ iteration: Number(m[1]), path: join(dir, name) });
  }
  return out.sort((a, b) => a.iteration - b.iteration);
}

/** A float32 file of whole 28×28 images ([n, 784] in [−1, 1]); returns the values and n. */
export async function readImages(path: string): Promise<{ images: Float32Array; count: number }> {
  const images = await readFloat32(path);
  if (images.length === 0 || images.length % PIXELS !== 0) {
    throw new PipelineError(
      `holds ${images.length} floats, not a whole number of 28×28 images`,
      path,
      'the file is truncated or not an image tensor: rerun the stage that writes it',
    );
  }
  return { images, count: images.length / PIXELS };
}

/** Picks at most `max` items evenly spread over the list, always keeping the first and the last. */
export function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  if (max === 1) return [items[items.length - 1]];
  const picked = new Set<number>();
  for (let k = 0; k < max; k++) picked.add(Math.round((k * (items.length - 1)) / (max - 1)));
  return [...picked].sort((a, b) => a - b).map((i) => items[i]);
}

/** Reads a JSON file if it exists; a file that exists but does not parse is an error. */
export async function readJsonIfPresent(path: string): Promise<unknown> {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new PipelineError(
      `not valid JSON: ${(e as Error).message}`,
      path,
      'the file is damaged: rerun the stage that writes it',
    );
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' || x === null);
}

/**
 * A figure's number from a report field that is either a number or an estimate object
 * (`{ mean, std }` / `{ value }`); NaN when absent.
 */
export function reportNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (isObject(v)) {
    if (typeof v.mean === 'number') return v.mean;
    if (typeof v.value === 'number') return v.value;
  }
  return NaN;
}

/**
 * The per-interpolate gradient norms g_i (E6's N = 256 at the end of an epoch) if train-stats.json holds
 * them: `gradNorms` at the top, or `norms` / `g` / `gradNorms` in the last entry of `E6` (a per-epoch
 * list) or in `E6` itself. undefined when the file records only summaries.
 */
export function findGradNorms(trainStats: unknown): { values: number[]; where: string } | undefined {
  if (!isObject(trainStats)) return undefined;
  if (isNumberArray(trainStats.gradNorms)) return { values: trainStats.gradNorms, where: 'gradNorms' };
  const e6 = trainStats.E6;
  const candidates: [unknown, string][] = [];
  if (Array.isArray(e6) && e6.length > 0) candidates.push([e6[e6.length - 1], `E6[${e6.length - 1}]`]);
  if (isObject(e6)) candidates.push([e6, 'E6']);
  for (const [entry, where] of candidates) {
    if (!isObject(entry)) continue;
    for (const key of ['norms', 'g', 'gradNorms']) {
      if (isNumberArray(entry[key])) return { values: entry[key] as number[], where: `${where}.${key}` };
    }
  }
  return undefined;
}

/** The parts of evaluate's report.json that render draws (everything optional). */
export interface EvalReport {
  checkpoints?: { iteration: number; inceptionScore: number; frechet: number; wassersteinGap: number }[];
  inceptionScore?: { fake: number; realTest: number };
  frechet?: { fakeVsTest: number; trainVsTest: number };
  traversal?: { index?: number; values: number[]; file: string };
  samples?: { file: string; count?: number };
  classHistogram?: { labels: string[]; series: { name: string; values: number[] }[] };
  run?: Record<string, unknown>;
}

/**
 * Picks render's fields out of a report.json (schema owned by the evaluate stage); fields it cannot
 * read are left out, so their figures are skipped rather than drawn wrong.
 */
export function parseEvalReport(raw: unknown): EvalReport {
  if (!isObject(raw)) return {};
  const out: EvalReport = {};
  if (Array.isArray(raw.checkpoints)) {
    out.checkpoints = raw.checkpoints
      .filter(isObject)
      .filter((c) => typeof c.iteration === 'number')
      .map((c) => {
        const fd =
          isObject(c.frechet) && !('mean' in c.frechet) && !('value' in c.frechet) ? c.frechet.fakeVsTest : c.frechet;
        return {
          iteration: c.iteration as number,
          inceptionScore: reportNumber(c.inceptionScore),
          frechet: reportNumber(fd),
          wassersteinGap: reportNumber(c.wassersteinGap),
        };
      })
      .sort((a, b) => a.iteration - b.iteration);
  }
  if (isObject(raw.inceptionScore))
    out.inceptionScore = {
      fake: reportNumber(raw.inceptionScore.fake),
      realTest: reportNumber(raw.inceptionScore.realTest),
    };
  if (isObject(raw.frechet))
    out.frechet = {
      fakeVsTest: reportNumber(raw.frechet.fakeVsTest),
      trainVsTest: reportNumber(raw.frechet.trainVsTest),
    };
  // evaluate's report: files.samples (the first 100 samples) and files.traversal with E9's latent index and values
  const files = isObject(raw.files) ? raw.files : {};
  const e9 = isObject(raw.E9) ? raw.E9 : {};
  const t = isObject(raw.traversal)
    ? raw.traversal
    : typeof files.traversal === 'string'
      ? { file: files.traversal, values: e9.values, index: e9.latentIndex }
      : undefined;
  if (isObject(t) && isNumberArray(t.values) && typeof t.file === 'string') {
    out.traversal = { values: t.values, file: t.file, ...(typeof t.index === 'number' ? { index: t.index } : {}) };
  }
  const s = isObject(raw.samples)
    ? raw.samples
    : typeof files.samples === 'string'
      ? { file: files.samples }
      : undefined;
  if (isObject(s) && typeof s.file === 'string')
    out.samples = { file: s.file, ...(typeof s.count === 'number' ? { count: s.count } : {}) };
  out.classHistogram = parseClassHistogram(raw.classHistogram);
  if (!out.classHistogram) delete out.classHistogram;
  if (isObject(raw.run)) out.run = raw.run;
  return out;
}

/** `[c0, …, c9]`, `{ fake: [...], realTest: [...] }` or `{ counts: [...] }` → labelled series. */
function parseClassHistogram(v: unknown): EvalReport['classHistogram'] {
  const names: Record<string, string> = {
    fake: 'generated',
    realTest: 'real test',
    real: 'real',
    counts: 'generated',
    fractions: 'generated',
  };
  let series: { name: string; values: number[] }[] = [];
  if (isNumberArray(v)) series = [{ name: 'generated', values: v }];
  else if (isObject(v)) {
    series = Object.entries(v)
      .filter(([, x]) => isNumberArray(x))
      .map(([k, x]) => ({ name: names[k] ?? k, values: x as number[] }));
  }
  if (series.length === 0) return undefined;
  const n = series[0].values.length;
  series = series.filter((s) => s.values.length === n);
  const named = new Set<string>();
  series = series.filter((s) => (named.has(s.name) ? false : (named.add(s.name), true)));
  return { labels: Array.from({ length: n }, (_, k) => String(k)), series };
}

/**
 * Resolves a file named in report.json against the eval folder, refusing paths that leave it (a
 * report must point only at its own artifact's files).
 */
export function fileInside(dir: string, file: string): string | undefined {
  const p = resolve(dir, file);
  const rel = relative(resolve(dir), p);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return p;
}
