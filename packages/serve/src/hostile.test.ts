import { connect, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { exportedFixture } from './fixtures.test-helpers.js';
import { loadGenerator, type GeneratorModel } from './model.js';
import { GenerationQueue } from './queue.js';
import { createServer, type ServerLimits, type ServerOptions } from './server.js';

/**
 * serve under hostile clients, over real sockets on 127.0.0.1 (not inject): slow and silent clients
 * are cut off by the timeouts, the connection cap holds, a full generation queue answers 503 with
 * Retry-After, and numbers outside float32, null bodies and oversized headers get `{ error, field, hint }`.
 */
let root: string;
let model: GeneratorModel;
const servers: FastifyInstance[] = [];

beforeAll(async () => {
  const fx = await exportedFixture();
  root = fx.root;
  model = await loadGenerator(fx.modelDir);
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await model?.release();
  if (root) await rm(root, { recursive: true, force: true });
});

async function listen(
  limits: Partial<ServerLimits>,
  extra: Partial<ServerOptions> = {},
): Promise<{ app: FastifyInstance; port: number }> {
  const app = await createServer({ model, limits, ...extra });
  servers.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { app, port: address.port };
}

interface RawAnswer {
  /** Everything the server sent before closing. */
  text: string;
  status: number | null;
  headers: Record<string, string>;
  body: string;
  /** ms from connect to the server closing the connection. */
  closedAfterMs: number;
}

/** Opens a raw TCP connection, hands it to `drive`, and resolves when the server closes it. */
function raw(port: number, drive: (socket: Socket) => void, giveUpMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      const got = JSON.stringify(text.slice(0, 200));
      reject(new Error(`the server kept the connection open for ${giveUpMs} ms; got ${got}`));
    }, giveUpMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => {}); // a reset after the answer is the server closing: 'close' follows
    socket.on('close', () => {
      clearTimeout(timer);
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1];
      const headers = Object.fromEntries(
        lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      resolve({ text, status: status ? Number(status) : null, headers, body, closedAfterMs: performance.now() - t0 });
    });
    socket.on('connect', () => drive(socket));
  });
}

/** An HTTP/1.1 request as bytes on the wire; with a body it is JSON and the connection closes after. */
function wire(method: string, path: string, body?: string, extraHeaders = ''): string {
  const head = `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${extraHeaders}`;
  if (body === undefined) return `${head}\r\n`;
  const length = Buffer.byteLength(body);
  return `${head}connection: close\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n${body}`;
}

/** Writes `data` one byte every `everyMs` until the socket closes. */
function trickle(socket: Socket, data: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable || i >= data.length) return clearInterval(timer);
    socket.write(data[i++]);
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

type ErrorBody = { error: string; field: string; hint: string };

function expectErrorShape(a: Pick<RawAnswer, 'status' | 'headers' | 'body'>, status: number, field: string): ErrorBody {
  expect(a.status).toBe(status);
  expect(a.headers['content-type']).toMatch(/application\/json/);
  const j = JSON.parse(a.body) as ErrorBody;
  expect(j).toMatchObject({ field });
  expect(Object.keys(j).sort()).toEqual(['error', 'field', 'hint']);
  expect(typeof j.error).toBe('string');
  expect(typeof j.hint).toBe('string');
  return j;
}

describe('slow and silent clients', () => {
  it('a body trickled 1 byte every 300 ms is cut off by the request timeout: 408, connection closed', async () => {
    const { port } = await listen({ requestTimeoutMs: 1000 });
    const body = JSON.stringify({ count: 1, seed: 1, format: 'json', pad: 'x'.repeat(100) });
    const answer = await raw(port, (s) => {
      const request = wire('POST', '/generate', body);
      s.write(request.slice(0, request.length - body.length)); // the headers at once
      trickle(s, body, 300);
    });
    const j = expectErrorShape(answer, 408, 'body');
    expect(j.error).toBe('the request did not arrive whole within 1000 ms');
    // Cut at the timeout (plus node's check interval, 250 ms here), long before the body could finish (≈ 40 s).
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(950);
    expect(answer.closedAfterMs).toBeLessThan(4000);
  });

  it('headers trickled 1 byte every 300 ms are cut off too', async () => {
    const { port } = await listen({ requestTimeoutMs: 1000 });
    const headers = wire('GET', '/health', undefined, `x-slow: ${'a'.repeat(200)}`); // no blank line: never ends
    const answer = await raw(port, (s) => trickle(s, headers, 300));
    expectErrorShape(answer, 408, 'body');
    expect(answer.closedAfterMs).toBeLessThan(4000);
  });

  it('a socket that sends nothing gets 408 at the request timeout', async () => {
    const { port } = await listen({ requestTimeoutMs: 1000 });
    const answer = await raw(port, () => {});
    expectErrorShape(answer, 408, 'body');
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(950);
    expect(answer.closedAfterMs).toBeLessThan(4000);
  });

  it('a socket that stalls is closed after the idle timeout', async () => {
    const { port } = await listen({ idleTimeoutMs: 800, requestTimeoutMs: 60_000 });
    const answer = await raw(port, () => {});
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(700);
    expect(answer.closedAfterMs).toBeLessThan(5000);
  });

  it('a whole request sent at once is answered normally under a short timeout', async () => {
    const { port } = await listen({ requestTimeoutMs: 1000 });
    const body = JSON.stringify({ count: 2, seed: 1, format: 'f32' });
    const answer = await raw(port, (s) => s.write(wire('POST', '/generate', body)));
    expect(answer.status).toBe(200);
    expect(answer.headers['x-shape']).toBe('2,1,28,28');
  });
});

describe('connection cap', () => {
  it('with 3 sockets open the 4th is closed on accept; after one closes a new one is served', async () => {
    const { app, port } = await listen({ maxConnections: 3, idleTimeoutMs: 60_000, requestTimeoutMs: 60_000 });
    const open = await Promise.all(
      Array.from(
        { length: 3 },
        () =>
          new Promise<Socket>((resolve) => {
            const s = connect(port, '127.0.0.1', () => resolve(s));
            s.on('error', () => {});
          }),
      ),
    );
    await expect.poll(() => new Promise<number>((resolve) => app.server.getConnections((_e, n) => resolve(n)))).toBe(3);
    const refused = await raw(port, (s) => s.write(wire('GET', '/health')), 5000);
    expect(refused.text).toBe(''); // closed without an answer
    // The 3 held sockets still work.
    const held = await new Promise<string>((resolve) => {
      let text = '';
      open[0].on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('"status":"ok"')) resolve(text);
      });
      open[0].write(wire('GET', '/health'));
    });
    expect(held).toMatch(/^HTTP\/1\.1 200/);
    for (const s of open) s.destroy();
    await expect.poll(() => new Promise<number>((resolve) => app.server.getConnections((_e, n) => resolve(n)))).toBe(0);
    const served = await raw(port, (s) => s.write(wire('GET', '/health', undefined, 'connection: close\r\n')));
    expect(served.status).toBe(200);
  });
});

describe('bounded generation queue', () => {
  it('full → 503 with Retry-After in the {error, field, hint} shape; the queued ones are then served', async () => {
    const queue = new GenerationQueue({ concurrency: 1, maxWaiting: 2 });
    const { port } = await listen({}, { queue });
    // Hold the one running place, so the two waiting places are what the HTTP requests find.
    let release!: () => void;
    const held = queue.run(() => new Promise<void>((resolve) => (release = resolve)));
    const request = wire('POST', '/generate', JSON.stringify({ count: 256, seed: 3, format: 'f32' }));
    const answers: Promise<RawAnswer>[] = [];
    for (let i = 0; i < 5; i++) answers.push(raw(port, (s) => s.write(request)));
    // Two requests wait in the line; the other three are refused at once.
    await expect.poll(() => queue.stats, { timeout: 10_000 }).toEqual({ running: 1, waiting: 2 });
    const later = new Promise<null>((r) => setTimeout(() => r(null), 300));
    const settled = await Promise.race([Promise.all(answers), later]);
    expect(settled).toBeNull(); // the queued ones are still waiting
    release();
    await held;
    const all = await Promise.all(answers);
    const busy = all.filter((a) => a.status === 503);
    const ok = all.filter((a) => a.status === 200);
    expect([busy.length, ok.length]).toEqual([3, 2]);
    for (const a of busy) {
      const j = expectErrorShape(a, 503, 'server');
      expect(j.error).toMatch(/busy: 1 generations running and 2 waiting/);
      expect(Number(a.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number.isInteger(Number(a.headers['retry-after']))).toBe(true);
    }
    for (const a of ok) expect(a.headers['x-shape']).toBe('256,1,28,28');
    expect(queue.stats).toEqual({ running: 0, waiting: 0 });
  });

  it('concurrent requests against concurrency 1 and a queue of 1: each a 200 or a 503 with Retry-After', async () => {
    const { app, port } = await listen({ queueConcurrency: 1, queueSize: 1 });
    const request = wire('POST', '/generate', JSON.stringify({ count: 256, seed: 5, format: 'json' }));
    const all = await Promise.all(Array.from({ length: 12 }, () => raw(port, (s) => s.write(request))));
    const statuses = all.map((a) => a.status);
    const count = (status: number) => statuses.filter((s) => s === status).length;
    console.log(`[queue] 12 × 256 images at once, concurrency 1, queue 1: ${count(200)}×200, ${count(503)}×503`);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    for (const a of all.filter((x) => x.status === 503)) {
      expect(Number(a.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    for (const a of all.filter((x) => x.status === 200)) {
      expect((JSON.parse(a.body) as { images: number[][] }).images).toHaveLength(256);
    }
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.json().queue).toEqual({ running: 0, waiting: 0 });
  });
});

describe('bad numbers, bodies and headers over HTTP', () => {
  let port: number;
  beforeAll(async () => {
    port = (await listen({})).port;
  });

  const post = (path: string, body: string) => raw(port, (s) => s.write(wire('POST', path, body)));
  const zeros = (n: number) => new Array(n).fill(0).join(',');

  it.each([
    ['z beyond float32 (1e39)', '/generate', `{"z":[[1e39,${zeros(99)}]]}`, 'z[0][0]', /got 1e\+39/],
    ['z of one vector beyond float32', '/generate', `{"z":[${zeros(99)},-1e39]}`, 'z[99]', /got -1e\+39/],
    ['Infinity token in z', '/generate', `{"z":[[${zeros(50)},Infinity,${zeros(49)}]]}`, 'z[0][50]', /got Infinity/],
    ['"NaN" string in z', '/generate', `{"z":[[${zeros(99)},"NaN"]]}`, 'z[0][99]', /got "NaN"/],
    ['fix.value 1e39', '/generate', '{"count":2,"fix":{"index":0,"value":1e39}}', 'fix.value', /got 1e\+39/],
    ['fix.value "NaN"', '/generate', '{"count":2,"fix":{"index":0,"value":"NaN"}}', 'fix.value', /got "NaN"/],
    ['traverse values 1e39', '/traverse', '{"index":0,"values":[0,1e39]}', 'values[1]', /got 1e\+39/],
    ['traverse values -Infinity', '/traverse', '{"index":0,"values":[-Infinity]}', 'values[0]', /got -Infinity/],
    ['null body on /generate', '/generate', 'null', 'body', /must be a JSON object/],
    ['null body on /traverse', '/traverse', 'null', 'body', /must be a JSON object/],
    ['a number as body', '/generate', '42', 'body', /must be a JSON object/],
    ['traverse 16 × 32', '/traverse', `{"index":0,"rows":16,"values":[${zeros(32)}]}`, 'rows', /512 images, more/],
    ['generate 257 images', '/generate', '{"count":257}', 'count', /from 1 to 256/],
  ] as const)('%s → 400 naming the field', async (_name, path, body, field, message) => {
    const j = expectErrorShape(await post(path, body), 400, field);
    expect(j.error).toMatch(message);
  });

  it('the float32 maximum itself is accepted', async () => {
    const a = await post('/generate', `{"z":[3.4028235e38,${zeros(99)}],"format":"f32"}`);
    expect(a.status).toBe(200);
  });

  it('headers over 16 KiB → 431 in the {error, field, hint} shape', async () => {
    const a = await raw(port, (s) => s.write(wire('GET', '/health', undefined, `x-big: ${'a'.repeat(20_000)}\r\n`)));
    const j = expectErrorShape(a, 431, 'headers');
    expect(j.error).toMatch(/headers are larger/);
  });

  it('malformed HTTP → 400 in the same shape', async () => {
    const a = await raw(port, (s) => s.write('NOT HTTP AT ALL\r\n\r\n'));
    expectErrorShape(a, 400, 'request');
  });
});
