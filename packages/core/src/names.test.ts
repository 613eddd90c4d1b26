import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineError } from './errors.js';
import { artifactName, folderInside, isStrictlyInside, pathInside } from './names.js';

const bad = ['', '.', '..', '../x', 'a/b', 'a\\b', '/abs', '/', '.hidden', 'x\0y', 'a'.repeat(129), 'sp ace'];

describe('artifactName', () => {
  it.each(bad)('refuses %j with exit 2, naming the flag', (name) => {
    try {
      artifactName(name, '--name');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PipelineError);
      expect((e as PipelineError).exitCode).toBe(2);
      expect((e as PipelineError).where).toBe('--name');
    }
  });
  it.each(['default', 'mnist-digits-0-3', 'run_1.5', 'a', '2000', 'lr=1e-3,c=0.1'])('accepts %j', (name) => {
    expect(artifactName(name, '--name')).toBe(name);
  });
  it('accepts a number (an iteration) as its decimal name', () => {
    expect(artifactName(2000, '--iter')).toBe('2000');
  });
  it('refuses a non-string', () => {
    expect(() => artifactName(undefined, '--name')).toThrow(PipelineError);
    expect(() => artifactName({}, '--name')).toThrow(PipelineError);
  });
});

describe('pathInside / folderInside', () => {
  const base = resolve('/tmp/artifacts-root');
  it('resolves relative paths against the base and keeps them strictly inside', () => {
    expect(pathInside(base, 'runs/a', '--out')).toBe(join(base, 'runs', 'a'));
    expect(pathInside(base, join(base, 'x'), '--out')).toBe(join(base, 'x'));
  });
  it.each(['.', '..', '../sibling', '/etc', 'runs/../../x', ''])('refuses %j', (p) => {
    expect(() => pathInside(base, p, '--out')).toThrow(PipelineError);
  });
  it('checks every name of a nested folder', () => {
    expect(folderInside(base, '--run', 'export', 'r', 100)).toBe(join(base, 'export', 'r', '100'));
    expect(() => folderInside(base, '--run', 'export', '..')).toThrow(/parent/);
  });
  it('isStrictlyInside is false for the folder itself and for prefixes that are siblings', () => {
    expect(isStrictlyInside(base, base)).toBe(false);
    expect(isStrictlyInside(base, `${base}-other/x`)).toBe(false);
    expect(isStrictlyInside(base, `${base}/..x`)).toBe(true);
  });
});
