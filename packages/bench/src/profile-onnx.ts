/**
 * Per-operator profile of the onnx-cpu trainer's iteration graph (seed-001 model, B = 64): timed runs
 * without the profiler, then onnxruntime's own profiler, summed by op type and by part of the iteration.
 *   npx tsx packages/bench/src/profile-onnx.ts [--threads 1] [--runs 20]
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { Rng } from '@wgan/core';
import {
  buildWganIterationGraph,
  denseChain,
  iterationFlops,
  onnxSessionOptions,
  onnxThreads,
  resolveTrainConfig,
  seed001Critic,
  seed001Generator,
} from '@wgan/train';

const o = new Command()
  .option('--threads <n>', 'intra-op threads (0 = every core)', Number, 1)
  .option('--runs <n>', 'timed runs (then as many profiled)', Number, 20)
  .parse()
  .opts();
const config = resolveTrainConfig({});
const G = denseChain(seed001Generator(100));
const D = denseChain(seed001Critic());
const settings = {
  generator: G,
  critic: D,
  loss: 'gp' as const,
  lambda: 10,
  clipValue: 0.01,
  nCritic: 5,
  batchSize: 64,
  optimizerG: config.optimizerG,
  optimizerD: config.optimizerD,
};
const graph = buildWganIterationGraph(settings);
const flops = iterationFlops(settings);
const threads = onnxThreads(o.threads);
const options = onnxSessionOptions(threads);
const rng = Rng.fromSeed(1);
const feeds: Record<string, ort.Tensor> = {};
for (const v of graph.inputs) {
  const size = (v.shape as number[]).reduce((a, b) => a * b, 1);
  feeds[v.name] = new ort.Tensor('float32', rng.fillNormal(new Float32Array(size), 0, 0.05), v.shape as number[]);
}
for (const k of Object.keys(feeds))
  if (/^(stepD|stepG)/.test(k)) feeds[k] = new ort.Tensor('float32', Float32Array.of(2e-4), []);
for (const k of Object.keys(feeds))
  if (/^(epsD|epsG)/.test(k)) feeds[k] = new ort.Tensor('float32', Float32Array.of(1e-8), []);

const timed = await ort.InferenceSession.create(graph.model, options);
for (let i = 0; i < 5; i++) await timed.run(feeds);
const t0 = performance.now();
for (let i = 0; i < o.runs; i++) await timed.run(feeds);
const ms = (performance.now() - t0) / o.runs;
await timed.release();
console.log(
  `session.run: ${ms.toFixed(1)} ms per iteration, ${threads} thread(s); ` +
    `${(flops / 1e9).toFixed(3)} GFLOP of matrix products → ${(flops / ms / 1e6).toFixed(1)} GFLOP/s`,
);

const prefix = join(tmpdir(), `wgan-onnx-profile-${process.pid}`);
const profiled = await ort.InferenceSession.create(graph.model, {
  ...options,
  enableProfiling: true,
  profileFilePrefix: prefix,
});
for (let i = 0; i < o.runs; i++) await profiled.run(feeds);
profiled.endProfiling();
await profiled.release();
const file = join(
  tmpdir(),
  readdirSync(tmpdir())
    .filter((f) => f.startsWith(`wgan-onnx-profile-${process.pid}`))
    .sort()
    .pop() as string,
);
const events = JSON.parse(readFileSync(file, 'utf8')) as {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}[];
rmSync(file, { force: true });
/** The part of the iteration a node belongs to, from the stem its name carries (see wgan-graph.ts). */
const part = (name: string, op: string) => {
  if (/_opt/.test(name)) return name.includes('g_opt') ? 'generator optimiser' : 'critic optimisers';
  if (/Gemm|MatMul/.test(op)) return 'matrix products';
  if (/Slice|Concat|Split|Reshape|Identity/.test(op)) return 'copies (slice, concat)';
  return 'pointwise (masks, deltas, penalty, stats)';
};
const byOp = new Map<string, { n: number; us: number }>();
const byPart = new Map<string, number>();
let totalUs = 0;
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const op = e.args?.op_name ?? '?';
  const x = byOp.get(op) ?? { n: 0, us: 0 };
  x.n += 1;
  x.us += e.dur;
  byOp.set(op, x);
  const p = part(e.name, op);
  byPart.set(p, (byPart.get(p) ?? 0) + e.dur);
  totalUs += e.dur;
}
const runs = o.runs;
console.log(`profiled: kernels ${(totalUs / runs / 1000).toFixed(1)} ms per iteration`);
for (const [op, x] of [...byOp].sort((a, b) => b[1].us - a[1].us))
  console.log(
    `  ${op.padEnd(14)} ${String(Math.round(x.n / runs)).padStart(5)} ` +
      `nodes ${(x.us / runs / 1000).toFixed(2).padStart(8)} ms`,
  );
for (const [p, us] of [...byPart].sort((a, b) => b[1] - a[1]))
  console.log(
    `  ${p.padEnd(44)} ${(us / runs / 1000).toFixed(2).padStart(8)} ` +
      `ms  ${((100 * us) / totalUs).toFixed(0).padStart(3)} %`,
  );
