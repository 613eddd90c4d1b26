import { request } from 'node:http';
import { readFileSync } from 'node:fs';

/**
 * A burst of maximal requests (256 images each) against a serve process on loopback, all sent at once,
 * each on its own connection, while the server's memory is sampled from /proc/<pid>/status: VmRSS every
 * `sampleMs` and VmHWM (the kernel's peak RSS of the process) at the end. Clients that get a 503 retry
 * after its Retry-After when `retry` is on, so every request is eventually served.
 */
export interface BurstOptions {
  /** Concurrent requests (one connection each). */
  requests: number;
  /** Retry 503s after Retry-After until every request got a 200. */
  retry: boolean;
  sampleMs?: number;
  /** Give up (and fail) after this many ms. */
  deadlineMs?: number;
}

export interface BurstResult {
  statuses: Record<number, number>;
  /** 200s with the expected image count, per route. */
  served: { generate: number; traverse: number };
  problems: string[];
  retries: number;
  seconds: number;
  rssBeforeMib: number;
  /** Highest VmRSS sampled during the burst. */
  peakRssMib: number;
  /** VmHWM at the end: the process's peak RSS since it started (startup included). */
  hwmMib: number;
  /** VmRSS 1 s after the last answer. */
  rssAfterMib: number;
}

/** One maximal request: 256 images, routes and formats mixed. */
export function maximalRequest(i: number): { path: string; body: string; format: 'json' | 'png' | 'f32' } {
  const format = (['json', 'json', 'png', 'f32'] as const)[i % 4];
  if (i % 2 === 0) {
    return { path: '/generate', body: JSON.stringify({ count: 256, seed: i, format, cols: 16, scale: 1 }), format };
  }
  // 8 rows × 32 values = 256 images.
  const values = Array.from({ length: 32 }, (_, j) => -2 + (4 * j) / 31);
  const body = JSON.stringify({ index: i % 100, seed: i, rows: 8, values, format, scale: 1 });
  return { path: '/traverse', body, format };
}

/** VmRSS or VmHWM of a process in MiB (Linux /proc). */
export function procMib(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(m[1]) / 1024;
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: Buffer;
}

function send(base: string, path: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    if (url.hostname !== '127.0.0.1') throw new Error(`the burst only targets 127.0.0.1, not ${url.hostname}`);
    const length = Buffer.byteLength(body);
    const headers = { 'content-type': 'application/json', 'content-length': length, connection: 'close' };
    // agent: false: a connection of its own per request, so all of them are open at once.
    const req = request(url, { method: 'POST', agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Checks a 200's payload holds 256 images of the right format; returns a problem or null. */
function checkServed(format: 'json' | 'png' | 'f32', body: Buffer): string | null {
  if (format === 'f32') return body.length === 256 * 784 * 4 ? null : `f32 of ${body.length} bytes`;
  if (format === 'png') return body.subarray(1, 4).toString() === 'PNG' ? null : 'not a PNG';
  const j = JSON.parse(body.toString()) as { shape: number[]; images: number[][] };
  return j.shape[0] === 256 && j.images.length === 256 ? null : `json shape ${j.shape}`;
}

export async function burst(base: string, pid: number, options: BurstOptions): Promise<BurstResult> {
  const sampleMs = options.sampleMs ?? 10;
  const deadline = performance.now() + (options.deadlineMs ?? 120_000);
  const rssBeforeMib = procMib(pid, 'VmRSS');
  let peakRssMib = rssBeforeMib;
  const sampler = setInterval(() => (peakRssMib = Math.max(peakRssMib, procMib(pid, 'VmRSS'))), sampleMs);
  const statuses: Record<number, number> = {};
  const served = { generate: 0, traverse: 0 };
  const problems: string[] = [];
  let retries = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: options.requests }, async (_, i) => {
        const r = maximalRequest(i);
        for (;;) {
          const res = await send(base, r.path, r.body);
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 200) {
            const problem = checkServed(r.format, res.body);
            if (problem) problems.push(`${r.path} ${r.format}: ${problem}`);
            else served[r.path === '/generate' ? 'generate' : 'traverse']++;
            return;
          }
          const retryAfterS = Number(res.retryAfter);
          if (res.status !== 503 || !Number.isInteger(retryAfterS) || retryAfterS < 1) {
            const text = res.body.toString().slice(0, 120);
            problems.push(`${r.path} → ${res.status} retry-after ${res.retryAfter}: ${text}`);
            return;
          }
          if (!options.retry) return;
          if (performance.now() + retryAfterS * 1000 > deadline) {
            problems.push(`${r.path} still refused at the deadline`);
            return;
          }
          retries++;
          await new Promise((resolve) => setTimeout(resolve, retryAfterS * 1000));
        }
      }),
    );
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - t0) / 1000;
  peakRssMib = Math.max(peakRssMib, procMib(pid, 'VmRSS'));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const hwmMib = procMib(pid, 'VmHWM');
  const rssAfterMib = procMib(pid, 'VmRSS');
  return { statuses, served, problems, retries, seconds, rssBeforeMib, peakRssMib, hwmMib, rssAfterMib };
}
