import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readArtifact, sha256Bytes, writeArtifact } from './artifact.js';
import { PipelineError, resourceError, runCli } from './errors.js';
import { followPointer, isPlainRelativePath } from './names.js';
import { artifactPath, artifactPaths } from './paths.js';

let root: string;
const savedEnv = process.env.WGAN_ARTIFACTS;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'safety-'));
});
afterEach(async () => {
  process.env.WGAN_ARTIFACTS = savedEnv;
  if (savedEnv === undefined) delete process.env.WGAN_ARTIFACTS;
  await rm(root, { recursive: true, force: true });
});

function pipelineError(f: () => unknown): PipelineError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    return e as PipelineError;
  }
  throw new Error('expected a PipelineError');
}

describe('artifactPath', () => {
  it('resolves root-relative and workspace-relative ("artifacts/…") paths inside the root', () => {
    expect(artifactPath('data/mnist', '--data', root)).toBe(join(root, 'data', 'mnist'));
    expect(artifactPath('artifacts/data/mnist', '--data', root)).toBe(join(root, 'data', 'mnist'));
    expect(artifactPath(join(root, 'eval', 'x'), '--out', root)).toBe(join(root, 'eval', 'x'));
  });
  it.each(['', '.', '..', '../x', 'artifacts', 'artifacts/..', 'artifacts/../x', 'data/../..', '/abs', '/'])(
    'refuses %j with exit 2 naming the flag',
    (p) => {
      const e = pipelineError(() => artifactPath(p, '--out', root));
      expect(e.where).toBe('--out');
      expect(e.exitCode).toBe(2);
    },
  );
  it('follows WGAN_ARTIFACTS', () => {
    process.env.WGAN_ARTIFACTS = root;
    expect(artifactPath('artifacts/data/fashion', '--data')).toBe(join(root, 'data', 'fashion'));
    expect(artifactPaths.run('a')).toBe(join(root, 'runs', 'a'));
  });
});

describe('artifactPaths', () => {
  it.each(['', '.', '..', '../x', 'a/b', '/abs'])('refuses the name %j, naming the flag it is given', (name) => {
    process.env.WGAN_ARTIFACTS = root;
    expect(pipelineError(() => artifactPaths.run(name, '--name')).where).toBe('--name');
    expect(pipelineError(() => artifactPaths.eval(name)).where).toBe('--run');
    expect(pipelineError(() => artifactPaths.export('r', name)).where).toBe('--run');
  });
});

describe('isPlainRelativePath', () => {
  it.each(['a', 'a/b.txt', 'checkpoints/00000001/generator.bin', '..a', 'a..b'])('accepts %j', (p) => {
    expect(isPlainRelativePath(p)).toBe(true);
  });
  it.each(['', '/etc/hostname', '../../../etc/hostname', 'a/../b', './a', 'a//b', 'a/', 'a\\b', 'C:x', 'a/.'])(
    'refuses %j',
    (p) => {
      expect(isPlainRelativePath(p)).toBe(false);
    },
  );
});

describe('readArtifact', () => {
  async function forgeManifest(files: Record<string, { sha256: string; size: number }>): Promise<string> {
    const dir = join(root, 'art');
    await mkdir(dir, { recursive: true });
    const manifest = {
      schemaVersion: 1,
      stage: 'test',
      packageVersion: '1',
      createdAt: '',
      config: null,
      parents: [],
      meta: {},
      files,
    };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    return dir;
  }
  it.each(['../../../etc/hostname', '/etc/hostname', 'a/../../x', 'manifest.json', 'a\\..\\x'])(
    'refuses a manifest listing %j',
    async (key) => {
      const outside = join(root, 'outside.txt');
      await writeFile(outside, 'x');
      const dir = await forgeManifest({ [key]: { sha256: sha256Bytes('x'), size: 1 } });
      const e = await readArtifact(dir).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(PipelineError);
      expect((e as PipelineError).message).toMatch(/plain relative path/);
    },
  );
});

describe('writeArtifact', () => {
  it('refuses to replace a folder that is not an artifact of its stage, and leaves it as it was', async () => {
    const runs = join(root, 'runs');
    await mkdir(join(runs, 'a'), { recursive: true });
    await writeFile(join(runs, 'a', 'metrics.jsonl'), '{}\n');
    const e = await writeArtifact(runs, { stage: 'evaluate', packageVersion: '1', config: {} }, async () => {}).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(PipelineError);
    expect(await readFile(join(runs, 'a', 'metrics.jsonl'), 'utf8')).toBe('{}\n');
    expect((await readdir(root)).sort()).toEqual(['runs']);
    const other = join(root, 'other');
    await writeArtifact(other, { stage: 'render', packageVersion: '1', config: {} }, async () => {});
    await expect(
      writeArtifact(other, { stage: 'evaluate', packageVersion: '1', config: {} }, async () => {}),
    ).rejects.toThrow(/stage "render"/);
    await expect(
      writeArtifact(other, { stage: 'render', packageVersion: '1', config: {} }, async () => {}),
    ).resolves.toBeTruthy();
  });
  it('leaves no partial artifact when a write fails with ENOSPC', async () => {
    const dir = join(root, 'eval', 'x');
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
      path: join(dir, 'report.json'),
    });
    await expect(
      writeArtifact(dir, { stage: 'evaluate', packageVersion: '1', config: {} }, async (tmp) => {
        await writeFile(join(tmp, 'samples.f32'), 'partial');
        throw full;
      }),
    ).rejects.toBe(full);
    expect(await readdir(join(root, 'eval'))).toEqual([]);
  });
});

describe('followPointer', () => {
  it('returns the folder a pointer names beside it', async () => {
    await writeFile(join(root, 'latest'), '00000020\n');
    expect(followPointer(join(root, 'latest'), /^\d{8}$/, 'fix')).toBe(join(root, '00000020'));
  });
  it.each(['../../../../somewhere', '..', '.', '', '/etc', 'a/b', '0000002'])(
    'refuses a pointer naming %j',
    async (name) => {
      await writeFile(join(root, 'latest'), `${name}\n`);
      const e = pipelineError(() => followPointer(join(root, 'latest'), /^\d{8}$/, 'fix'));
      expect(e.where).toBe(join(root, 'latest'));
    },
  );
});

describe('runCli', () => {
  const enospc = () =>
    Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
      path: '/data/runs/a/metrics.jsonl',
    });
  async function run(error: unknown, verbose: boolean): Promise<{ text: string; code: typeof process.exitCode }> {
    let text = '';
    const before = process.exitCode;
    await runCli(
      async () => {
        throw error;
      },
      { stderr: { write: (s: string) => (text += s) }, verbose },
    );
    const code = process.exitCode;
    process.exitCode = before;
    return { text, code };
  }
  it('names the path and what to free for a full disk, exit 1, without a stack', async () => {
    const { text, code } = await run(enospc(), false);
    expect(code).toBe(1);
    expect(text).toContain('no space left on the device during write of /data/runs/a/metrics.jsonl (ENOSPC)');
    expect(text).toContain('free disk space on the filesystem holding /data/runs/a/metrics.jsonl');
    expect(text).not.toMatch(/\n\s+at /);
    expect(text).not.toContain('internal error');
  });
  it('prints the stack with --verbose', async () => {
    const { text } = await run(enospc(), true);
    expect(text).toMatch(/\n\s+at /);
  });
  it('recognises the resource failures and nothing else', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'ENOMEM'])
      expect(resourceError({ code })?.code).toBe(code);
    expect(resourceError({ code: 'ENOENT' })).toBeNull();
    expect(resourceError(new RangeError('x'))).toBeNull();
  });
  it('keeps bad input at exit 2 and internal failures with their stack', async () => {
    expect((await run(new PipelineError('bad', '--x', 'fix'), false)).code).toBe(2);
    const internal = await run(new RangeError('boom'), false);
    expect(internal.code).toBe(1);
    expect(internal.text).toMatch(/internal error: RangeError: boom\n\s+at /);
  });
});

describe('the artifact lock and the folders it makes', async () => {
  const { acquireArtifactLock } = await import('./lock.js');
  it('removes the parent folders it had to create when the writer left them empty', async () => {
    const lock = acquireArtifactLock(join(root, 'export', 'run', '00000007'), { stage: 'export' });
    expect(await readdir(join(root, 'export', 'run'))).toEqual(['.00000007.lock']);
    lock.release();
    expect(await readdir(root)).toEqual([]);
  });
  it('keeps a parent that holds the written artifact', async () => {
    const lock = acquireArtifactLock(join(root, 'export', 'run', '00000007'), { stage: 'export' });
    await mkdir(join(root, 'export', 'run', '00000007'));
    lock.release();
    expect(await readdir(join(root, 'export', 'run'))).toEqual(['00000007']);
  });
});
