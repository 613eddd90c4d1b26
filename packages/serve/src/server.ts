import { readFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { gridPng, type Logger } from '@wgan/core';
import type { ExportMetaView, GeneratorModel } from './model.js';
import { GenerationQueue, QueueFullError } from './queue.js';
import { meanIntensities, pearson } from './sampling.js';
import { MAX_COUNT, parseGenerate, parseJsonLenient, parseTraverse, RequestError } from './requests.js';

/**
 * The HTTP API over one warm generator session (fastify):
 *
 *   GET  /           the web page (grid, "new samples", seed, latent slider, E9 traversal)
 *   GET  /health     { status: "ok", model, uptimeS, requests, rssMb, queue }
 *   GET  /model      the model: run, checkpoint, iteration, family, latent size, image shape, parity, limits
 *   POST /generate   { count ≤ 256, seed?, z?, fix?: { index, value }, format?: "json" | "png" | "f32",
 *                      cols?, scale? }
 *   POST /traverse   { index, seed?, values? (default 10 in [−2, 2]), rows?, format?, scale? }
 *                    (rows × values ≤ 256)
 *
 * Bad input is a 4xx `{ error, field, hint }`; nothing a client sends can stop the server. Hostile
 * clients are bounded by `ServerLimits`: a request must arrive whole within `requestTimeoutMs` (else
 * 408 and the connection closes; a socket that sends nothing gets the same), stalled sockets close
 * after `idleTimeoutMs`, at most `maxConnections`
 * sockets are open, and generation runs through a bounded queue (full → 503 with Retry-After).
 */
export interface ServerLimits {
  /** Headers and body of a request must arrive within this many ms (else 408, connection closed). */
  requestTimeoutMs: number;
  /**
   * A socket with no traffic either way for this many ms is closed (a client that stopped reading its
   * answer). It also runs while a request waits in the queue, so it must exceed the longest wait.
   */
  idleTimeoutMs: number;
  /** An idle keep-alive socket is closed after this many ms. */
  keepAliveTimeoutMs: number;
  /** Open sockets at most; further connections are closed on accept. */
  maxConnections: number;
  /** Requests per keep-alive socket before the server closes it (0: no limit). */
  maxRequestsPerSocket: number;
  /** Generations (onnxruntime runs plus encoding) running at once. */
  queueConcurrency: number;
  /** Generations waiting for a turn; one more is answered 503 with Retry-After. */
  queueSize: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  maxRequestsPerSocket: 1000,
  queueConcurrency: 2,
  queueSize: 32,
};

/** Images per onnxruntime run: a 256-image request is 4 runs, so a run's working memory stays small. */
export const GENERATE_CHUNK = 64;

export interface ServerOptions {
  model: GeneratorModel;
  logger?: Logger;
  /** Largest request body in bytes (default 1 MiB: 256 latent vectors of 100 numbers fit 3 times over). */
  bodyLimit?: number;
  limits?: Partial<ServerLimits>;
  /** The generation queue (default: one made from `limits`); tests pass their own to fill it. */
  queue?: GenerationQueue;
}

const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'web');

interface Payload {
  type: string;
  body: string | Buffer;
  headers: Record<string, string>;
}

export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const { model, logger } = options;
  const bodyLimit = options.bodyLimit ?? 1 << 20;
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const queue =
    options.queue ?? new GenerationQueue({ concurrency: limits.queueConcurrency, maxWaiting: limits.queueSize });
  const app = Fastify({
    logger: false,
    bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // node checks incomplete requests every connectionsCheckingInterval ms (its default, 30 s, would let
    // a trickling client overstay a 10 s limit by 30 s); headersTimeout may not exceed requestTimeout.
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(limits.requestTimeoutMs / 4))),
    },
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    clientErrorHandler: (error, socket) => answerClientError(error, socket, limits),
    frameworkErrors: (error, _request, reply) => {
      const hint = 'send a well-formed URL, e.g. POST /generate';
      void (reply as FastifyReply).code(400).send({ error: error.message, field: 'url', hint });
    },
  });
  app.server.maxConnections = limits.maxConnections;
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
      done(
        new RequestError(
          400,
          `the body is not valid JSON: ${(e as Error).message}`,
          'body',
          'send a JSON object, e.g. {"count": 16}',
        ),
        undefined,
      );
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
    if (error instanceof QueueFullError) {
      return reply.code(503).header('retry-after', String(error.retryAfterS)).send(error.toJSON());
    }
    if (error instanceof RequestError) return reply.code(error.status).send(error.toJSON());
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(fastifyClientError(error, bodyLimit));
    logger?.error('request failed', { error: error.message });
    return reply.code(500).send({
      error: `internal error: ${error.message}`,
      field: 'server',
      hint: 'the server keeps running; report this with the request',
    });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: `unknown route ${request.method} ${request.url.split('?')[0]}`,
      field: 'url',
      hint: 'routes: GET /, GET /health, GET /model, POST /generate, POST /traverse',
    });
  });

  app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/app.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').send(script));

  app.get('/health', async () => ({
    status: 'ok',
    model: { run: model.meta.run, checkpoint: model.meta.checkpoint, iteration: model.meta.iteration },
    uptimeS: Math.round((Date.now() - started) / 1000),
    requests,
    rssMb: Number((process.memoryUsage().rss / 2 ** 20).toFixed(1)),
    queue: queue.stats,
  }));

  // What a client needs to call the API, and nothing about the server's disk (no folders, no paths).
  const meta = model.meta as ExportMetaView & { model?: unknown; loss?: unknown; noise?: unknown };
  const modelInfo = {
    run: meta.run,
    checkpoint: meta.checkpoint,
    iteration: meta.iteration,
    family: typeof meta.model === 'string' ? meta.model : null,
    loss: typeof meta.loss === 'string' ? meta.loss : null,
    noise: typeof meta.noise === 'string' ? meta.noise : null,
    latentDim: model.latentDim,
    /** K of a class-conditional model (`label` in /generate and /traverse), 0 otherwise. */
    classes: model.classes,
    imageShape: model.imageShape,
    range: meta.models.generator.outputs[0].range ?? null,
    opset: meta.opset,
    parity: { samples: meta.parity.samples, maxAbsError: meta.parity.maxAbsError, backend: meta.parity.backend },
    maxCount: MAX_COUNT,
    limits: {
      bodyLimit,
      requestTimeoutMs: limits.requestTimeoutMs,
      queueConcurrency: queue.concurrency,
      queueSize: queue.maxWaiting,
    },
  };
  app.get('/model', async () => modelInfo);

  const send = (reply: FastifyReply, p: Payload) => reply.type(p.type).headers(p.headers).send(p.body);

  app.post('/generate', async (request, reply) => {
    const r = parseGenerate(request.body, model.latentDim, request.headers.accept, undefined, model.classes);
    const headers = { 'x-seed': r.seed === null ? 'none' : String(r.seed) };
    const payload = await queue.run(async (): Promise<Payload> => {
      const images = await generateChunked(model, r.z, r.count, r.labels);
      if (r.format === 'png') return pngPayload(model, images, r.count, r.cols, r.scale, headers);
      if (r.format === 'f32') return f32Payload(model, images, r.count, headers);
      return jsonPayload(headers, {
        seed: r.seed,
        count: r.count,
        ...(r.labels ? { labels: Array.from(r.labels) } : {}),
        shape: [r.count, ...model.imageShape],
        range: model.meta.models.generator.outputs[0].range ?? null,
        images: rows(images, r.count),
      });
    });
    return send(reply, payload);
  });

  app.post('/traverse', async (request, reply) => {
    const r = parseTraverse(request.body, model.latentDim, request.headers.accept, undefined, model.classes);
    const n = r.rows * r.values.length;
    const payload = await queue.run(async (): Promise<Payload> => {
      const images = await generateChunked(model, r.z, n, r.labels);
      const means = meanIntensities(images, n);
      // E9's r: Pearson correlation of z_index with the images' mean intensity (all rows pooled).
      const correlation = pearson(
        Array.from({ length: n }, (_, j) => r.values[j % r.values.length]),
        means,
      );
      const headers = { 'x-seed': String(r.seed), 'x-e9-r': String(correlation) };
      if (r.format === 'png') return pngPayload(model, images, n, r.values.length, r.scale, headers);
      if (r.format === 'f32') return f32Payload(model, images, n, headers);
      return jsonPayload(headers, {
        seed: r.seed,
        index: r.index,
        values: r.values,
        rows: r.rows,
        ...(r.labels ? { labels: Array.from(r.labels) } : {}),
        shape: [n, ...model.imageShape],
        meanIntensity: means,
        r: Number.isNaN(correlation) ? null : correlation,
        images: rows(images, n),
      });
    });
    return send(reply, payload);
  });

  return app;
}

/** G(z) for n vectors, GENERATE_CHUNK images per onnxruntime run, into one [n·imageSize] array. */
export async function generateChunked(
  model: GeneratorModel,
  z: Float32Array,
  n: number,
  labels: Int32Array | null = null,
): Promise<Float32Array> {
  const d = model.latentDim;
  const out = new Float32Array(n * model.imageSize);
  for (let i = 0; i < n; i += GENERATE_CHUNK) {
    const k = Math.min(GENERATE_CHUNK, n - i);
    const y = labels ? labels.slice(i, i + k) : undefined;
    out.set(await model.generate(z.slice(i * d, (i + k) * d), k, y), i * model.imageSize);
  }
  return out;
}

function jsonPayload(headers: Record<string, string>, value: unknown): Payload {
  return { type: 'application/json; charset=utf-8', body: JSON.stringify(value), headers };
}

async function pngPayload(
  model: GeneratorModel,
  images: Float32Array,
  count: number,
  cols: number,
  scale: number,
  headers: Record<string, string>,
): Promise<Payload> {
  const range = model.meta.models.generator.outputs[0].range ?? [-1, 1];
  // gridPng maps [−1, 1] to 0..255; a [0, 1] model (a VAE decoder) is rescaled to that first.
  const scaled =
    range[0] === -1 && range[1] === 1 ? images : images.map((v) => ((v - range[0]) / (range[1] - range[0])) * 2 - 1);
  const png = await gridPng(scaled, count, { cols, height: model.height, width: model.width, scale });
  return { type: 'image/png', body: png, headers: { 'cache-control': 'no-store', ...headers } };
}

/** Raw float32 little-endian bytes, shape in `x-shape` (exact, and ~40× smaller and faster than JSON numbers). */
function f32Payload(
  model: GeneratorModel,
  images: Float32Array,
  count: number,
  headers: Record<string, string>,
): Payload {
  const bytes = Buffer.alloc(images.length * 4);
  for (let i = 0; i < images.length; i++) bytes.writeFloatLE(images[i], i * 4);
  const shape = [count, ...model.imageShape].join(',');
  const allHeaders = { 'cache-control': 'no-store', 'x-shape': shape, ...headers };
  return { type: 'application/octet-stream', body: bytes, headers: allHeaders };
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
      return {
        error: `the body is larger than ${bodyLimit} bytes`,
        field: 'body',
        hint: `send at most ${MAX_COUNT} latent vectors per request (or raise --body-limit)`,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: error.message, field: 'content-type', hint: 'send the body as application/json' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { error: error.message, field: 'content-length', hint: 'send a content-length that matches the body' };
    default:
      return { error: error.message, field: 'body', hint: 'send a JSON object, e.g. {"count": 16}' };
  }
}

/**
 * Errors node's HTTP parser raises before fastify sees a request (a request not received within the
 * request timeout, headers over node's 16 KiB limit, malformed HTTP), answered in the API's
 * `{ error, field, hint }` shape; the connection is then closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, limits: ServerLimits): void {
  // A reset connection is gone: there is nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let status: number;
  let body: { error: string; field: string; hint: string };
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    body = {
      error: `the request did not arrive whole within ${limits.requestTimeoutMs} ms`,
      field: 'body',
      hint: 'send the headers and body at once (the server closes slow requests: --request-timeout)',
    };
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    body = {
      error: 'the request headers are larger than the server accepts (16 KiB)',
      field: 'headers',
      hint: 'send fewer or shorter headers (cookies included)',
    };
  } else {
    status = 400;
    const what = error.code ?? error.message;
    body = { error: `malformed HTTP request (${what})`, field: 'request', hint: 'send a well-formed HTTP/1.1 request' };
  }
  const json = JSON.stringify(body);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(json)}`,
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${json}`, () => socket.destroy());
}
