import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { z } from 'zod';
import { inFolder, PipelineError } from './errors.js';
import { isPlainRelativePath } from './names.js';

/**
 * Artifacts: the folders through which stages talk. Each holds a `manifest.json` that says which stage
 * wrote it, with which config, from which parent artifacts, and the sha256 and size of every other file.
 * `writeArtifact` builds the folder under a temporary name and renames it into place, so a reader never
 * sees half an artifact; `readArtifact` verifies the manifest and every checksum before a stage uses it.
 */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_SCHEMA_VERSION = 1;

const fileEntry = z
  .object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().nonnegative() })
  .strict();

export const parentSchema = z
  .object({
    stage: z.string(),
    /** Path relative to the workspace's artifacts folder when inside it, else absolute. */
    path: z.string(),
    manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type ParentRef = z.infer<typeof parentSchema>;

export const manifestSchema = z
  .object({
    schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
    stage: z.string().min(1),
    packageVersion: z.string(),
    createdAt: z.string(),
    config: z.unknown(),
    parents: z.array(parentSchema),
    /** Stage-specific description of the content (shapes, dtypes, counts, metrics). */
    meta: z.record(z.string(), z.unknown()),
    /** Keys are plain relative POSIX paths inside the folder (never `..`, `/…`, `\\` or manifest.json). */
    files: z.record(z.string(), fileEntry).superRefine((files, ctx) => {
      for (const key of Object.keys(files)) {
        if (isPlainRelativePath(key) && key !== MANIFEST_FILE) continue;
        const message =
          'a file entry must be a plain relative path inside the artifact folder ' +
          '(no "..", no leading "/", no "\\", not manifest.json)';
        ctx.addIssue({ code: 'custom', path: [key], message });
      }
    }),
  })
  .strict();
export type Manifest = z.infer<typeof manifestSchema>;

export interface ArtifactHeader {
  stage: string;
  packageVersion: string;
  config: unknown;
  parents?: ParentRef[];
  meta?: Record<string, unknown>;
}

export interface Artifact {
  dir: string;
  manifest: Manifest;
  /** sha256 of manifest.json's bytes: what children record as their parent. */
  manifestSha256: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256Bytes(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every regular file under `dir`, as POSIX-style relative paths, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  }
  await walk(dir);
  return out.sort();
}

/** The manifest of the folder `dir` as it is now: every file but manifest.json and temporaries, hashed. */
async function buildManifest(dir: string, header: ArtifactHeader): Promise<{ manifest: Manifest; text: string }> {
  const files: Manifest['files'] = {};
  for (const rel of await listFiles(dir)) {
    if (rel === MANIFEST_FILE || rel.includes('.tmp-')) continue;
    const p = join(dir, rel);
    files[rel] = { sha256: await sha256File(p), size: (await stat(p)).size };
  }
  const manifest: Manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    stage: header.stage,
    packageVersion: header.packageVersion,
    createdAt: new Date().toISOString(),
    config: header.config ?? null,
    parents: header.parents ?? [],
    meta: header.meta ?? {},
    files,
  };
  return { manifest, text: `${JSON.stringify(manifest, null, 2)}\n` };
}

/**
 * Writes an artifact atomically: `fill(tmpDir)` writes the content into a fresh temporary sibling of
 * `dir` and may return metadata known only once the content is written (merged into `meta`); then every
 * file is hashed into the manifest, and the folder is renamed onto `dir` (an older artifact there is
 * replaced only once the new one is complete). If `fill` throws, nothing is left behind.
 */
export async function writeArtifact(
  dir: string,
  header: ArtifactHeader,
  fill: (tmpDir: string) => Promise<Record<string, unknown> | void>,
): Promise<Artifact> {
  await refuseForeignFolder(dir, header.stage);
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = join(parent, `.${basename(dir)}.tmp-${tag}`);
  await mkdir(tmp, { recursive: true });
  try {
    const filledMeta = await fill(tmp);
    if (existsSync(join(tmp, MANIFEST_FILE))) throw new Error(`an artifact's content may not include ${MANIFEST_FILE}`);
    const { manifest, text } = await buildManifest(tmp, {
      ...header,
      meta: { ...(header.meta ?? {}), ...(filledMeta ?? {}) },
    });
    await writeFile(join(tmp, MANIFEST_FILE), text);
    await replaceDir(tmp, dir, tag);
    return { dir, manifest, manifestSha256: sha256Bytes(text) };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw inFolder(e, dir);
  }
}

/**
 * An artifact replaces only an earlier artifact of the same stage (or an empty folder): a misdirected
 * `--out` pointing at `runs/` or at another stage's artifact must not swap that folder away.
 */
async function refuseForeignFolder(dir: string, stage: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') {
      throw new PipelineError('the output path is a file, not an artifact folder', dir, 'pick another output folder');
    }
    throw e;
  }
  if (entries.length === 0) return;
  let writtenBy: string | null = null;
  try {
    writtenBy = (JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as { stage?: unknown }).stage as string;
  } catch {
    writtenBy = null;
  }
  if (writtenBy !== stage) {
    const what = writtenBy
      ? `an artifact of stage "${writtenBy}"`
      : 'a folder that is not an artifact (no manifest.json)';
    const hint = 'pick another output folder (or remove that one yourself if it is really meant to go)';
    throw new PipelineError(`refusing to replace ${what} with a "${stage}" artifact`, dir, hint);
  }
}

/** Renames `from` onto `to`; an existing `to` is moved aside first and removed after. */
async function replaceDir(from: string, to: string, tag: string): Promise<void> {
  if (!existsSync(to)) {
    await rename(from, to);
    return;
  }
  const old = join(dirname(to), `.${basename(to)}.old-${tag}`);
  await rename(to, old);
  try {
    await rename(from, to);
  } catch (e) {
    await rename(old, to);
    throw e;
  }
  await rm(old, { recursive: true, force: true });
}

/**
 * Seals a folder that was built in place (a training run): hashes every file in it into a fresh
 * manifest.json, written atomically. A later change to any file makes readArtifact refuse the folder.
 */
export async function sealArtifact(dir: string, header: ArtifactHeader): Promise<Artifact> {
  const { manifest, text } = await buildManifest(dir, header);
  const tmp = join(dir, `.${MANIFEST_FILE}.tmp-${process.pid}`);
  await writeFile(tmp, text);
  await rename(tmp, join(dir, MANIFEST_FILE));
  return { dir, manifest, manifestSha256: sha256Bytes(text) };
}

export interface ReadOptions {
  /** Accepted producing stage(s). */
  stage?: string | string[];
  /** The command that (re)creates this artifact, used in error hints. */
  remake?: string;
  /** Skip the sha256 of file contents (sizes are still checked). For quick listings only. */
  skipChecksums?: boolean;
}

/**
 * Reads and verifies an artifact: the manifest's schema and stage, then the size and sha256 of every
 * listed file, and that no unlisted file was added. Errors name the file and the fix.
 */
export async function readArtifact(dir: string, options: ReadOptions = {}): Promise<Artifact> {
  const remake = options.remake ? `rerun \`${options.remake}\`` : 'rerun the stage that writes it';
  const manifestPath = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    const what = existsSync(dir)
      ? 'artifact folder has no manifest.json (incomplete or not an artifact)'
      : 'artifact not found';
    throw new PipelineError(what, manifestPath, `${remake} to create it`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PipelineError(
      `manifest is not valid JSON: ${(e as Error).message}`,
      manifestPath,
      `the artifact is damaged: ${remake}`,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PipelineError(
      `manifest does not match schema v${MANIFEST_SCHEMA_VERSION}: ` +
        `${issue.path.join('.') || '(root)'}: ${issue.message}`,
      manifestPath,
      `the artifact is damaged or from another version: ${remake}`,
    );
  }
  const manifest = parsed.data;
  const stages =
    options.stage === undefined ? undefined : Array.isArray(options.stage) ? options.stage : [options.stage];
  if (stages && !stages.includes(manifest.stage)) {
    throw new PipelineError(
      `artifact was written by stage "${manifest.stage}", expected ${stages.map((s) => `"${s}"`).join(' or ')}`,
      manifestPath,
      'point this stage at the right folder',
    );
  }
  const present = await listFiles(dir);
  for (const rel of present) {
    if (rel !== MANIFEST_FILE && !(rel in manifest.files)) {
      throw new PipelineError(
        'file is not listed in the manifest (added after the artifact was written)',
        join(dir, rel),
        `remove it, or ${remake}`,
      );
    }
  }
  for (const [rel, entry] of Object.entries(manifest.files)) {
    const p = join(dir, rel);
    let size: number;
    try {
      size = (await stat(p)).size;
    } catch {
      throw new PipelineError('file listed in the manifest is missing', p, remake);
    }
    if (size !== entry.size) {
      throw new PipelineError(
        `file size ${size} does not match the manifest's ${entry.size} (truncated or modified)`,
        p,
        remake,
      );
    }
    if (!options.skipChecksums) {
      const actual = await sha256File(p);
      if (actual !== entry.sha256) {
        throw new PipelineError(
          `sha256 ${actual.slice(0, 12)}… does not match the ` +
            `manifest's ${entry.sha256.slice(0, 12)}… (file was modified)`,
          p,
          remake,
        );
      }
    }
  }
  return { dir, manifest, manifestSha256: sha256Bytes(text) };
}

/** The reference a child artifact records for this parent. */
export function parentRef(artifact: Artifact, artifactsRoot?: string): ParentRef {
  const rel = artifactsRoot ? relative(artifactsRoot, artifact.dir) : '';
  const path = rel && !rel.startsWith('..') ? rel.split(sep).join('/') : artifact.dir;
  return { stage: artifact.manifest.stage, path, manifestSha256: artifact.manifestSha256 };
}
