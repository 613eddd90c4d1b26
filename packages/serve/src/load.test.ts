import { request } from 'node:http';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGray, Rng } from '@wgan/core';
import { exportedFixture } from './fixtures.test-helpers.js';
import { burst } from './burst.test-helpers.js';
import { rssMib, startServerProcess, type ServerProcess } from './process.test-helpers.js';

/**
 * The load test: 1,000 requests on loopback at concurrency 32, half of them malformed, against
 * the real CLI in its own process. Every good one must be a 200 of the right shape, every bad one a
 * 4xx JSON error, the server must not crash, and its RSS must grow by less than 50 MB.
 */
let root: string;
let server: ServerProcess;

beforeAll(async () => {
  const fx = await exportedFixture();
  root = fx.root;
  // --model lies inside the artifacts root
  server = await startServerProcess(['--model', fx.modelDir], { WGAN_ARTIFACTS: fx.root });
});

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await rm(root, { recursive: true, force: true });
});

interface Case {
  good: boolean;
  path: string;
  body: string;
  contentType: string;
  method: string;
  /** For good requests: images expected, and whether as PNG. */
  count?: number;
  png?: boolean;
}

const zeros = (n: number) => new Array(n).fill(0).join(',');
const BAD: ((rng: Rng) => Omit<Case, 'good'>)[] = [
  () => ({ method: 'POST', path: '/generate', contentType: 'application/json', body: '{"count":0}' }),
  (rng) => ({
    method: 'POST',
    path: '/generate',
    contentType: 'application/json',
    body: JSON.stringify({ count: 257 + rng.below(1000) }),
  }),
  (rng) => ({
    method: 'POST',
    path: '/generate',
    contentType: 'application/json',
    body: JSON.stringify({ z: [new Array(1 + rng.below(99)).fill(0.5)] }),
  }),
  () => ({
    method: 'POST',
    path: '/generate',
    contentType: 'application/json',
    body: `{"z":[[${zeros(50)},NaN,${zeros(49)}]]}`,
  }),
  () => ({ method: 'POST', path: '/generate', contentType: 'application/json', body: '{"count": 4,' }),
  () => ({ method: 'POST', path: '/generate', contentType: 'text/plain', body: 'count=4' }),
  () => ({
    method: 'POST',
    path: '/generate',
    contentType: 'application/json',
    body: JSON.stringify({ pad: 'x'.repeat(1.1 * 2 ** 20) }),
  }),
  () => ({ method: 'GET', path: '/no/such/route', contentType: 'application/json', body: '' }),
  () => ({ method: 'POST', path: '/traverse', contentType: 'application/json', body: '{"index":-1}' }),
];

function makeCases(n: number): Case[] {
  const rng = Rng.fromSeed(2024);
  return Array.from({ length: n }, (_, i) => {
    if (i % 2 === 1) return { good: false, ...BAD[rng.below(BAD.length)](rng) };
    const count = 1 + rng.below(4);
    const png = rng.below(4) === 0;
    return {
      good: true,
      method: 'POST',
      path: '/generate',
      contentType: 'application/json',
      body: JSON.stringify({ count, seed: rng.below(1e6), ...(png ? { format: 'png' } : {}) }),
      count,
      png,
    };
  });
}

type Answer = { status: number; type: string; body: Buffer; ms: number };

function send(base: string, c: Case, tries = 3): Promise<Answer> {
  const t0 = performance.now();
  return new Promise<Answer>((resolve, reject) => {
    const url = new URL(c.path, base);
    const headers = c.body ? { 'content-type': c.contentType, 'content-length': Buffer.byteLength(c.body) } : {};
    let answered = false;
    const req = request(url, { method: c.method, headers, agent: keepAlive }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      const done = () => {
        const type = String(res.headers['content-type'] ?? '');
        resolve({ status: res.statusCode ?? 0, type, body: Buffer.concat(chunks), ms: performance.now() - t0 });
      };
      res.on('end', done);
      res.on('close', done); // the server closed after its answer (413): what it sent is the answer
    });
    // A server answers 413 before reading a large body and closes, so writing the rest of it can fail
    // (EPIPE, ECONNRESET): after an answer that is expected; before one, the write lost the race with
    // the answer and the request is sent again.
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (answered) return;
      if (tries > 1 && (e.code === 'EPIPE' || e.code === 'ECONNRESET')) resolve(send(base, c, tries - 1));
      else reject(e);
    });
    req.end(c.body || undefined);
  });
}

import { Agent } from 'node:http';
const keepAlive = new Agent({ keepAlive: true, maxSockets: 32 });

describe('load: 1,000 requests, half malformed, concurrency 32', () => {
  it('0 crashes, every good one 200 with the right shape, every bad one 4xx, RSS growth < 50 MB', async () => {
    const health = async () =>
      JSON.parse(
        (
          await send(server.url, { good: true, method: 'GET', path: '/health', contentType: '', body: '' })
        ).body.toString(),
      ) as { rssMb: number; requests: number };
    // Warm-up (allocator pools, JIT) before the baseline.
    for (const c of makeCases(64)) await send(server.url, c);
    const rssBefore = rssMib(server.child.pid!) ?? (await health()).rssMb;

    const cases = makeCases(1000);
    const results: { c: Case; status: number; type: string; body: Buffer; ms: number }[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < cases.length) {
          const c = cases[next++];
          results.push({ c, ...(await send(server.url, c)) });
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;

    const problems: string[] = [];
    for (const r of results) {
      if (r.c.good) {
        if (r.status !== 200) problems.push(`good ${r.c.body} → ${r.status} ${r.body.toString().slice(0, 120)}`);
        else if (r.c.png) {
          const img = await decodeGray(r.body);
          const cols = Math.ceil(Math.sqrt(r.c.count!));
          const rows = Math.ceil(r.c.count! / cols);
          if (img.width !== cols * 58 + 2 || img.height !== rows * 58 + 2)
            problems.push(`png ${img.width}×${img.height} for ${r.c.count}`);
        } else {
          const j = JSON.parse(r.body.toString()) as { shape: number[]; images: number[][] };
          if (
            j.shape.join() !== `${r.c.count},1,28,28` ||
            j.images.length !== r.c.count ||
            j.images.some((im) => im.length !== 784 || im.some((v) => !(v >= -1 && v <= 1)))
          )
            problems.push(`json shape ${j.shape} for ${r.c.count}`);
        }
      } else {
        const j = r.type.includes('application/json')
          ? (JSON.parse(r.body.toString()) as { error?: string; field?: string })
          : {};
        if (r.status < 400 || r.status >= 500 || typeof j.error !== 'string' || typeof j.field !== 'string')
          problems.push(`bad ${r.c.path} ${r.c.body.slice(0, 60)} → ${r.status} ${r.body.toString().slice(0, 120)}`);
      }
    }
    const h = await health();
    const rssAfter = rssMib(server.child.pid!) ?? h.rssMb;
    const latencies = results
      .filter((r) => r.c.good)
      .map((r) => r.ms)
      .sort((a, b) => a - b);
    const statuses = Object.entries(
      results.reduce<Record<number, number>>((m, r) => ((m[r.status] = (m[r.status] ?? 0) + 1), m), {}),
    );
    console.log(
      `[load] ${results.length} requests in ${seconds.toFixed(1)} s (${(results.length / seconds).toFixed(0)} ` +
        `req/s), statuses ${statuses.map(([s, n]) => `${s}×${n}`).join(' ')}, ` +
        `good p50 ${latencies[Math.floor(latencies.length / 2)].toFixed(1)} ms p99 ${latencies[Math.floor(latencies.length * 0.99)].toFixed(1)} ms, RSS ${rssBefore.toFixed(1)} → ${rssAfter.toFixed(1)} MiB`,
    );
    expect(problems).toEqual([]);
    expect(results).toHaveLength(1000);
    expect(results.filter((r) => r.c.good)).toHaveLength(500);
    expect(server.child.exitCode).toBeNull(); // 0 crashes: the same process answered everything
    expect(h.requests).toBeGreaterThanOrEqual(1000);
    expect(rssAfter - rssBefore).toBeLessThan(50);
  }, 120_000);

  it('128 concurrent maximal requests (256 images each, both routes, every format): peak RSS < 500 MB', async () => {
    // The default limits: 2 generations at once and 32 waiting; the others are refused at once with
    // 503 + Retry-After, so the server never holds more than 34 requests' worth of work.
    // (bench/burst.ts --retry has the refused clients retry until all 128 are served.)
    const r = await burst(server.url, server.child.pid!, { requests: 128, retry: false });
    const statuses = Object.entries(r.statuses)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    const [before, peak, hwm, after] = [r.rssBeforeMib, r.peakRssMib, r.hwmMib, r.rssAfterMib].map((v) => v.toFixed(0));
    console.log(
      `[burst] 128 × 256 images at once in ${r.seconds.toFixed(1)} s, statuses ${statuses}; ` +
        `server RSS ${before} MiB before, peak ${peak} MiB (VmHWM ${hwm} MiB), ${after} MiB 1 s after`,
    );
    expect(r.problems).toEqual([]);
    expect(Object.keys(r.statuses).every((s) => s === '200' || s === '503')).toBe(true);
    // A 503 means 34 requests were in the server at that moment, and each of those is served.
    expect(r.served.generate + r.served.traverse).toBeGreaterThanOrEqual(r.statuses[503] ? 34 : 128);
    expect(server.child.exitCode).toBeNull();
    expect(r.peakRssMib * 2 ** 20).toBeLessThan(500e6);
    expect(r.hwmMib * 2 ** 20).toBeLessThan(500e6);
    // Memory is given back: 1 s after the burst the server holds at most 150 MiB more than before it
    // (measured 36–77 MiB; before the queue and chunking, 128 such requests left ~900 MB held).
    expect(r.rssAfterMib - r.rssBeforeMib).toBeLessThan(150);
  }, 60_000);

  it('shuts down gracefully on SIGTERM: an in-flight request is answered, then exit 0', async () => {
    const body = JSON.stringify({ count: 2, seed: 1 });
    const url = new URL('/generate', server.url);
    const answer = new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 5)); // the request is in flight: headers and part of the body sent
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(5)), 300);
      }, 300);
    });
    const t0 = performance.now();
    expect(await answer).toBe(200);
    const t1 = performance.now();
    expect(await server.exited).toBe(0);
    console.log(
      `[sigterm] answered ${(t1 - t0).toFixed(0)} ms, exited ` +
        `${(performance.now() - t0).toFixed(0)} ms after the request started`,
    );
    expect(server.stderr()).toMatch(/shutting down\s+signal=SIGTERM[\s\S]*stopped/);
  }, 30_000);
});
