import {
  closeSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeSync,
  mkdirSync,
  existsSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PipelineError } from './errors.js';
import type { Logger } from './logger.js';

/**
 * One writer per artifact. `acquireArtifactLock(dir)` creates `<parent>/.<name>.lock` with O_EXCL, holding
 * the writer's pid, host, stage and start time. A second writer is refused (exit 2) with the holder named.
 * A lock left by a dead process on this host is taken over, with a log line. The lock sits beside the
 * artifact, not inside it, because artifacts are replaced by renaming a finished temporary folder onto them.
 */
export interface LockHolder {
  pid: number;
  host: string;
  stage: string;
  startedAt: string;
  command: string;
}

export interface ArtifactLock {
  /** The lock file's path. */
  readonly path: string;
  readonly holder: LockHolder;
  /** Removes the lock if it is still ours. Safe to call twice. */
  release(): void;
}

export function lockPathFor(dir: string): string {
  return join(dirname(dir), `.${basename(dir)}.lock`);
}

function readHolder(path: string): { text: string; holder: LockHolder | null } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    return { text, holder: JSON.parse(text) as LockHolder };
  } catch {
    return { text, holder: null };
  }
}

/**
 * Whether a process with this pid runs on this host (EPERM: it exists but is not ours). A zombie — killed,
 * not yet reaped by its parent (an orphan waits for init, which may be slow to reap) — holds nothing: on
 * Linux its state in /proc/<pid>/stat is Z (or X), and it counts as gone.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // no procfs (not Linux): kill(pid, 0) is all there is
  }
  // "pid (comm) S …": comm may hold spaces and parentheses, the state follows the last ')'
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}

function describe(h: LockHolder | null, path: string): string {
  return h ? `pid ${h.pid} on ${h.host} (${h.stage}, since ${h.startedAt})` : `an unreadable lock file ${path}`;
}

export interface LockOptions {
  stage: string;
  logger?: Logger;
  /** The flag that named the artifact, for the error. */
  flag?: string;
}

/** Takes the artifact's lock or throws a PipelineError naming the holder. */
export function acquireArtifactLock(dir: string, options: LockOptions): ArtifactLock {
  const path = lockPathFor(dir);
  // the first folder this call had to create: removed again on release if the writer left it empty
  const createdFrom = mkdirSync(dirname(path), { recursive: true });
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    stage: options.stage,
    startedAt: new Date().toISOString(),
    command: process.argv.slice(1).join(' ').slice(0, 500),
  };
  const text = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      return makeLock(path, holder, text, createdFrom);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const current = readHolder(path);
    if (current === null) continue; // released between our open and our read: try again
    const h = current.holder;
    const stale = h !== null && h.host === holder.host && !pidAlive(h.pid);
    if (!stale) {
      const other = h && h.host !== holder.host ? ` If that host's process is gone, remove ${path}.` : '';
      throw new PipelineError(
        `${dir} is being written by ${describe(h, path)}`,
        options.flag ?? dir,
        `wait for it to finish, or pick another name.${other}`,
      );
    }
    // Take a dead writer's lock over: move it aside atomically, and only remove what we moved if it is
    // still the stale one (another taker may have replaced it in between).
    const aside = `${path}.stale-${process.pid}`;
    try {
      renameSync(path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    const moved = readHolder(aside);
    if (moved && moved.text !== current.text) {
      if (!existsSync(path))
        renameSync(aside, path); // a live writer's lock: put it back
      else unlinkSafe(aside);
      continue;
    }
    unlinkSafe(aside);
    options.logger?.warn(`taking over the lock of ${dir}: its holder, ${describe(h, path)}, is no longer running`);
  }
  throw new PipelineError(
    `could not take the lock ${path}`,
    options.flag ?? dir,
    'another writer keeps racing for it; try again',
  );
}

function unlinkSafe(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

const held = new Set<ArtifactLock>();
let exitHookInstalled = false;

/** Removes the empty folders from `dirname(path)` up to `createdFrom` (those the lock made). */
function removeEmptyFolders(path: string, createdFrom: string | undefined): void {
  if (!createdFrom) return;
  for (let d = dirname(path); d.length >= createdFrom.length; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (the artifact was written), or already gone
    }
    if (d === createdFrom) return;
  }
}

function makeLock(path: string, holder: LockHolder, text: string, createdFrom?: string): ArtifactLock {
  let released = false;
  const lock: ArtifactLock = {
    path,
    holder,
    release() {
      if (released) return;
      released = true;
      held.delete(lock);
      const current = readHolder(path);
      if (current && current.text === text) unlinkSafe(path);
      removeEmptyFolders(path, createdFrom);
    },
  };
  held.add(lock);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const l of [...held]) l.release();
    });
  }
  return lock;
}

/** Runs `work` while holding the artifact's lock; always releases it. */
export async function withArtifactLock<T>(dir: string, options: LockOptions, work: () => Promise<T>): Promise<T> {
  const lock = acquireArtifactLock(dir, options);
  try {
    return await work();
  } finally {
    lock.release();
  }
}
