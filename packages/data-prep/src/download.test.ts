import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError } from '@wgan/core';
import { dataPrepSchema } from './config.js';
import { prepareDataset } from './prepare.js';
import { resolveSource } from './sources.js';
import { makeFixture } from './testing.js';

/**
 * The download path against a loopback HTTP server (tests never touch the network). Routes:
 *   /good/<file>.gz       the fixture's files
 *   /bad/<file>.gz        right length, one byte changed (wrong md5)
 *   /short/<file>.gz      declares the full Content-Length, sends half, closes the connection
 *   /missing/<file>.gz    404
 */
const fx = makeFixture(20, 10);
const gz = Object.fromEntries(Object.entries(fx.files).map(([name, bytes]) => [name, gzipSync(bytes)]));
let server: Server;
let base: string;
let root: string;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const [, route, file] = (req.url ?? '').split('/');
    const bytes = gz[file?.replace(/\.gz$/, '') ?? ''];
    if (!bytes || route === 'missing') {
      res.writeHead(404).end();
      return;
    }
    if (route === 'good') res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
    else if (route === 'bad') {
      const altered = Buffer.from(bytes);
      altered[altered.length - 5] ^= 0xff;
      res.writeHead(200, { 'content-length': altered.length }).end(altered);
    } else if (route === 'short') {
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(bytes.subarray(0, bytes.length >> 1));
      setTimeout(() => res.destroy(), 10);
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  root = await mkdtemp(join(tmpdir(), 'download-'));
});
afterAll(async () => {
  server.close();
  await rm(root, { recursive: true, force: true });
});

describe('--download from mirrors (loopback server)', () => {
  it('downloads, checks md5, caches, and prepares the artifact', async () => {
    const config = { ...dataPrepSchema.parse({ download: true }), out: join(root, 'out') };
    process.env.WGAN_ARTIFACTS = root;
    try {
      const { source, stats } = await prepareDataset(config, { spec: fx.spec, mirrors: [`${base}/good/`] });
      expect(source.kind).toBe('download');
      expect(stats.E1.train.total).toBe(20);
      expect((await readdir(join(root, 'cache', 'downloads', 'mnist'))).sort()).toEqual(
        Object.keys(fx.files)
          .map((n) => `${n}.gz`)
          .sort(),
      );
      const before = hits.length;
      await prepareDataset(config, { spec: fx.spec, mirrors: [`${base}/good/`] });
      expect(hits.length, 'the second run uses the cache').toBe(before);
    } finally {
      delete process.env.WGAN_ARTIFACTS;
    }
  });

  it('falls through a failing mirror to the next one', async () => {
    const src = await resolveSource(fx.spec, {
      download: true,
      mirrors: [`${base}/missing/`, `${base}/good/`],
      cacheDir: join(root, 'c1'),
    });
    expect(src.files).toHaveLength(4);
  });

  it.each([
    ['a wrong checksum', 'bad', /md5 [0-9a-f]{32} does not match the published/],
    ['a truncated response', 'short', /truncated|terminated|closed|aborted/i],
    ['a 404', 'missing', /HTTP 404/],
  ])('refuses %s, naming the URL, and keeps no file', async (_name, route, message) => {
    const cacheDir = join(root, `c-${route}`);
    const err = await resolveSource(fx.spec, { download: true, mirrors: [`${base}/${route}/`], cacheDir }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(PipelineError);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`${base}/${route}/train-images-idx3-ubyte.gz`);
    expect(await readdir(join(cacheDir, 'mnist'))).toEqual([]);
  });
});
