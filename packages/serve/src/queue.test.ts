import { describe, expect, it } from 'vitest';
import { GenerationQueue, QueueFullError } from './queue.js';

/** A task that runs until `release()` is called, recording when it started. */
function blocker(log: string[], name: string): { task: () => Promise<string>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    task: async () => {
      log.push(`start ${name}`);
      await gate;
      return name;
    },
    release: () => release(),
  };
}

describe('GenerationQueue', () => {
  it('runs at most `concurrency` tasks, queues `maxWaiting` in order, refuses the next with 503', async () => {
    const queue = new GenerationQueue({ concurrency: 1, maxWaiting: 2 });
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => blocker(log, n));
    const runs = [queue.run(a.task), queue.run(b.task), queue.run(c.task)];
    await Promise.resolve();
    expect(queue.stats).toEqual({ running: 1, waiting: 2 });
    expect(log).toEqual(['start a']);
    const refused = await queue.run(async () => 'd').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QueueFullError);
    expect(refused).toMatchObject({ status: 503, where: 'server' });
    expect((refused as QueueFullError).retryAfterS).toBeGreaterThanOrEqual(1);
    expect((refused as QueueFullError).toJSON().hint).toMatch(/Retry-After/);
    a.release();
    await runs[0];
    await Promise.resolve();
    expect(log).toEqual(['start a', 'start b']);
    expect(queue.stats).toEqual({ running: 1, waiting: 1 });
    b.release();
    c.release();
    expect(await Promise.all(runs)).toEqual(['a', 'b', 'c']);
    expect(queue.stats).toEqual({ running: 0, waiting: 0 });
  });

  it('a failing task frees its place; two run at once with concurrency 2', async () => {
    const queue = new GenerationQueue({ concurrency: 2, maxWaiting: 0 });
    const log: string[] = [];
    const a = blocker(log, 'a');
    const b = blocker(log, 'b');
    const runs = [queue.run(a.task), queue.run(b.task)];
    await Promise.resolve();
    expect(log).toEqual(['start a', 'start b']);
    await expect(queue.run(async () => 'c')).rejects.toBeInstanceOf(QueueFullError);
    a.release();
    b.release();
    await Promise.all(runs);
    await expect(queue.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(queue.stats).toEqual({ running: 0, waiting: 0 });
    expect(await queue.run(async () => 'after')).toBe('after');
  });

  it('refuses a concurrency below 1', () => {
    expect(() => new GenerationQueue({ concurrency: 0, maxWaiting: 1 })).toThrow(/concurrency/);
  });
});
