import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Module boundary (tag scope:serve): serve's runtime code reads the export artifact by its documented
 * manifest fields and never imports train or export, so serving needs neither tfjs nor training code.
 * Only test files (*.test.ts, *.test-helpers.ts) may build fixtures through @wgan/export.
 */
describe('module boundary', () => {
  it('no runtime file of serve imports @wgan/train, @wgan/export or tfjs', () => {
    const dir = dirname(fileURLToPath(import.meta.url));
    const runtime = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.test-helpers.ts'));
    expect(runtime).toContain('server.ts');
    const offenders = runtime.flatMap((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      return [...text.matchAll(/from\s+'(@wgan\/(?:train|export)[^']*|@tensorflow\/[^']*|@wgan\/core\/backend)'/g)].map((m) => `${f}: ${m[1]}`);
    });
    expect(offenders).toEqual([]);
  });
});
