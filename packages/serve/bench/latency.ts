#!/usr/bin/env -S npx tsx
/**
 * Latency and throughput of `serve` on loopback, CPU (onnxruntime-node): p50/p99 per request for 1 and
 * 100 images per request in each response format (sequential, one client), and images/s with 4
 * concurrent clients. The server runs in this process, as `serve` would (one warm session).
 *
 *   npx tsx packages/serve/bench/latency.ts                       # a fresh seed-001 generator (no run needed)
 *   npx tsx packages/serve/bench/latency.ts --model artifacts/export/default/00020000
 */
import { rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { Command } from 'commander';
import { formatTable, runCli } from '@wgan/core';
import { loadGenerator } from '../src/model.js';
import { createServer } from '../src/server.js';
import { exportedFixture } from '../src/fixtures.test-helpers.js';

const program = new Command()
  .option('--model <dir>', 'export folder to serve (default: a freshly initialised seed-001 generator)')
  .option('--requests <n>', 'sequential requests per row', Number, 200)
  .option('--seconds <s>', 'duration of each throughput row', Number, 5);

await runCli(async () => {
  const opts = program.parse().opts();
  const load = loadavg()[0];
  const fixture = opts.model ? null : await exportedFixture();
  const model = await loadGenerator(opts.model ?? fixture!.modelDir);
  const app = await createServer({ model });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });

  const call = async (count: number, format: 'json' | 'png' | 'f32', seed: number) => {
    const res = await fetch(`${base}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count, seed, format }),
    });
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    await res.arrayBuffer();
  };
  const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];

  const rows: (string | number)[][] = [];
  for (const [count, format] of [
    [1, 'json'],
    [1, 'png'],
    [1, 'f32'],
    [100, 'json'],
    [100, 'png'],
    [100, 'f32'],
  ] as const) {
    const n = count === 1 ? opts.requests : Math.max(20, Math.floor(opts.requests / 4));
    for (let i = 0; i < 10; i++) await call(count, format, i); // warm-up
    const ms: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await call(count, format, i);
      ms.push(performance.now() - t);
    }
    const seconds = (performance.now() - t0) / 1000;
    ms.sort((a, b) => a - b);
    rows.push([
      `${count}`,
      format,
      1,
      n,
      pct(ms, 0.5).toFixed(2),
      pct(ms, 0.99).toFixed(2),
      ((n * count) / seconds).toFixed(0),
    ]);
  }
  for (const [count, format] of [
    [1, 'f32'],
    [100, 'json'],
    [100, 'png'],
    [100, 'f32'],
  ] as const) {
    const clients = 4;
    let done = 0;
    const ms: number[] = [];
    const end = performance.now() + opts.seconds * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; performance.now() < end; i++) {
          const t = performance.now();
          await call(count, format, c * 1e6 + i);
          ms.push(performance.now() - t);
          done++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    ms.sort((a, b) => a - b);
    rows.push([
      `${count}`,
      format,
      clients,
      done,
      pct(ms, 0.5).toFixed(2),
      pct(ms, 0.99).toFixed(2),
      ((done * count) / seconds).toFixed(0),
    ]);
  }
  process.stdout.write(
    `serve latency on loopback, ${cpus().length} × ${cpus()[0]?.model.trim()}, onnxruntime-node CPU, model ${model.meta.run}@${model.meta.iteration} (d_z ${model.latentDim}), load average ${load.toFixed(1)} before the run\n`,
  );
  process.stdout.write(
    `${formatTable(['images/request', 'format', 'clients', 'requests', 'p50 ms', 'p99 ms', 'images/s'], rows)}\n`,
  );
  await app.close();
  await model.release();
  if (fixture) await rm(fixture.root, { recursive: true, force: true });
});
