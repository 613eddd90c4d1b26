import { randomInt } from 'node:crypto';
import { PipelineError, z } from '@wgan/core';
import { linspace, sampleLatents, traversalLatents, fixLatent } from './sampling.js';

/**
 * Request bodies of the HTTP API, validated into what the generator consumes. Every rejection is a
 * RequestError naming the offending field (`count`, `z[3]`, `z[0][5]`, `fix.index`, `body`,
 * `content-type`, `url`) with an HTTP status in 4xx; the server sends it as
 * `{ "error": message, "field": field, "hint": hint }`.
 */
export class RequestError extends PipelineError {
  constructor(
    readonly status: number,
    message: string,
    field: string,
    hint: string,
  ) {
    super(message, field, hint);
  }

  toJSON(): { error: string; field: string; hint: string } {
    return { error: this.message, field: this.where, hint: this.hint };
  }
}

/** Largest number of images in one request, on every route (`count`, `z`, `rows` × `values`). */
export const MAX_COUNT = 256;
export const MAX_TRAVERSE_VALUES = 32;
export const MAX_TRAVERSE_ROWS = 16;

/**
 * JSON.parse that also reads the bare tokens NaN, Infinity and -Infinity (Python's json.dumps writes
 * them), so the validator can reject them by field name instead of a generic "invalid JSON".
 */
export function parseJsonLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    if (!/NaN|Infinity/.test(text)) throw first;
    const marked = markNonFinite(text);
    return JSON.parse(marked, (_key, v: unknown) =>
      typeof v === 'string' && v.startsWith(MARK) ? Number(v.slice(MARK.length)) : v,
    );
  }
}

const MARK = '\u0000nonfinite:';

function markNonFinite(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    const token = ['-Infinity', 'Infinity', 'NaN'].find((t) => text.startsWith(t, i));
    if (token) {
      out += JSON.stringify(MARK + token);
      i += token.length - 1;
    } else {
      out += ch;
    }
  }
  return out;
}

/** A number the generator can take: finite after rounding to float32 (|x| ≤ 3.4028235e38). */
export function isFiniteFloat32(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(Math.fround(v));
}
const FLOAT32_RULE = 'a finite float32 number (|x| ≤ 3.4028235e38)';
const finite = z
  .number({
    error: (iss) => (iss.input === undefined ? 'is required' : `must be ${FLOAT32_RULE}, got ${describe(iss.input)}`),
  })
  .refine(isFiniteFloat32, { error: (iss) => `must be ${FLOAT32_RULE}, got ${describe(iss.input)}` });
const intIn = (lo: number, hi: number) =>
  z
    .number({
      error: (iss) =>
        iss.input === undefined ? 'is required' : `must be an integer from ${lo} to ${hi}, got ${describe(iss.input)}`,
    })
    .refine((v) => Number.isInteger(v) && v >= lo && v <= hi, {
      error: (iss) => `must be an integer from ${lo} to ${hi}, got ${describe(iss.input)}`,
    });
const seedField = intIn(0, 0xffffffff);
const format = z.enum(['json', 'png', 'f32'], {
  error: (iss) => `must be "json", "png" or "f32", got ${describe(iss.input)}`,
});

const generateSchema = z
  .object({
    count: intIn(1, MAX_COUNT).optional(),
    seed: seedField.optional(),
    /** Latent vectors: [count][d_z], or one vector [d_z]. */
    z: z
      .array(z.unknown(), {
        error: 'must be an array of latent vectors: [[z0, z1, ...], ...] or one vector [z0, z1, ...]',
      })
      .optional(),
    /** Sets one latent coordinate in every vector (the page's slider). */
    fix: z
      .object({ index: intIn(0, 1 << 20), value: finite })
      .strict()
      .optional(),
    format: format.optional(),
    cols: intIn(1, MAX_COUNT).optional(),
    scale: intIn(1, 8).optional(),
  })
  .strict();

const traverseSchema = z
  .object({
    seed: seedField.optional(),
    index: intIn(0, 1 << 20),
    values: z
      .array(finite)
      .min(1, { error: 'needs at least one value' })
      .max(MAX_TRAVERSE_VALUES, { error: `takes at most ${MAX_TRAVERSE_VALUES} values` })
      .optional(),
    rows: intIn(1, MAX_TRAVERSE_ROWS).optional(),
    format: format.optional(),
    scale: intIn(1, 8).optional(),
  })
  .strict();

/** json: nested arrays of numbers; png: a grayscale grid; f32: raw float32 little-endian [n, 1, 28, 28]. */
export type ImageFormat = 'json' | 'png' | 'f32';

export interface GenerateRequest {
  z: Float32Array;
  count: number;
  /** The seed the vectors were drawn from (null when the client sent z). */
  seed: number | null;
  format: ImageFormat;
  cols: number;
  scale: number;
}

export interface TraverseRequest {
  z: Float32Array;
  seed: number;
  index: number;
  values: number[];
  rows: number;
  format: ImageFormat;
  scale: number;
}

/** The body's `format`, else the Accept header (image/png → png, application/octet-stream → f32), else json. */
function chooseFormat(bodyFormat: ImageFormat | undefined, accept: string | undefined): ImageFormat {
  if (bodyFormat) return bodyFormat;
  if (!accept || /application\/json/.test(accept)) return 'json';
  if (/image\/png/.test(accept)) return 'png';
  if (/application\/octet-stream/.test(accept)) return 'f32';
  return 'json';
}

export function parseGenerate(
  body: unknown,
  latentDim: number,
  accept?: string,
  randomSeed: () => number = defaultSeed,
): GenerateRequest {
  const b = validate(generateSchema, body === undefined ? {} : body);
  let zValues: Float32Array;
  let count: number;
  let seed: number | null = null;
  if (b.z !== undefined) {
    if (b.seed !== undefined)
      throw new RequestError(
        400,
        'give either seed or z, not both',
        'seed',
        'drop seed to use your z, or drop z to sample from the seed',
      );
    const rows = latentRows(b.z, latentDim);
    if (b.count !== undefined && b.count !== rows.length)
      throw new RequestError(
        400,
        `count ${b.count} differs from the ${rows.length} vectors in z`,
        'count',
        'drop count when sending z',
      );
    count = rows.length;
    zValues = new Float32Array(count * latentDim);
    rows.forEach((row, i) => zValues.set(row, i * latentDim));
  } else {
    count = b.count ?? 16;
    seed = b.seed ?? randomSeed();
    zValues = sampleLatents(seed, count, latentDim);
  }
  if (b.fix) {
    if (b.fix.index >= latentDim)
      throw new RequestError(
        400,
        `fix.index ${b.fix.index} is out of range: the latent size is ${latentDim}`,
        'fix.index',
        `use 0 to ${latentDim - 1}`,
      );
    fixLatent(zValues, latentDim, b.fix.index, b.fix.value);
  }
  return {
    z: zValues,
    count,
    seed,
    format: chooseFormat(b.format, accept),
    cols: Math.min(b.cols ?? Math.ceil(Math.sqrt(count)), count),
    scale: b.scale ?? 2,
  };
}

/**
 * z as sent: an array of vectors ([count][d_z]) or one vector ([d_z]); every entry a finite number.
 * Errors name the exact element: `z[3]` (a vector of the wrong length), `z[0][5]` (NaN, a string, ...).
 */
function latentRows(zBody: unknown[], latentDim: number): number[][] {
  const nested = zBody.length > 0 && Array.isArray(zBody[0]);
  const rows = (nested ? zBody : [zBody]) as unknown[];
  const hint = `send 1 to ${MAX_COUNT} vectors of ${latentDim} finite float32 numbers (GET /model shows latentDim)`;
  if (zBody.length === 0) throw new RequestError(400, 'z is empty', 'z', hint);
  if (rows.length > MAX_COUNT) {
    const message = `z has ${rows.length} vectors, at most ${MAX_COUNT} per request`;
    throw new RequestError(400, message, 'z', `split the request: at most ${MAX_COUNT} images per request`);
  }
  return rows.map((row, i) => {
    const field = nested ? `z[${i}]` : 'z';
    if (!Array.isArray(row))
      throw new RequestError(
        400,
        `${field} must be an array of ${latentDim} numbers, got ${describe(row)}`,
        field,
        hint,
      );
    if (row.length !== latentDim)
      throw new RequestError(
        400,
        `${field} has ${row.length} values; the model's latent size is ${latentDim}`,
        field,
        hint,
      );
    row.forEach((v, j) => {
      if (!isFiniteFloat32(v)) {
        const at = `${field}[${j}]`;
        throw new RequestError(400, `${at} must be ${FLOAT32_RULE}, got ${describe(v)}`, at, hint);
      }
    });
    return row as number[];
  });
}

export function parseTraverse(
  body: unknown,
  latentDim: number,
  accept?: string,
  randomSeed: () => number = defaultSeed,
): TraverseRequest {
  const b = validate(traverseSchema, body === undefined ? {} : body);
  if (b.index >= latentDim)
    throw new RequestError(
      400,
      `index ${b.index} is out of range: the latent size is ${latentDim}`,
      'index',
      `use 0 to ${latentDim - 1}`,
    );
  const values = b.values ?? linspace(-2, 2, 10); // E9: 10 evenly spaced values in [−2, 2]
  const rows = b.rows ?? 1;
  if (rows * values.length > MAX_COUNT) {
    const field = b.rows === undefined ? 'values' : 'rows';
    const images = rows * values.length;
    const message = `rows × values = ${rows} × ${values.length} = ${images} images, more than ${MAX_COUNT} per request`;
    const hint =
      `at most ${MAX_COUNT} images per request: lower rows ` + `or send fewer values (rows × values ≤ ${MAX_COUNT})`;
    throw new RequestError(400, message, field, hint);
  }
  const seed = b.seed ?? randomSeed();
  return {
    z: traversalLatents(seed, rows, latentDim, b.index, values),
    seed,
    index: b.index,
    values,
    rows,
    format: chooseFormat(b.format, accept),
    scale: b.scale ?? 2,
  };
}

function defaultSeed(): number {
  return randomInt(0, 2 ** 31);
}

function validate<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new RequestError(400, 'the body must be a JSON object', 'body', 'send e.g. {"count": 16, "seed": 1}');
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const key = (issue as { keys: string[] }).keys[0];
    throw new RequestError(
      400,
      `unknown field "${key}"`,
      fieldPath([...issue.path, key]),
      'see GET / or the README for the accepted fields',
    );
  }
  const field = fieldPath(issue.path);
  const hint =
    field === 'count'
      ? `send 1 to ${MAX_COUNT} images per request (split larger batches)`
      : 'see the README of @wgan/serve for the accepted values';
  throw new RequestError(400, `${field} ${issue.message}`, field, hint);
}

/** ['z', 3, 5] → "z[3][5]", ['fix', 'index'] → "fix.index". */
export function fieldPath(path: PropertyKey[]): string {
  return (
    path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '') ||
    'body'
  );
}

function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (v === null) return 'null';
  return Array.isArray(v) ? 'an array' : typeof v;
}
