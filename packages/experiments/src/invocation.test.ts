import { describe, expect, it } from 'vitest';
import { classifyNxArgs, detectInvocation, isNxEntry, projectsOption } from './invocation.js';

describe('classifyNxArgs: asked for by name, or swept up by run-many', () => {
  it.each([
    [['run', 'experiments:pipeline'], 'explicit'],
    [['run', 'experiments:pipeline:quick', '--verbose'], 'explicit'],
    [['experiments:pipeline'], 'explicit'],
    [['pipeline', 'experiments'], 'explicit'],
    [['run-many', '-t', 'pipeline'], 'many'],
    [['run-many', '--target=pipeline', '--outputStyle=stream'], 'many'],
    [['run-many', '-t', 'pipeline', '--exclude', 'experiments'], 'many'],
    [['affected', '-t', 'pipeline'], 'many'],
    [['run-many', '-t', 'pipeline', '-p', 'train,experiments'], 'explicit'],
    [['run-many', '-t', 'pipeline', '--projects=experiments'], 'explicit'],
    [['run-many', '-t', 'pipeline', '--projects', 'data-prep', 'experiments'], 'explicit'],
    [['run-many', '-t', 'pipeline', '-p', 'exp*'], 'explicit'],
    [['run-many', '-t', 'pipeline', '-p', 'train'], 'many'],
    [['run-many', '-t', 'pipeline', '-p', 'tag:scope:stage'], 'many'],
  ] as const)('nx %j → %s', (args, kind) => {
    expect(classifyNxArgs([...args], 'experiments')).toBe(kind);
  });

  it('reads the projects option in its three spellings', () => {
    expect(projectsOption(['-p', 'a,b', '-t', 'x'])).toEqual(['a', 'b']);
    expect(projectsOption(['--projects=a,b'])).toEqual(['a', 'b']);
    expect(projectsOption(['--projects', 'a', 'b', '--parallel'])).toEqual(['a', 'b']);
  });

  it('recognises the nx entry script however it is started', () => {
    for (const a of [
      '/w/node_modules/nx/dist/bin/nx.js',
      '/w/node_modules/nx/bin/nx.js',
      '/w/node_modules/.bin/nx',
      'nx',
    ])
      expect(isNxEntry(a)).toBe(true);
    for (const a of ['/w/node_modules/nx/dist/src/tasks-runner/fork.js', 'nxx', '/usr/bin/node', 'tsx'])
      expect(isNxEntry(a)).toBe(false);
  });
});

describe('detectInvocation', () => {
  // a process table: tsx (40) ← sh (30) ← nx (20) ← npm exec (10) ← init (1)
  const table = (nxArgs: string[]) => (pid: number) =>
    ({
      40: { ppid: 30, argv: ['node', '/w/node_modules/.bin/tsx', 'packages/experiments/src/pipeline.ts'] },
      30: { ppid: 20, argv: ['/bin/sh', '-c', 'tsx packages/experiments/src/pipeline.ts'] },
      20: { ppid: 10, argv: ['node', '/w/node_modules/nx/dist/bin/nx.js', ...nxArgs] },
      10: { ppid: 1, argv: ['npm', 'exec', 'nx', ...nxArgs] },
    })[pid] ?? null;

  it('finds the nearest nx process above the task and classifies its arguments', () => {
    expect(detectInvocation('experiments', 40, table(['run-many', '-t', 'pipeline']))).toEqual({
      kind: 'many',
      args: ['run-many', '-t', 'pipeline'],
    });
    expect(detectInvocation('experiments', 40, table(['run', 'experiments:pipeline']))).toMatchObject({
      kind: 'explicit',
    });
  });

  it('is unknown (and the gate then runs the experiments) without an nx ancestor or a readable process table', () => {
    expect(detectInvocation('experiments', 30, (pid) => (pid === 30 ? { ppid: 1, argv: ['bash'] } : null))).toEqual({
      kind: 'unknown',
    });
    expect(detectInvocation('experiments', 40, () => null)).toEqual({ kind: 'unknown' });
  });

  it('reads this very process chain from the OS', () => {
    // vitest is not started by nx here, unless the test target is: either way the walk terminates
    expect(['explicit', 'many', 'unknown']).toContain(detectInvocation('experiments').kind);
  });
});
