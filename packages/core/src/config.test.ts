import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig, z } from './config.js';
import { PipelineError } from './errors.js';

const schema = z
  .object({
    lr: z.number().positive().default(2e-4),
    betas: z.tuple([z.number(), z.number()]).default([0, 0.9]),
    model: z
      .object({ hidden: z.array(z.number().int()).default([256, 512]) })
      .strict()
      .default({ hidden: [256, 512] }),
  })
  .strict();

describe('resolveConfig', () => {
  it('takes the schema defaults, then the file, then the flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ lr: 0.1, model: { hidden: [8] } }));
    expect(resolveConfig(schema, {})).toEqual({ lr: 2e-4, betas: [0, 0.9], model: { hidden: [256, 512] } });
    expect(resolveConfig(schema, { file })).toEqual({ lr: 0.1, betas: [0, 0.9], model: { hidden: [8] } });
    expect(resolveConfig(schema, { file, overrides: { lr: 0.5, betas: undefined } })).toEqual({
      lr: 0.5,
      betas: [0, 0.9],
      model: { hidden: [8] },
    });
  });

  it.each([
    [{ lr: 'fast' }, 'lr'],
    [{ lr: -1 }, 'lr'],
    [{ learningRate: 1 }, '(root)'],
    [{ model: { hidden: [1, 2.5] } }, 'model.hidden[1]'],
    [{ model: { depth: 3 } }, 'model'],
  ])('rejects %j naming the key %s', (overrides, key) => {
    const err = (() => {
      try {
        resolveConfig(schema, { overrides, source: 'flags' });
      } catch (e) {
        return e;
      }
    })() as PipelineError;
    expect(err).toBeInstanceOf(PipelineError);
    expect(err.where).toBe(`flags: ${key}`);
    if (key === '(root)') expect(err.message).toContain('learningRate');
  });

  it('names the file when it is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'bad.json');
    await writeFile(file, '{ lr: 1 ');
    expect(() => resolveConfig(schema, { file })).toThrow(/not valid JSON/);
  });
});
