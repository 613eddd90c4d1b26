import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PipelineError } from './errors.js';
import { acquireArtifactLock, lockPathFor, pidAlive, withArtifactLock } from './lock.js';
import type { Logger } from './logger.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lock-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function recordingLogger(lines: string[]): Logger {
  const push = (m: string) => void lines.push(m);
  return { debug: push, info: push, warn: push, error: push } as unknown as Logger;
}

/** A pid that is certainly dead: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

describe('acquireArtifactLock', () => {
  it('writes pid, host, stage and start time beside the artifact, and releases it', () => {
    const dir = join(root, 'runs', 'a');
    const lock = acquireArtifactLock(dir, { stage: 'train' });
    expect(lock.path).toBe(join(root, 'runs', '.a.lock'));
    const holder = JSON.parse(readFileSync(lock.path, 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, host: hostname(), stage: 'train' });
    expect(Date.parse(holder.startedAt)).toBeGreaterThan(0);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    lock.release();
  });

  it('refuses a second writer with exit 2, naming the holder', () => {
    const dir = join(root, 'a');
    const lock = acquireArtifactLock(dir, { stage: 'train', flag: '--name' });
    try {
      acquireArtifactLock(dir, { stage: 'evaluate', flag: '--name' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PipelineError);
      expect((e as PipelineError).exitCode).toBe(2);
      expect((e as PipelineError).message).toContain(`pid ${process.pid}`);
      expect((e as PipelineError).message).toContain('train');
    } finally {
      lock.release();
    }
    acquireArtifactLock(dir, { stage: 'train' }).release();
  });

  it("takes over a dead local process's lock with a log line", async () => {
    const dir = join(root, 'a');
    const pid = await deadPid();
    writeFileSync(
      lockPathFor(dir),
      JSON.stringify({ pid, host: hostname(), stage: 'train', startedAt: 'then', command: '' }),
    );
    const lines: string[] = [];
    const lock = acquireArtifactLock(dir, { stage: 'train', logger: recordingLogger(lines) });
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    expect(lines.join('\n')).toContain(`pid ${pid}`);
    lock.release();
  });

  it.runIf(process.platform === 'linux')(
    "takes over a killed process's lock while it is a zombie (not yet reaped by its parent)",
    async () => {
      // sh starts `true` in the background and becomes `sleep`, which never reaps it: `true` stays a zombie
      const parent = spawn('sh', ['-c', 'true & echo $!; exec sleep 10'], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        const zombie = Number(await new Promise<string>((r) => parent.stdout.once('data', (d) => r(String(d)))));
        const deadline = Date.now() + 5000;
        const state = () => readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1][0];
        while (state() !== 'Z' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        expect(state()).toBe('Z');
        expect(pidAlive(zombie)).toBe(false);
        expect(pidAlive(parent.pid!)).toBe(true);
        const dir = join(root, 'z');
        writeFileSync(
          lockPathFor(dir),
          JSON.stringify({ pid: zombie, host: hostname(), stage: 'train', startedAt: 'then', command: '' }),
        );
        const lock = acquireArtifactLock(dir, { stage: 'train' });
        expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
        lock.release();
      } finally {
        parent.kill('SIGKILL');
      }
    },
  );

  it("does not take over another host's lock (its liveness is unknown here)", () => {
    const dir = join(root, 'a');
    writeFileSync(
      lockPathFor(dir),
      JSON.stringify({ pid: 1, host: 'elsewhere', stage: 'train', startedAt: 'then', command: '' }),
    );
    expect(() => acquireArtifactLock(dir, { stage: 'train' })).toThrow(/elsewhere/);
  });

  it('does not remove a lock that is no longer its own', () => {
    const dir = join(root, 'a');
    const lock = acquireArtifactLock(dir, { stage: 'train' });
    writeFileSync(lock.path, JSON.stringify({ pid: 1, host: 'elsewhere' }));
    lock.release();
    expect(existsSync(lock.path)).toBe(true);
  });

  it('withArtifactLock releases on failure', async () => {
    const dir = join(root, 'a');
    await expect(withArtifactLock(dir, { stage: 't' }, async () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(existsSync(lockPathFor(dir))).toBe(false);
  });

  it('of many processes racing for one lock, exactly one wins', async () => {
    const dir = join(root, 'race');
    const done = join(root, 'done');
    // The winner holds the lock until every process has answered, so a late starter cannot win after it.
    const src = `
      const { existsSync } = await import('node:fs');
      const { acquireArtifactLock } = await import(${JSON.stringify(new URL('./lock.ts', import.meta.url).href)});
      let lock;
      try { lock = acquireArtifactLock(${JSON.stringify(dir)}, { stage: 'race' }); console.log('won'); }
      catch (e) { console.log('lost'); }
      while (lock && !existsSync(${JSON.stringify(done)})) await new Promise(r => setTimeout(r, 50));`;
    const tsx = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');
    const answers: string[] = [];
    const exits = Array.from({ length: 6 }, () => {
      const child = spawn(tsx, ['--input-type=module', '-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', (d) => {
        answers.push(String(d).trim());
        if (answers.length === 6) writeFileSync(done, '');
      });
      return new Promise((resolve) => child.on('exit', resolve));
    });
    await Promise.all(exits);
    expect(answers.filter((r) => r === 'won')).toHaveLength(1);
    expect(answers.filter((r) => r === 'lost')).toHaveLength(5);
    expect(existsSync(lockPathFor(dir))).toBe(false);
  }, 60_000);
});
