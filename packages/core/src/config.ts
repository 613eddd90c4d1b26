import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PipelineError } from './errors.js';

/**
 * Resolves a stage's config: the schema's defaults (the seed's values), overridden by a JSON config
 * file, overridden by command-line flags. Schemas are strict: an unknown key or a wrong type is an error
 * that names the key path (`train.lr`, `layers[2]`) and where the value came from.
 */
export function resolveConfig<S extends z.ZodType>(
  schema: S,
  layers: { file?: string; overrides?: Record<string, unknown>; source?: string },
): z.output<S> {
  let fromFile: Record<string, unknown> = {};
  if (layers.file) {
    fromFile = readJsonObject(layers.file);
  }
  const merged = deepMerge(fromFile, dropUndefined(layers.overrides ?? {}));
  return parseConfig(schema, merged, layers.file ?? layers.source ?? 'flags');
}

/** Validates a plain object against a schema; errors name the key path and the origin. */
export function parseConfig<S extends z.ZodType>(schema: S, value: unknown, origin: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const keyPath = formatPath(first.path);
  const details = result.error.issues.map((i) => `${formatPath(i.path) || '(root)'}: ${i.message}`).join('; ');
  throw new PipelineError(
    `invalid config: ${details}`,
    `${origin}: ${keyPath || '(root)'}`,
    'correct or remove that key; `--dry-run` prints the resolved config with every accepted key',
  );
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

export function readJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PipelineError(
      `cannot read config file: ${(e as Error).message}`,
      file,
      'check the path given to --config',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PipelineError(`config file is not valid JSON: ${(e as Error).message}`, file, 'fix the JSON syntax');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PipelineError('config file must hold a JSON object', file, 'wrap the settings in { ... }');
  }
  return value as Record<string, unknown>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export { z };
