import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gridPng, writeFileAtomic, writeFloat32 } from '@wgan/core';

/**
 * The files of a run folder besides checkpoints: metrics.jsonl, snapshots/, z_fixed.f32,
 * train-stats.json, metadata.json (what render, evaluate and serve read first).
 */
export const METRICS_FILE = 'metrics.jsonl';

export function snapshotBase(runDir: string, iteration: number): string {
  return join(runDir, 'snapshots', `iter-${String(iteration).padStart(8, '0')}`);
}

let warnedNoSharp = false;

/** G(z_fixed) as raw float32 [n, 784] and as a grid PNG (8 columns for the seed's 64). */
export async function writeSnapshot(
  runDir: string,
  iteration: number,
  images: Float32Array,
  count: number,
): Promise<void> {
  await mkdir(join(runDir, 'snapshots'), { recursive: true });
  const base = snapshotBase(runDir, iteration);
  await writeFloat32(`${base}.f32.tmp`, images);
  await rename(`${base}.f32.tmp`, `${base}.f32`);
  try {
    await writeFileAtomic(
      `${base}.png`,
      await gridPng(images, count, { cols: Math.ceil(Math.sqrt(count)), pad: 2, scale: 2 }),
    );
  } catch (e) {
    // Only where sharp is absent (a bundle run on a GPU machine): the raw snapshot is what counts; render draws it
    // later.
    if (!/sharp/i.test(String((e as Error).message))) throw e;
    if (!warnedNoSharp)
      process.stderr.write(
        `snapshots: PNGs skipped (${(e as Error).message.split('\n')[0]}); the .f32 files are written\n`,
      );
    warnedNoSharp = true;
  }
}

/** Keeps only the metrics lines of iterations ≤ `iteration` (a resumed run rewrites what follows). */
export async function truncateMetrics(runDir: string, iteration: number): Promise<void> {
  const file = join(runDir, METRICS_FILE);
  if (!existsSync(file)) return;
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  const kept: string[] = [];
  for (const line of lines) {
    try {
      if ((JSON.parse(line) as { iteration: number }).iteration <= iteration) kept.push(line);
    } catch {
      break; // a line cut by a kill: everything after it is dropped
    }
  }
  await writeFileAtomic(file, kept.length ? `${kept.join('\n')}\n` : '');
}

export interface RunMetadata {
  step: number;
  totalSteps: number;
  completed: boolean;
  updatedAt: string;
  latestCheckpoint: string | null;
  backend: string;
}

export async function writeMetadata(runDir: string, meta: Omit<RunMetadata, 'updatedAt'>): Promise<void> {
  await writeFileAtomic(
    join(runDir, 'metadata.json'),
    `${JSON.stringify({ ...meta, updatedAt: new Date().toISOString() }, null, 2)}\n`,
  );
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Removes leftovers of a killed process: temporary checkpoint folders and files. */
export async function removeTemporaries(runDir: string): Promise<void> {
  for (const sub of ['checkpoints', 'snapshots', '.']) {
    const dir = join(runDir, sub);
    if (!existsSync(dir)) continue;
    for (const name of await readdir(dir))
      if (name.includes('.tmp')) await rm(join(dir, name), { recursive: true, force: true });
  }
}
