import { describe, expect, it } from 'vitest';
import { PipelineError } from '@wgan/core';
import { canonicalJson, expandRuns, flagArgs, parseStudySpec, runNameFor, trainArgs } from './spec.js';

const base = {
  name: 'ring',
  train: { config: { milestones: [0] }, flags: { iterations: 100, 'batch-size': 8 } },
  grids: [
    {
      name: 'clip',
      flags: { loss: 'clip' },
      axes: [
        { flag: 'lr', values: [1e-4, 5e-4] },
        { flag: 'clip-value', values: [0.01, 0.1] },
      ],
    },
    { name: 'gp', flags: { loss: 'gp' }, axes: [{ flag: 'lambda', values: [1, 10] }] },
  ],
  seeds: [1, 2, 3],
};

function refusal(value: unknown): PipelineError {
  try {
    parseStudySpec(value, 'spec.json');
  } catch (e) {
    if (e instanceof PipelineError) return e;
    throw e;
  }
  throw new Error('the spec was accepted');
}

describe('study spec', () => {
  it('expands grids × cells × seeds, first axis slowest', () => {
    const runs = expandRuns(parseStudySpec(base));
    expect(runs).toHaveLength((4 + 2) * 3);
    expect(runs.slice(0, 7).map((r) => `${r.cell}/${r.seed}`)).toEqual([
      'clip lr=0.0001 clip-value=0.01/1',
      'clip lr=0.0001 clip-value=0.01/2',
      'clip lr=0.0001 clip-value=0.01/3',
      'clip lr=0.0001 clip-value=0.1/1',
      'clip lr=0.0001 clip-value=0.1/2',
      'clip lr=0.0001 clip-value=0.1/3',
      'clip lr=0.0005 clip-value=0.01/1',
    ]);
    expect(new Set(runs.map((r) => r.name)).size).toBe(runs.length);
    expect(trainArgs(runs[0])).toEqual([
      '--name',
      runs[0].name,
      '--iterations',
      '100',
      '--batch-size',
      '8',
      '--loss',
      'clip',
      '--lr',
      '0.0001',
      '--clip-value',
      '0.01',
      '--seed',
      '1',
    ]);
  });

  it('names a run by its resolved config, whatever the key order or the study', () => {
    const a = runNameFor({ config: { milestones: [0], fixedSamples: 4 }, flags: { lr: 1e-4, seed: 1 } });
    const b = runNameFor({ flags: { seed: 1, lr: 1e-4 }, config: { fixedSamples: 4, milestones: [0] } });
    expect(a).toEqual(b);
    expect(a.name).toMatch(/^r-[0-9a-f]{16}$/);
    expect(runNameFor({ config: {}, flags: { lr: 1e-4, seed: 2 } }).name).not.toBe(a.name);
    const renamed = expandRuns(parseStudySpec({ ...base, name: 'other' }));
    expect(renamed.map((r) => r.name)).toEqual(expandRuns(parseStudySpec(base)).map((r) => r.name));
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });

  it('refuses a bad spec naming the field', () => {
    expect(refusal({ ...base, seeds: [] }).where).toBe('seeds');
    const badFlag = refusal({ ...base, grids: [{ name: 'g', axes: [{ flag: 'learning-rate', values: [1] }] }] });
    expect(badFlag.where).toBe('grids.0.axes.0.flag');
    expect(badFlag.message).toMatch(/unknown train flag "learning-rate"/);
    expect(refusal({ ...base, grids: [{ name: 'g', axes: [{ flag: 'lr', values: [] }] }] }).where).toBe(
      'grids.0.axes.0.values',
    );
    expect(refusal({ ...base, name: '../up' }).where).toBe('name');
    const seedFlag = refusal({ ...base, train: { flags: { seed: 3 } } });
    expect(seedFlag.where).toMatch(/^train\.flags/);
    expect(seedFlag.message).toMatch(/"seed"/);
    expect(refusal({ ...base, extra: 1 }).message).toMatch(/extra/);
    expect(refusal({ ...base, grids: [base.grids[0], base.grids[0]] }).where).toBe('grids.1.name');
  });

  it('refuses two cells that are one run', () => {
    const spec = parseStudySpec({
      ...base,
      grids: [
        { name: 'a', flags: { lr: 1e-4 } },
        { name: 'b', axes: [{ flag: 'lr', values: [1e-4] }] },
      ],
    });
    expect(() => expandRuns(spec)).toThrow(/are the same run/);
  });

  it('a grid without a kind is a train grid, and its runs keep their names', () => {
    const explicit = { ...base, grids: base.grids.map((g) => ({ kind: 'train', ...g })) };
    expect(expandRuns(parseStudySpec(explicit)).map((r) => r.name)).toEqual(
      expandRuns(parseStudySpec(base)).map((r) => r.name),
    );
    // the resolved config of a train run is still { config, flags }: no kind in what is hashed
    const [first] = expandRuns(parseStudySpec(base));
    expect(Object.keys(first.resolved).sort()).toEqual(['config', 'flags']);
    expect(first.kind).toBe('train');
  });

  it('ring and anchor grids take their own flags, hash their kind, and pass the seed as a flag', () => {
    const spec = parseStudySpec({
      name: 'kinds',
      train: { flags: { iterations: 100 } },
      grids: [
        { kind: 'ring', name: 'clip', flags: { loss: 'clip' }, axes: [{ flag: 'clip-value', values: [0.01, 0.1] }] },
        { kind: 'anchor', name: 'anchor', flags: { iters: 100, threads: 1 } },
      ],
      seeds: [1, 2],
    });
    const runs = expandRuns(spec);
    expect(runs.map((r) => r.kind)).toEqual(['ring', 'ring', 'ring', 'ring', 'anchor', 'anchor']);
    expect(runs[0].resolved).toEqual({ kind: 'ring', flags: { loss: 'clip', 'clip-value': 0.01, seed: 1 } });
    expect(flagArgs(runs[0])).toEqual(['--loss', 'clip', '--clip-value', '0.01', '--seed', '1']);
    // the study's train flags do not reach the other kinds
    expect(flagArgs(runs[4])).toEqual(['--iters', '100', '--threads', '1', '--seed', '1']);
    const sameFlagsAsTrain = parseStudySpec({ ...spec, grids: [{ name: 'x', flags: { iterations: 100 } }] });
    expect(new Set([...runs, ...expandRuns(sameFlagsAsTrain)].map((r) => r.name)).size).toBe(runs.length + 2);
  });

  it("refuses another kind's flag and an unknown kind, naming the field", () => {
    const ringWithTrainFlag = refusal({
      ...base,
      grids: [{ kind: 'ring', name: 'r', flags: { 'n-critic': 5 } }],
    });
    expect(ringWithTrainFlag.message).toMatch(/grids\.0\.flags: unknown ring-cell flag "n-critic"; one of loss, lr/);
    const anchorAxis = refusal({
      ...base,
      grids: [{ kind: 'anchor', name: 'a', axes: [{ flag: 'lr', values: [1e-3] }] }],
    });
    expect(anchorAxis.message).toMatch(/grids\.0\.axes\.0\.flag: unknown anchor flag "lr"/);
    expect(refusal({ ...base, grids: [{ kind: 'vae', name: 'v' }] }).message).toMatch(
      /grids\.0\.kind: unknown cell kind "vae"; one of train, ring, anchor/,
    );
  });
});
