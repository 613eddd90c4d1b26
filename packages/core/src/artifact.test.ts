import { mkdtemp, readFile, readdir, rm, writeFile, appendFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readArtifact, sha256Bytes, writeArtifact, parentRef } from './artifact.js';
import { PipelineError } from './errors.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'artifact-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function make(dir: string) {
  return writeArtifact(
    dir,
    { stage: 'test', packageVersion: '1.0.0', config: { a: 1 }, meta: { count: 2 } },
    async (tmp) => {
      await writeFile(join(tmp, 'a.bin'), Buffer.from([1, 2, 3]));
      await mkdir(join(tmp, 'sub'));
      await writeFile(join(tmp, 'sub', 'b.txt'), 'hello');
    },
  );
}

describe('writeArtifact / readArtifact', () => {
  it('writes a manifest with the sha256 and size of every file, and reads it back verified', async () => {
    const dir = join(root, 'art');
    const written = await make(dir);
    expect(written.manifest.files['a.bin']).toEqual({ sha256: sha256Bytes(Buffer.from([1, 2, 3])), size: 3 });
    expect(written.manifest.files['sub/b.txt']).toEqual({ sha256: sha256Bytes('hello'), size: 5 });
    const read = await readArtifact(dir, { stage: 'test' });
    expect(read.manifest.config).toEqual({ a: 1 });
    expect(read.manifestSha256).toBe(sha256Bytes(await readFile(join(dir, 'manifest.json'))));
    expect(parentRef(read, root)).toEqual({ stage: 'test', path: 'art', manifestSha256: read.manifestSha256 });
  });

  it('leaves nothing behind when filling fails, and keeps the previous artifact', async () => {
    const dir = join(root, 'art');
    await make(dir);
    await expect(
      writeArtifact(dir, { stage: 'test', packageVersion: '1', config: {} }, async (tmp) => {
        await writeFile(join(tmp, 'partial'), 'x');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await readdir(root)).sort()).toEqual(['art']);
    await expect(readArtifact(dir)).resolves.toBeTruthy();
  });

  it('replaces an older artifact in place', async () => {
    const dir = join(root, 'art');
    await make(dir);
    await writeArtifact(dir, { stage: 'test', packageVersion: '2', config: {} }, async (tmp) =>
      writeFile(join(tmp, 'only.txt'), 'new'),
    );
    const read = await readArtifact(dir);
    expect(Object.keys(read.manifest.files)).toEqual(['only.txt']);
    expect((await readdir(root)).sort()).toEqual(['art']);
  });

  const tamper: [string, (dir: string) => Promise<void>, RegExp, string][] = [
    [
      'a modified byte',
      (d) => writeFile(join(d, 'a.bin'), Buffer.from([1, 2, 4])),
      /sha256 .* does not match/,
      'a.bin',
    ],
    ['a truncated file', (d) => writeFile(join(d, 'a.bin'), Buffer.from([1, 2])), /size 2 does not match/, 'a.bin'],
    ['a deleted file', (d) => rm(join(d, 'sub', 'b.txt')), /missing/, 'b.txt'],
    ['an added file', (d) => writeFile(join(d, 'extra.bin'), 'x'), /not listed/, 'extra.bin'],
    ['a broken manifest', (d) => appendFile(join(d, 'manifest.json'), '{'), /not valid JSON/, 'manifest.json'],
    [
      'a manifest of another schema',
      async (d) => {
        const m = JSON.parse(await readFile(join(d, 'manifest.json'), 'utf8'));
        m.schemaVersion = 99;
        await writeFile(join(d, 'manifest.json'), JSON.stringify(m));
      },
      /schema/,
      'manifest.json',
    ],
    ['a missing manifest', (d) => rm(join(d, 'manifest.json')), /no manifest/, 'manifest.json'],
  ];
  it.each(tamper)('refuses %s, naming the file and the fix', async (_name, damage, message, file) => {
    const dir = join(root, 'art');
    await make(dir);
    await damage(dir);
    const err = await readArtifact(dir, { remake: 'npx nx run data-prep:pipeline' }).catch((e) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect(err.message).toMatch(message);
    expect(err.where).toContain(file);
    expect(err.hint).toContain('npx nx run data-prep:pipeline');
  });

  it('refuses an artifact from another stage and a folder that does not exist', async () => {
    const dir = join(root, 'art');
    await make(dir);
    await expect(readArtifact(dir, { stage: 'train' })).rejects.toThrow(/written by stage "test"/);
    await expect(readArtifact(join(root, 'nope'))).rejects.toThrow(/not found/);
  });
});

describe('sealArtifact', () => {
  it('hashes a folder built in place so that readArtifact verifies it, and detects a later change', async () => {
    const { sealArtifact } = await import('./artifact.js');
    const dir = join(root, 'run');
    await mkdir(join(dir, 'snapshots'), { recursive: true });
    await writeFile(join(dir, 'metrics.jsonl'), '{"iteration":1}\n');
    await writeFile(join(dir, 'snapshots', 'a.f32'), Buffer.alloc(8));
    await sealArtifact(dir, { stage: 'train', packageVersion: '1', config: {} });
    const read = await readArtifact(dir, { stage: 'train' });
    expect(Object.keys(read.manifest.files)).toEqual(['metrics.jsonl', 'snapshots/a.f32']);
    await appendFile(join(dir, 'metrics.jsonl'), '{"iteration":2}\n');
    await expect(readArtifact(dir)).rejects.toThrow(/does not match/);
  });
});
