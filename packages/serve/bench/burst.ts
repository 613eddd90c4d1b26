#!/usr/bin/env -S npx tsx
/**
 * Memory of `serve` under a burst of maximal requests: N clients at once (default 128), each asking for
 * 256 images (/generate and /traverse, json/png/f32 mixed), against the CLI in its own process on
 * 127.0.0.1, sampling the server's RSS from /proc/<pid>/status (VmRSS every 10 ms, VmHWM at the end).
 * Each round ends by itself: with --retry, refused clients wait for Retry-After and try again until all
 * are served (or the deadline passes).
 *
 *   npx tsx packages/serve/bench/burst.ts                   # a fresh seed-001 generator, default limits
 *   npx tsx packages/serve/bench/burst.ts --retry --model artifacts/export/default/00020000
 *   npx tsx packages/serve/bench/burst.ts --queue-size 128 --retry   # a longer line: what memory it costs
 */
import { rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { Command } from 'commander';
import { formatTable, runCli } from '@wgan/core';
import { burst } from '../src/burst.test-helpers.js';
import { exportedFixture } from '../src/fixtures.test-helpers.js';
import { startServerProcess } from '../src/process.test-helpers.js';

const program = new Command()
  .option('--model <dir>', 'export folder to serve (default: a freshly initialised seed-001 generator)')
  .option('--requests <n>', 'concurrent maximal requests', Number, 128)
  .option('--rounds <n>', 'bursts one after another', Number, 2)
  .option('--retry', 'refused clients retry after Retry-After until served')
  .option('--queue-concurrency <n>', "server's --queue-concurrency", Number)
  .option('--queue-size <n>', "server's --queue-size", Number)
  .option('--deadline <s>', 'give up a round after this many seconds', Number, 300);

await runCli(async () => {
  const opts = program.parse().opts();
  const load = loadavg()[0];
  const fixture = opts.model ? null : await exportedFixture();
  const args = ['--model', opts.model ?? fixture!.modelDir, '--host', '127.0.0.1'];
  if (opts.queueConcurrency) args.push('--queue-concurrency', String(opts.queueConcurrency));
  if (opts.queueSize !== undefined) args.push('--queue-size', String(opts.queueSize));
  const server = await startServerProcess(args);
  const rows: (string | number)[][] = [];
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      const options = { requests: opts.requests, retry: Boolean(opts.retry), deadlineMs: opts.deadline * 1000 };
      const r = await burst(server.url, server.child.pid!, options);
      if (r.problems.length > 0) throw new Error(`round ${round}: ${r.problems.slice(0, 5).join('; ')}`);
      const statuses = Object.entries(r.statuses)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ');
      const mib = [r.rssBeforeMib, r.peakRssMib, r.hwmMib, r.rssAfterMib].map((v) => v.toFixed(0));
      rows.push([round, opts.requests, statuses, r.served.generate + r.served.traverse, r.seconds.toFixed(1), ...mib]);
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    if (fixture) await rm(fixture.root, { recursive: true, force: true });
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}`;
  const retry = opts.retry ? 'refused clients retry' : 'no retries';
  const loadText = `load average ${load.toFixed(1)} before the run`;
  process.stdout.write(`serve burst on 127.0.0.1, ${machine}, 256 images per request, ${retry}, ${loadText}\n`);
  const mibs = ['RSS before MiB', 'peak RSS MiB', 'VmHWM MiB', 'RSS 1 s after MiB'];
  const header = ['round', 'clients', 'statuses', 'served', 's', ...mibs];
  process.stdout.write(`${formatTable(header, rows)}\n`);
});
