import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { gridPng, type Logger } from '@wgan/core';
import type { GeneratorModel } from './model.js';
import { meanIntensities, pearson } from './sampling.js';
import { MAX_COUNT, parseGenerate, parseJsonLenient, parseTraverse, RequestError } from './requests.js';

/**
 * The HTTP API over one warm generator session (fastify):
 *
 *   GET  /           the web page (grid, "new samples", seed, latent slider, E9 traversal)
 *   GET  /health     { status: "ok", model, uptimeS, requests, rssMb }
 *   GET  /model      the export manifest (io shapes, latentDim, parity, source checkpoint)
 *   POST /generate   { count ≤ 256, seed?, z?, fix?: { index, value }, format?: "json" | "png" | "f32", cols?, scale? }
 *   POST /traverse   { index, seed?, values? (default 10 in [−2, 2]), rows?, format?, scale? }
 *
 * Bad input is a 4xx `{ error, field, hint }`; nothing a client sends can stop the server.
 */
export interface ServerOptions {
  model: GeneratorModel;
  logger?: Logger;
  /** Largest request body in bytes (default 1 MiB: 256 latent vectors of 100 numbers fit 3 times over). */
  bodyLimit?: number;
}

const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'web');

export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const { model, logger } = options;
  const bodyLimit = options.bodyLimit ?? 1 << 20;
  const app = Fastify({ logger: false, bodyLimit, return503OnClosing: true, forceCloseConnections: 'idle' });
  const page = await readFile(join(WEB_DIR, 'index.html'), 'utf8');
  const script = await readFile(join(WEB_DIR, 'app.js'), 'utf8');
  const started = Date.now();
  let requests = 0;

  // JSON only: fastify's text/plain parser goes too, so any other content type is a 415 naming it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    const body = String(text);
    if (body.trim() === '') return done(null, undefined);
    try {
      done(null, parseJsonLenient(body));
    } catch (e) {
      done(new RequestError(400, `the body is not valid JSON: ${(e as Error).message}`, 'body', 'send a JSON object, e.g. {"count": 16}'), undefined);
    }
  });

  app.addHook('onRequest', async () => {
    requests++;
  });

  // Graceful close: requests in flight when close() starts are answered with `connection: close`, so
  // their keep-alive sockets end with them instead of holding the shutdown for the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  app.setErrorHandler((error: FastifyError | RequestError, _request, reply) => {
    if (error instanceof RequestError) return reply.code(error.status).send(error.toJSON());
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(fastifyClientError(error, bodyLimit));
    logger?.error('request failed', { error: error.message });
    return reply.code(500).send({ error: `internal error: ${error.message}`, field: 'server', hint: 'the server keeps running; report this with the request' });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `unknown route ${request.method} ${request.url.split('?')[0]}`, field: 'url', hint: 'routes: GET /, GET /health, GET /model, POST /generate, POST /traverse' });
  });

  app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/app.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').send(script));

  app.get('/health', async () => ({
    status: 'ok',
    model: { run: model.meta.run, checkpoint: model.meta.checkpoint, iteration: model.meta.iteration },
    uptimeS: Math.round((Date.now() - started) / 1000),
    requests,
    rssMb: Number((process.memoryUsage().rss / 2 ** 20).toFixed(1)),
  }));

  app.get('/model', async () => ({ dir: model.dir, latentDim: model.latentDim, imageShape: model.imageShape, maxCount: MAX_COUNT, manifest: model.manifest }));

  app.post('/generate', async (request, reply) => {
    const r = parseGenerate(request.body, model.latentDim, request.headers.accept);
    const images = await model.generate(r.z, r.count);
    const headers = { 'x-seed': r.seed === null ? 'none' : String(r.seed) };
    if (r.format === 'png') return sendPng(reply, model, images, r.count, r.cols, r.scale, headers);
    if (r.format === 'f32') return sendF32(reply, model, images, r.count, headers);
    return {
      seed: r.seed,
      count: r.count,
      shape: [r.count, ...model.imageShape],
      range: model.meta.models.generator.outputs[0].range ?? null,
      images: rows(images, r.count),
    };
  });

  app.post('/traverse', async (request, reply) => {
    const r = parseTraverse(request.body, model.latentDim, request.headers.accept);
    const n = r.rows * r.values.length;
    const images = await model.generate(r.z, n);
    const means = meanIntensities(images, n);
    // E9's r: Pearson correlation of z_index with the images' mean intensity (all rows pooled).
    const correlation = pearson(Array.from({ length: n }, (_, j) => r.values[j % r.values.length]), means);
    const headers = { 'x-seed': String(r.seed), 'x-e9-r': String(correlation) };
    if (r.format === 'png') return sendPng(reply, model, images, n, r.values.length, r.scale, headers);
    if (r.format === 'f32') return sendF32(reply, model, images, n, headers);
    return {
      seed: r.seed,
      index: r.index,
      values: r.values,
      rows: r.rows,
      shape: [n, ...model.imageShape],
      meanIntensity: means,
      r: Number.isNaN(correlation) ? null : correlation,
      images: rows(images, n),
    };
  });

  return app;
}

async function sendPng(reply: FastifyReply, model: GeneratorModel, images: Float32Array, count: number, cols: number, scale: number, headers: Record<string, string>): Promise<FastifyReply> {
  const range = model.meta.models.generator.outputs[0].range ?? [-1, 1];
  // gridPng maps [−1, 1] to 0..255; a [0, 1] model (a VAE decoder) is rescaled to that first.
  const scaled = range[0] === -1 && range[1] === 1 ? images : images.map((v) => ((v - range[0]) / (range[1] - range[0])) * 2 - 1);
  const png = await gridPng(scaled, count, { cols, height: model.height, width: model.width, scale });
  return reply.type('image/png').headers({ 'cache-control': 'no-store', ...headers }).send(png);
}

/** Raw float32 little-endian bytes, shape in `x-shape` (exact, and ~40× smaller and faster than JSON numbers). */
function sendF32(reply: FastifyReply, model: GeneratorModel, images: Float32Array, count: number, headers: Record<string, string>): FastifyReply {
  const bytes = Buffer.alloc(images.length * 4);
  for (let i = 0; i < images.length; i++) bytes.writeFloatLE(images[i], i * 4);
  return reply.type('application/octet-stream').headers({ 'cache-control': 'no-store', 'x-shape': [count, ...model.imageShape].join(','), ...headers }).send(bytes);
}

/** [n·size] → n arrays of `size` plain numbers (JSON). */
function rows(images: Float32Array, n: number): number[][] {
  const size = images.length / n;
  return Array.from({ length: n }, (_, i) => Array.from(images.subarray(i * size, (i + 1) * size)));
}

/** fastify's own 4xx errors (body size, content type, malformed JSON) as `{ error, field, hint }`. */
function fastifyClientError(error: FastifyError, bodyLimit: number): { error: string; field: string; hint: string } {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: `the body is larger than ${bodyLimit} bytes`, field: 'body', hint: `send at most ${MAX_COUNT} latent vectors per request (or raise --body-limit)` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: error.message, field: 'content-type', hint: 'send the body as application/json' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { error: error.message, field: 'content-length', hint: 'send a content-length that matches the body' };
    default:
      return { error: error.message, field: 'body', hint: 'send a JSON object, e.g. {"count": 16}' };
  }
}
