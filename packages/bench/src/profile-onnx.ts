/**
 * Per-operator profile of the onnx-cpu trainer (seed-001 model, B = 64, WGAN-GP, the default Adam): timed
 * iterations without the profiler, then onnxruntime's own profiler on every session of the trainer, summed
 * by op type and by part of the iteration. `--optimizer fused` (one run per step, the native addon's update
 * between runs: its time is measured around the calls) or `graph` (the whole iteration as one graph).
 *   npx tsx packages/bench/src/profile-onnx.ts [--threads 1] [--runs 20] [--optimizer fused|graph] [--update-threads 1] [--nodes 20]
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { Rng } from '@wgan/core';
import {
  BatchSampler,
  denseChain,
  drawIterationInputs,
  initialValues,
  iterationFlops,
  OnnxCpuTrainer,
  onnxThreads,
  resolveTrainConfig,
  seed001Critic,
  seed001Generator,
  type OnnxCpuTrainerOptions,
} from '@wgan/train';

const o = new Command()
  .option('--threads <n>', 'intra-op threads (0 = every core)', Number, 1)
  .option('--runs <n>', 'timed iterations (then as many profiled)', Number, 20)
  .addOption(
    new Option('--optimizer <path>', 'where the optimiser update runs').choices(['fused', 'graph']).default('fused'),
  )
  .option('--nodes <n>', 'also list the n slowest nodes', Number, 0)
  .option('--update-threads <n>', "fused: threads of the addon's update", Number, 1)
  .parse()
  .opts<{ threads: number; runs: number; optimizer: 'fused' | 'graph'; updateThreads: number; nodes: number }>();
const config = resolveTrainConfig({});
const B = 64;
const nCritic = 5;
const dz = 100;
const gSpec = seed001Generator(dz);
const dSpec = seed001Critic();
const settings = {
  loss: 'gp' as const,
  lambda: 10,
  clipValue: 0.01,
  nCritic,
  batchSize: B,
  optimizerG: config.optimizerG,
  optimizerD: config.optimizerD,
};
const flops = iterationFlops({ ...settings, generator: denseChain(gSpec), critic: denseChain(dSpec) });
const threads = onnxThreads(o.threads);
const rng = Rng.fromSeed(1);
const imageCount = 512;
const images = rng.fillUniform(new Float32Array(imageCount * dSpec.inputSize), -1, 1);
const options = (profileFilePrefix?: string): OnnxCpuTrainerOptions => ({
  ...settings,
  generatorSpec: gSpec,
  criticSpec: dSpec,
  images,
  imageCount,
  threads,
  optimizer: o.optimizer,
  fusedUpdateThreads: o.updateThreads,
  profileFilePrefix,
  initial: {
    generator: initialValues(gSpec, Rng.fromSeed(2)),
    critic: initialValues(dSpec, Rng.fromSeed(3)),
    generatorOptimizer: { kind: config.optimizerG.type, step: 0, slots: [] },
    criticOptimizer: { kind: config.optimizerD.type, step: 0, slots: [] },
  },
});
const inputRng = Rng.fromSeed(4);
const sampler = new BatchSampler(imageCount, B, 5);
const run = async (trainer: OnnxCpuTrainer, n: number) => {
  for (let i = 0; i < n; i++)
    trainer.iteration(drawIterationInputs(inputRng, sampler, { nCritic, batchSize: B, latentDim: dz }));
  await trainer.readStats();
};

const timed = await OnnxCpuTrainer.create(options());
await run(timed, 5);
const optimizerMs0 = timed.fusedOptimizerMs;
const t0 = performance.now();
await run(timed, o.runs);
const ms = (performance.now() - t0) / o.runs;
const addonMs = (timed.fusedOptimizerMs - optimizerMs0) / o.runs;
timed.dispose();
console.log(
  `${timed.optimizerPath}: ${ms.toFixed(1)} ms per iteration, ${threads} thread(s); ${(flops / 1e9).toFixed(3)} GFLOP of matrix products → ${(flops / ms / 1e6).toFixed(1)} GFLOP/s`,
);

const prefix = join(tmpdir(), `wgan-onnx-profile-${process.pid}`);
const profiled = await OnnxCpuTrainer.create(options(prefix));
await run(profiled, o.runs);
await profiled.endProfiling();
profiled.dispose();
const files = readdirSync(tmpdir()).filter((f) => f.startsWith(`wgan-onnx-profile-${process.pid}`));
const events = files.flatMap((f) => {
  const path = join(tmpdir(), f);
  const e = JSON.parse(readFileSync(path, 'utf8')) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }[];
  rmSync(path, { force: true });
  return e;
});
/** The part of the iteration a node belongs to, from the stem its name carries (see wgan-graph.ts). */
const part = (name: string, op: string) => {
  if (/_opt/.test(name)) return name.includes('g_opt') ? 'generator optimiser' : 'critic optimisers';
  if (/Gemm|MatMul/.test(op)) return 'matrix products';
  if (/Slice|Concat|Split|Reshape|Identity/.test(op)) return 'copies (slice, concat)';
  return 'pointwise (masks, deltas, penalty, stats)';
};
const byNode = new Map<string, number>();
const byOp = new Map<string, { n: number; us: number }>();
const byPart = new Map<string, number>();
let totalUs = 0;
let runUs = 0;
for (const e of events) {
  if (e.cat === 'Session' && e.name === 'model_run') runUs += e.dur;
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const op = e.args?.op_name ?? '?';
  const x = byOp.get(op) ?? { n: 0, us: 0 };
  x.n += 1;
  x.us += e.dur;
  byOp.set(op, x);
  const node = `${op} ${e.name.replace(/_kernel_time$/, '')}`;
  byNode.set(node, (byNode.get(node) ?? 0) + e.dur);
  const p = part(e.name, op);
  byPart.set(p, (byPart.get(p) ?? 0) + e.dur);
  totalUs += e.dur;
}
const runs = o.runs;
const perIter = (us: number) => (us / runs / 1000).toFixed(2).padStart(8);
console.log(
  `profiled: kernels ${(totalUs / runs / 1000).toFixed(1)} ms per iteration, inside session runs ${(runUs / runs / 1000).toFixed(1)} ms`,
);
for (const [op, x] of [...byOp].sort((a, b) => b[1].us - a[1].us))
  console.log(`  ${op.padEnd(14)} ${String(Math.round(x.n / runs)).padStart(5)} nodes ${perIter(x.us)} ms`);
if (o.optimizer === 'fused') byPart.set('fused optimiser (addon, outside the runs)', addonMs * 1000 * runs);
const partTotal = [...byPart.values()].reduce((a, b) => a + b, 0);
for (const [p, us] of [...byPart].sort((a, b) => b[1] - a[1]))
  console.log(`  ${p.padEnd(44)} ${perIter(us)} ms  ${((100 * us) / partTotal).toFixed(0).padStart(3)} %`);
if (o.nodes > 0)
  for (const [k, us] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, o.nodes))
    console.log(`    ${k.padEnd(40)} ${perIter(us)} ms`);
