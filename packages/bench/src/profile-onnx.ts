/**
 * Per-operator profile of the onnx-cpu trainer's iteration graph (seed-001 model, B = 64, 1 thread):
 * onnxruntime's own profiler, summed by op type.   npx tsx packages/bench/src/profile-onnx.ts
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Rng } from '@wgan/core';
import { buildWganIterationGraph, denseChain, resolveTrainConfig, seed001Critic, seed001Generator } from '@wgan/train';

const config = resolveTrainConfig({});
const G = denseChain(seed001Generator(100));
const D = denseChain(seed001Critic());
const graph = buildWganIterationGraph({ generator: G, critic: D, loss: 'gp', lambda: 10, clipValue: 0.01, nCritic: 5, batchSize: 64, optimizerG: config.optimizerG, optimizerD: config.optimizerD });
const prefix = join(tmpdir(), 'wgan-onnx-profile');
const session = await ort.InferenceSession.create(graph.model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', enableProfiling: true, profileFilePrefix: prefix });
const rng = Rng.fromSeed(1);
const feeds: Record<string, ort.Tensor> = {};
for (const v of graph.inputs) {
  const size = (v.shape as number[]).reduce((a, b) => a * b, 1);
  feeds[v.name] = new ort.Tensor('float32', rng.fillNormal(new Float32Array(size), 0, 0.05), v.shape as number[]);
}
for (const k of Object.keys(feeds)) if (/^(stepD|stepG)/.test(k)) feeds[k] = new ort.Tensor('float32', Float32Array.of(2e-4), []);
for (const k of Object.keys(feeds)) if (/^(bc2D|bc2G)/.test(k)) feeds[k] = new ort.Tensor('float32', Float32Array.of(0.3), []);
for (let i = 0; i < 5; i++) await session.run(feeds);
const t0 = performance.now();
for (let i = 0; i < 10; i++) await session.run(feeds);
console.log(`session.run: ${((performance.now() - t0) / 10).toFixed(1)} ms per iteration; ${graph.opTypes.length} op types`);
session.endProfiling();
await session.release();
const { readdirSync } = await import('node:fs');
const file = join(tmpdir(), readdirSync(tmpdir()).filter((f) => f.startsWith('wgan-onnx-profile')).sort().pop() as string);
const events = JSON.parse(readFileSync(file, 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
const byOp = new Map<string, { n: number; us: number }>();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const op = e.args?.op_name ?? '?';
  const x = byOp.get(op) ?? { n: 0, us: 0 };
  x.n += 1;
  x.us += e.dur;
  byOp.set(op, x);
}
const runs = 15;
for (const [op, x] of [...byOp].sort((a, b) => b[1].us - a[1].us)) console.log(`${op.padEnd(14)} ${String(Math.round(x.n / runs)).padStart(5)} nodes ${(x.us / runs / 1000).toFixed(2).padStart(8)} ms`);
rmSync(file, { force: true });
