import { rm } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import type { FastifyInstance } from 'fastify';
import { decodeGray, isPipelineError } from '@wgan/core';
import { exportedFixture } from './fixtures.test-helpers.js';
import { loadGenerator, resolveModelDir, type GeneratorModel } from './model.js';
import { sampleLatents } from './sampling.js';
import { createServer } from './server.js';

let root: string;
let model: GeneratorModel;
let app: FastifyInstance;

beforeAll(async () => {
  const fx = await exportedFixture();
  root = fx.root;
  model = await loadGenerator(fx.modelDir);
  app = await createServer({ model, bodyLimit: 64 * 1024 });
});

afterAll(async () => {
  await app?.close();
  await model?.release();
  await rm(root, { recursive: true, force: true });
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('model', () => {
  it('reads the export manifest: d_z, image shape, parity', () => {
    expect(model).toMatchObject({ latentDim: 100, imageShape: [1, 28, 28], imageSize: 784, height: 28, width: 28 });
    expect(model.meta).toMatchObject({ run: 'fixture', iteration: 1234, checkpoint: '00001234' });
    expect(model.meta.parity.maxAbsError).toBeLessThanOrEqual(1e-5);
  });

  it('refuses a folder that is not an export, and finds the latest export of a run', async () => {
    const e = await loadGenerator(join(root, 'runs', 'fixture', 'checkpoints', '00001234')).catch(
      (err: unknown) => err,
    );
    expect(isPipelineError(e) && e.message).toMatch(/written by stage "train-checkpoint", expected "export"/);
    process.env.WGAN_ARTIFACTS = root;
    try {
      expect(await resolveModelDir({ run: 'fixture' })).toBe(join(root, 'export', 'fixture', '00001234'));
      const missing = await resolveModelDir({ run: 'other' }).catch((err: unknown) => err);
      expect(isPipelineError(missing) && missing.message).toBe('no export of run "other"');
    } finally {
      delete process.env.WGAN_ARTIFACTS;
    }
  });
});

describe('routes', () => {
  it('GET /health and GET /model', async () => {
    const h = await app.inject({ method: 'GET', url: '/health' });
    expect(h.statusCode).toBe(200);
    expect(h.json()).toMatchObject({ status: 'ok', model: { run: 'fixture', iteration: 1234 } });
    const m = await app.inject({ method: 'GET', url: '/model' });
    expect(m.json()).toMatchObject({ run: 'fixture', checkpoint: '00001234', iteration: 1234, latentDim: 100 });
    expect(m.json()).toMatchObject({ imageShape: [1, 28, 28], range: [-1, 1], opset: 17, maxCount: 256 });
    // Nothing about the server's disk: no absolute path (the temp root, the model folder) anywhere in it.
    expect(m.body).not.toContain(root);
    const strings = (v: unknown): string[] =>
      typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];
    expect(strings(m.json()).filter((v) => isAbsolute(v) || v.includes(sep))).toEqual([]);
    expect(Object.keys(m.json())).not.toContain('dir');
  });

  it('GET / serves the page and its script', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('new samples');
    expect(page.body).toContain('type="range"');
    const js = await app.inject({ method: 'GET', url: '/app.js' });
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.body).toContain("post('/traverse'");
  });

  it('POST /generate returns the images of G(z) for the seed: the same as onnxruntime on sampleLatents(seed)', async () => {
    const res = await post('/generate', { count: 3, seed: 11 });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { seed: number; count: number; shape: number[]; range: number[]; images: number[][] };
    expect(body).toMatchObject({ seed: 11, count: 3, shape: [3, 1, 28, 28], range: [-1, 1] });
    expect(body.images).toHaveLength(3);
    expect(body.images[0]).toHaveLength(784);
    const session = await ort.InferenceSession.create(join(model.dir, 'generator.onnx'));
    const direct = (await session.run({ z: new ort.Tensor('float32', sampleLatents(11, 3, 100), [3, 100]) })).image
      .data as Float32Array;
    expect(body.images.flat()).toEqual(Array.from(direct));
    await session.release();
    const again = (await post('/generate', { count: 3, seed: 11 })).json() as typeof body;
    expect(again.images).toEqual(body.images);
    const other = (await post('/generate', { count: 3, seed: 12 })).json() as typeof body;
    expect(other.images).not.toEqual(body.images);
  });

  it("POST /generate with z uses the client's vectors; fix changes one coordinate", async () => {
    const z = Array.from(sampleLatents(11, 2, 100));
    const rows = [z.slice(0, 100), z.slice(100)];
    const withZ = (await post('/generate', { z: rows })).json() as { seed: null; images: number[][] };
    const withSeed = (await post('/generate', { count: 2, seed: 11 })).json() as { images: number[][] };
    expect(withZ.seed).toBeNull();
    expect(withZ.images).toEqual(withSeed.images);
    const fixed = (await post('/generate', { count: 2, seed: 11, fix: { index: 5, value: 2 } })).json() as {
      images: number[][];
    };
    expect(fixed.images).not.toEqual(withSeed.images);
  });

  it('POST /generate as PNG: a decodable grayscale grid of the right size', async () => {
    const res = await post('/generate', { count: 6, seed: 1, cols: 3, scale: 2, format: 'png' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['x-seed']).toBe('1');
    const img = await decodeGray(res.rawPayload);
    // 3 × 2 tiles of 56 px (28 × scale 2) with 2 px padding: 3·58 + 2 = 176 wide, 2·58 + 2 = 118 high.
    expect([img.width, img.height]).toEqual([176, 118]);
    const byAccept = await post('/generate', { count: 1, seed: 1 }, { accept: 'image/png' });
    expect(byAccept.headers['content-type']).toBe('image/png');
  });

  it('POST /generate as f32: the exact float32 values, shape in x-shape', async () => {
    const res = await post('/generate', { count: 2, seed: 11, format: 'f32' });
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['x-shape']).toBe('2,1,28,28');
    const bytes = res.rawPayload;
    const values = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    const json = (await post('/generate', { count: 2, seed: 11 })).json() as { images: number[][] };
    expect(values).toEqual(json.images.flat());
  });

  it('POST /traverse sweeps one latent index (E9) and reports r', async () => {
    const res = await post('/traverse', { seed: 4, index: 7, rows: 2 });
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      values: number[];
      shape: number[];
      meanIntensity: number[];
      r: number;
      images: number[][];
    };
    expect(body.values).toHaveLength(10);
    expect(body.shape).toEqual([20, 1, 28, 28]);
    expect(body.meanIntensity).toHaveLength(20);
    expect(body.r).toBeGreaterThanOrEqual(-1);
    expect(body.r).toBeLessThanOrEqual(1);
    // The first image of row 0 is G(z) with z = sampleLatents(4, 1) and z[7] = −2.
    const z = sampleLatents(4, 1, 100);
    z[7] = -2;
    const single = (await post('/generate', { z: Array.from(z) })).json() as { images: number[][] };
    expect(body.images[0]).toEqual(single.images[0]);
    const png = await post('/traverse', { seed: 4, index: 7, format: 'png', scale: 1 });
    const img = await decodeGray(png.rawPayload);
    expect([img.width, img.height]).toEqual([10 * 30 + 2, 32]);
    expect(Number(png.headers['x-e9-r'])).toBeCloseTo((await post('/traverse', { seed: 4, index: 7 })).json().r, 12);
  });
});

describe('bad input: a 4xx with a JSON error naming the field, and the server keeps serving', () => {
  it.each([
    ['count 0', '/generate', { count: 0 }, {}, 400, 'count'],
    ['count 257', '/generate', { count: 257 }, {}, 400, 'count'],
    ['wrong z length', '/generate', { z: [new Array(99).fill(0)] }, {}, 400, 'z[0]'],
    [
      'NaN in z (Python-style JSON)',
      '/generate',
      `{"z": [[${new Array(99).fill(0).join(',')}, NaN]]}`,
      {},
      400,
      'z[0][99]',
    ],
    ['NaN as null', '/generate', { z: [[...new Array(99).fill(0), null]] }, {}, 400, 'z[0][99]'],
    ['malformed JSON', '/generate', '{"count": ', {}, 400, 'body'],
    ['unknown field', '/generate', { count: 1, extra: true }, {}, 400, 'extra'],
    ['traverse index out of range', '/traverse', { index: 100 }, {}, 400, 'index'],
    ['wrong content type', '/generate', 'count=1', { 'content-type': 'text/plain' }, 415, 'content-type'],
    [
      'form content type',
      '/generate',
      'count=1',
      { 'content-type': 'application/x-www-form-urlencoded' },
      415,
      'content-type',
    ],
  ] as const)('%s → %i', async (_name, url, payload, headers, status, field) => {
    const res = await post(url, payload, headers as Record<string, string>);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json()).toMatchObject({ field });
    expect(typeof res.json().error).toBe('string');
  });

  it('body too large → 413 naming body', async () => {
    const res = await post('/generate', { z: Array.from({ length: 256 }, () => new Array(100).fill(0.123456789)) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ field: 'body', error: 'the body is larger than 65536 bytes' });
  });

  it('unknown route or method → 404 naming url', async () => {
    for (const [method, url] of [
      ['GET', '/nope'],
      ['DELETE', '/health'],
      ['GET', '/generate'],
    ] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ field: 'url', error: `unknown route ${method} ${url}` });
    }
  });

  it('still serves after all of that', async () => {
    const res = await post('/generate', { count: 1, seed: 3 });
    expect(res.statusCode).toBe(200);
  });
});
