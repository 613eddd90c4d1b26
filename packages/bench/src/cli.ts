#!/usr/bin/env -S npx tsx
/**
 * `npm run bench`: ms per generator iteration of the default model on every tfjs backend present, with
 * the PyTorch anchor timed in the same invocation, the ratio project/PyTorch, peak RSS and tensors alive.
 * Each measurement runs in a child process of its own (clean tfjs state, honest peak RSS).
 * Writes artifacts/bench/<date>-<host>.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { artifactPath, artifactsRoot, formatTable, runCli } from '@wgan/core';
import { hasGpuDevice } from '@wgan/core/backend';
import { runAnchor, type AnchorResult } from './anchor.js';
import { defaultModelFlops, measure, type Measurement } from './measure.js';

const program = new Command()
  .name('bench')
  .option(
    '--backends <list>',
    'backends to try, comma-separated (default: webgpu,tensorflow,wasm; cpu with --include-cpu)',
  )
  .option(
    '--implementations <list>',
    'trainer implementations per backend (default: auto, plus webgpu-fused and tfjs-manual on webgpu)',
  )
  .option('--include-cpu', 'also time the plain-JavaScript cpu backend (~13 s per iteration)')
  .option('--rounds <n>', 'timed rounds', Number)
  .option('--per-round <n>', 'iterations per round', Number)
  .option('--no-anchor', 'skip the PyTorch anchor')
  .option(
    '--threads <n>',
    'CPU threads of onnx-cpu and of the PyTorch anchor for the like-for-like rows (default 1)',
    Number,
  )
  .option('--onnx-optimizer <path>', 'onnx-cpu: auto (default) | fused (native addon) | graph (in-graph optimiser)')
  .option('--no-all-cores', 'skip the all-cores row (onnx-cpu on every core against PyTorch at its best thread count)')
  .option('--anchor-devices <list>', 'anchor devices: cpu, cuda (default: cuda when a GPU row exists, and cpu)')
  .option('--out <file>', 'result JSON inside the artifacts root (default bench/<date>-<host>.json)')
  .option('--verbose', 'print the stack of a failure')
  .option('--child <json>', 'internal: run one measurement and print it as JSON')
  .showHelpAfterError();

interface Row extends Partial<Measurement> {
  backend: string;
  implementation: string;
  /** CPU threads of the measurement (tfjs wasm runs on one). */
  threads: number;
  anchorMsPerIter: number | null;
  anchorDevice: string | null;
  ratio: number | null;
  skipped?: string;
}

/** One implementation's measurement may take this long (a slow one is reported as timed out, not waited for). */
const CHILD_LIMIT_MS = 10 * 60_000;

await runCli(async () => {
  const o = program.parse().opts();
  const outFile = o.out !== undefined ? artifactPath(o.out, '--out') : undefined; // checked before the bench runs
  if (o.child) {
    const m = await measure(JSON.parse(o.child));
    process.stdout.write(`BENCH ${JSON.stringify(m)}\n`);
    process.exit(0); // Dawn keeps the event loop alive
  }
  // By default webgpu only where a GPU device exists: on a software adapter (Mesa llvmpipe) one fused
  // iteration takes seconds, and its timing says nothing about the product (ask with --backends webgpu)
  const gpu = hasGpuDevice();
  const backends: string[] = o.backends
    ? o.backends.split(',')
    : [...(gpu ? ['webgpu'] : []), 'tensorflow', 'wasm', ...(o.includeCpu ? ['cpu'] : [])];
  const rows: Row[] = [];
  if (!o.backends && !gpu) {
    process.stderr.write(
      'bench: webgpu skipped: no GPU device (/dev/nvidia*, ' +
        '/dev/dri/render*); --backends webgpu runs it on a software adapter\n',
    );
    rows.push({
      backend: 'webgpu',
      implementation: 'webgpu-fused',
      threads: 1,
      anchorMsPerIter: null,
      anchorDevice: null,
      ratio: null,
      skipped: 'no GPU device on this machine',
    });
  }
  const threads: number = o.threads ?? 1;
  const cores = availableParallelism();
  for (const backend of backends) {
    const implementations: string[] = o.implementations
      ? o.implementations.split(',')
      : backend === 'webgpu'
        ? ['webgpu-fused', 'tfjs-manual']
        : backend === 'wasm'
          ? ['onnx-cpu', 'tfjs-manual']
          : ['auto'];
    // onnx-cpu at --threads, and (unless --no-all-cores) on every core against PyTorch's best thread count
    const runs = implementations.flatMap((implementation) =>
      implementation === 'onnx-cpu' && o.allCores !== false && cores > threads
        ? [
            { implementation, threads },
            { implementation, threads: cores },
          ]
        : [{ implementation, threads }],
    );
    for (const { implementation, threads: t } of runs) {
      const cpuLike = backend === 'cpu';
      const args = {
        backend,
        implementation,
        threads: t,
        ...(o.onnxOptimizer ? { onnxOptimizer: o.onnxOptimizer } : {}),
        // tfjs on wasm is slow (~190 ms per iteration): fewer, shorter rounds; onnx-cpu gets the full 5 × 20,
        // whose median is steadier on a shared machine
        rounds: o.rounds ?? (cpuLike ? 2 : backend === 'wasm' && implementation !== 'onnx-cpu' ? 3 : 5),
        perRound: o.perRound ?? (cpuLike ? 10 : backend === 'wasm' && implementation !== 'onnx-cpu' ? 10 : 20),
        warmup: cpuLike ? 1 : 5,
      };
      process.stderr.write(
        `bench: ${backend} / ${implementation}${implementation === 'onnx-cpu' ? `, ${t} thread(s)` : ''} …\n`,
      );
      const entry = process.env.WGAN_ENTRY_ARGS ? [process.env.WGAN_ENTRY_ARGS] : []; // the GPU bundle's subcommand
      const r = spawnSync(
        process.execPath,
        [...process.execArgv, process.argv[1], ...entry, '--child', JSON.stringify(args)],
        { encoding: 'utf8', env: process.env, maxBuffer: 1 << 24, timeout: CHILD_LIMIT_MS },
      );
      const line = r.stdout.split('\n').find((l) => l.startsWith('BENCH '));
      if (!line) {
        const why =
          r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT'
            ? `timed out after ${CHILD_LIMIT_MS / 60_000} min`
            : ((r.stderr || '')
                .split('\n')
                .filter((l) => /error|not available/i.test(l))
                .slice(-1)[0] ?? `exit ${r.status}`);
        rows.push({
          backend,
          implementation,
          threads: t,
          anchorMsPerIter: null,
          anchorDevice: null,
          ratio: null,
          skipped: why.trim(),
        });
        continue;
      }
      const m = JSON.parse(line.slice(6)) as Measurement;
      rows.push({
        ...m,
        threads: implementation === 'onnx-cpu' ? t : 1,
        anchorMsPerIter: null,
        anchorDevice: null,
        ratio: null,
      });
    }
  }
  // The anchor on the matching device: CUDA for GPU rows (when torch sees one); on the CPU at --threads
  // for the like-for-like rows and at every count 1…cores, whose fastest is the all-cores rows' reference
  const anchors: Record<string, AnchorResult> = {};
  const cpuAnchors = new Map<number, AnchorResult>();
  if (o.anchor !== false) {
    const wantGpu = rows.some(
      (r) => r.backend === 'webgpu' && !r.skipped && !/llvmpipe|software/i.test(r.device ?? ''),
    );
    const devices: string[] = o.anchorDevices ? o.anchorDevices.split(',') : [...(wantGpu ? ['cuda'] : []), 'cpu'];
    if (devices.includes('cuda')) anchors.cuda = runAnchor({ device: 'cuda' });
    if (devices.includes('cpu')) {
      const counts =
        o.allCores !== false ? Array.from({ length: Math.max(cores, threads) }, (_, i) => i + 1) : [threads];
      for (const t of counts) {
        process.stderr.write(`bench: PyTorch anchor, cpu, ${t} thread(s) …\n`);
        cpuAnchors.set(t, runAnchor({ device: 'cpu', threads: t }));
      }
      anchors.cpu = cpuAnchors.get(threads) as AnchorResult;
    }
  }
  const timedAnchors = [...cpuAnchors].filter(([, a]) => a.msPerIter !== null);
  const best = timedAnchors.length
    ? timedAnchors.reduce((a, b) => ((b[1].msPerIter as number) < (a[1].msPerIter as number) ? b : a))
    : null;
  if (best && o.allCores !== false) anchors.cpuBest = { ...best[1], threads: best[0] };
  for (const r of rows) {
    if (r.skipped) continue;
    const gpuRow = r.backend === 'webgpu' && !/llvmpipe|software/i.test(r.device ?? '');
    const a = gpuRow ? anchors.cuda : r.threads !== threads ? anchors.cpuBest : anchors.cpu;
    const anchorThreads = a === anchors.cpuBest ? best?.[0] : threads;
    r.anchorDevice = a
      ? `torch ${a.torch ?? '?'} ${a.device}${a.blas ? ` (${a.blas.kind})` : ''}` +
        (a.device === 'cpu'
          ? `, ${anchorThreads} thread${anchorThreads === 1 ? '' : 's'}${a === anchors.cpuBest ? ' (its best)' : ''}`
          : '')
      : null;
    r.anchorMsPerIter = a?.msPerIter ?? null;
    r.ratio = r.anchorMsPerIter && r.msPerIter ? r.msPerIter / r.anchorMsPerIter : null;
  }
  const flops = defaultModelFlops();
  const gflops = (ms: number | null | undefined) => (ms ? flops / ms / 1e6 : null);
  const fmt = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '-' : v.toFixed(d));
  process.stdout.write(
    `FLOP per iteration: ${(flops / 1e9).toFixed(3)} G (the matrix products of one generator ` +
      `iteration, from the architecture; GFLOP/s below is that count over the time, PyTorch's too)\n`,
  );
  process.stdout.write(
    `${formatTable(
      [
        'backend',
        'implementation',
        'device',
        'ms/iter',
        'GFLOP/s',
        'PyTorch',
        'PyTorch ms/iter',
        'PyTorch GFLOP/s',
        'ratio',
        'peak RSS MB',
      ],
      rows.map((r) =>
        r.skipped
          ? [
              r.backend,
              r.implementation,
              `skipped: ${r.skipped.length > 70 ? `${r.skipped.slice(0, 69)}…` : r.skipped}`,
              '-',
              '-',
              '-',
              '-',
              '-',
              '-',
              '-',
            ]
          : [
              r.backend,
              r.implementation,
              r.device ?? '',
              fmt(r.msPerIter),
              fmt(gflops(r.msPerIter)),
              r.anchorDevice ?? '-',
              fmt(r.anchorMsPerIter),
              fmt(gflops(r.anchorMsPerIter)),
              fmt(r.ratio, 2),
              String(r.peakRssMb),
            ],
      ),
    )}\n`,
  );
  if (timedAnchors.length > 1 && best)
    process.stdout.write(
      `PyTorch CPU by thread count: ${timedAnchors.map(([t, a]) => `${t}: ${fmt(a.msPerIter)} ms`).join(', ')}; ` +
        `best: ${best[0]} thread${best[0] === 1 ? '' : 's'}\n`,
    );
  for (const [k, a] of Object.entries(anchors))
    if (a.msPerIter === null) process.stdout.write(`PyTorch anchor (${k}) not run: ${a.why}\n`);
  const date = new Date().toISOString().slice(0, 10);
  const file = outFile ?? join(artifactsRoot(), 'bench', `${date}-${hostname()}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  const results = rows.map((r) => ({
    backend: r.backend,
    implementation: r.implementation,
    device: r.device ?? null,
    optimizer: r.optimizer ?? null,
    threads: r.threads,
    msPerIter: r.msPerIter ?? null,
    gflopPerSecond: gflops(r.msPerIter),
    anchorMsPerIter: r.anchorMsPerIter,
    ratio: r.ratio,
    peakRssMb: r.peakRssMb ?? null,
    tensorsAlive: r.tensorsAlive ?? null,
    roundMs: r.roundMs ?? null,
    skipped: r.skipped ?? null,
    anchorDevice: r.anchorDevice,
  }));
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), host: hostname(), node: process.version, model: 'seed-001 MLP WGAN-GP, B = 64, 5 critic steps + 1 generator step', flopsPerIteration: flops, threads, cores, anchors, anchorCpuByThreads: Object.fromEntries(cpuAnchors), anchorBestThreads: best?.[0] ?? null, results }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${file}\n`);
});
