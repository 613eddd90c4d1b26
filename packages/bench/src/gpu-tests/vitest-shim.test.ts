import { describe as vdescribe, expect as vexpect, it as vit } from 'vitest';
import { describe, expect, it, runRegistered } from './vitest-shim.js';

/** Records a small suite with the shim and runs it, as the GPU bundle does with the WebGPU test files. */
vdescribe('the vitest shim of the GPU bundle', () => {
  vit('runs recorded tests, names them by suite, reports failures and skips', async () => {
    describe('suite', () => {
      it('passes', () => expect(1 + 1).toBe(2));
      it('fails', () => expect(0.5, 'half').toBeLessThan(0.1));
      it.each(['gp', 'clip'] as const)('%s each', (loss) => expect(loss.length).toBeGreaterThan(1));
    });
    describe.skipIf(true)('skipped suite', () => {
      it('never runs', () => {
        throw new Error('ran');
      });
    });
    const results = await runRegistered(null, () => {});
    vexpect(results.map((r) => [r.name, r.status])).toEqual([
      ['suite > passes', 'passed'],
      ['suite > fails', 'failed'],
      ['suite > gp each', 'passed'],
      ['suite > clip each', 'passed'],
      ['skipped suite > never runs', 'skipped'],
    ]);
    vexpect(results[1].error).toMatch(/half: expected 0\.5 to be < 0\.1/);
  });

  vit('checks thrown errors, rejections and object shapes as vitest does', async () => {
    expect(() => {
      throw new RangeError('index 40 ≥ 40');
    }).toThrow(/index 40/);
    expect(() => {
      throw new RangeError('x');
    }).toThrow(RangeError);
    vexpect(() => expect(() => {}).toThrow()).toThrow(/to throw/);
    const rejected = Promise.reject(Object.assign(new Error('bad'), { where: 'spec', hint: 'use relu' }));
    await expect(rejected).rejects.toMatchObject({ message: 'bad', hint: expect.stringMatching(/relu/) });
    await vexpect(expect(Promise.resolve(1)).rejects.toThrow()).rejects.toThrow(/expected a rejection/);
    expect([1, 2, 3]).toHaveLength(3);
    expect({ a: [1, 2] }).toEqual({ a: [1, 2] });
    expect(Number.NaN).toBeNaN();
    vexpect(() => expect(1).not.toBe(1)).toThrow(/not to be 1/);
  });

  vit('filters by "suite > name"', async () => {
    describe('a', () => {
      it('x', () => {});
      it('y', () => {});
    });
    const results = await runRegistered(/a > y/, () => {});
    vexpect(results.map((r) => r.name)).toEqual(['a > y']);
  });
});
