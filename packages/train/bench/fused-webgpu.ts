/**
 * Fused WebGPU trainer benchmark: ms per generator iteration (nCritic critic steps with the
 * gradient penalty + 1 generator step) of WebgpuFusedTrainer, on the seed-001 MLP by default.
 *
 *   npx tsx packages/train/bench/fused-webgpu.ts --model tiny          (here: llvmpipe, tiny sizes)
 *   on the GPU machine, through the bench package's bundle (packages/bench/src/gpu-main.ts):
 *   bash .gpu-carry/unpack.sh && . /tmp/gpu/env && /tmp/gpu/node .gpu-carry/app.mjs fused --profile
 *
 * Timing: `rounds` rounds of `iters` iterations each submitted back to back (one submit per iteration,
 * no readback) and one `await queue.onSubmittedWorkDone()`; ms/iteration of a round = its wall time /
 * iters; the median over rounds is reported. Also: the latency of a single awaited iteration, the host
 * time spent inside iteration() (packing inputs, writeBuffer, encoding), and with --profile the GPU time
 * of each kernel class and of the costliest matmul shapes (each submitted alone, same amortisation).
 * The random inputs are drawn once (a pool of 8 iterations) so the timing is of the trainer, not of the
 * host's normal sampler; the sampler's cost is printed separately.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { BatchSampler, drawIterationInputs } from '../src/sampling.js';
import { join } from 'node:path';
import { Command } from 'commander';
import { Rng } from '@wgan/core';
import { initBackend, webgpuDevice } from '@wgan/core/backend';
import { loadDataset, normalizeImages, parseImages } from '@wgan/data-prep';
import { seed001Critic, seed001Generator, denseStack } from '../src/models/architectures.js';
import { initialValues } from '../src/models/network.js';
import type { NetworkSpec } from '../src/models/spec.js';
import type { IterationInputs } from '../src/trainer.js';
import {
  DEFAULT_TUNING,
  WebgpuFusedTrainer,
  defaultOptimizer,
  type KernelTuning,
} from '../src/trainers/webgpu-fused/trainer.js';
import { DEFAULT_TILE_CHOICE, TILES, type TileConfig } from '../src/trainers/webgpu-fused/kernels/matmul.js';

const program = new Command('fused-webgpu')
  .description('Times the fused WebGPU WGAN trainer (ms per generator iteration).')
  .option('--model <name>', 'seed001 (z 100 → 256 → 512 → 1024 → 784; critic 784 → 512 → 256 → 1) or tiny', 'seed001')
  .option('--loss <loss>', 'gp (WGAN-GP, Adam) or clip (weight clipping, RMSprop)', 'gp')
  .option('--batch <n>', 'batch size B', '64')
  .option('--n-critic <n>', 'critic steps per generator iteration', '5')
  .option('--iters <n>', 'iterations per timed round (≥ 20)', '25')
  .option('--rounds <n>', 'timed rounds (median reported)', '5')
  .option('--warmup <n>', 'untimed iterations first', '10')
  .option('--sync <n>', 'single awaited iterations for the latency figure', '10')
  .option('--train-rows <n>', 'random training images when no --data (default 60000, tiny 1024)')
  .option('--data <dir>', 'MNIST: a folder with train-images-idx3-ubyte.gz, or a data-prep artifact folder')
  .option('--tiles <list>', `matmul tiles, largest first: names (${Object.keys(TILES).join(', ')}) or WXxWY:RMxRN:kTK`)
  .option('--narrow <tile>', 'tile for N = 1 products (name or WXxWY:RMxRN:kTK)')
  .option('--target-workgroups <n>', 'take the largest tile giving at least this many workgroups')
  .option('--elementwise-wg <n>', 'threads per workgroup of gather/optimiser kernels')
  .option('--reduce-wg <n>', 'threads per workgroup of penalty/stats reductions (power of two)')
  .option('--profile', 'also time each kernel class and the costliest matmul shapes alone')
  .option('--json <file>', 'also write the results as JSON to this file')
  .option('--seed <n>', 'seed of weights, images and inputs', '1');

const opts = program.parse().opts<Record<string, string | boolean | undefined>>();
const int = (key: string, fallback?: number): number => {
  const raw = opts[key];
  const v = raw === undefined ? fallback : Number(raw);
  if (v === undefined || !Number.isInteger(v) || v < 0)
    throw new Error(`--${key} needs a non-negative integer, got ${raw}`);
  return v;
};

function parseTile(text: string): TileConfig {
  if (TILES[text]) return TILES[text];
  const m = /^(\d+)x(\d+):(\d+)x(\d+):k(\d+)$/.exec(text);
  if (!m)
    throw new Error(
      `tile "${text}": use a name (${Object.keys(TILES).join(', ')}) or WXxWY:RMxRN:kTK, e.g. 16x8:4x4:k16`,
    );
  const [wx, wy, rm, rn, tk] = m.slice(1).map(Number);
  return { wx, wy, rm, rn, tk };
}

function tuningFromFlags(): KernelTuning {
  return {
    tiles: {
      tiles: typeof opts.tiles === 'string' ? opts.tiles.split(',').map(parseTile) : DEFAULT_TILE_CHOICE.tiles,
      narrow: typeof opts.narrow === 'string' ? parseTile(opts.narrow) : DEFAULT_TILE_CHOICE.narrow,
      targetWorkgroups: int('targetWorkgroups', DEFAULT_TILE_CHOICE.targetWorkgroups),
    },
    elementwiseWorkgroup: int('elementwiseWg', DEFAULT_TUNING.elementwiseWorkgroup),
    reduceWorkgroup: int('reduceWg', DEFAULT_TUNING.reduceWorkgroup),
  };
}

function models(name: string): { gen: NetworkSpec; critic: NetworkSpec } {
  if (name === 'seed001') return { gen: seed001Generator(100), critic: seed001Critic() };
  if (name === 'tiny') {
    const lrelu = { type: 'leakyRelu', alpha: 0.2 } as const;
    return {
      gen: {
        role: 'generator',
        inputSize: 16,
        outputSize: 64,
        layers: denseStack([16, 32, 48, 64], lrelu, { type: 'tanh' }),
        init: { scheme: 'torch-default' },
      },
      critic: {
        role: 'critic',
        inputSize: 64,
        outputSize: 1,
        layers: denseStack([64, 32, 16, 1], lrelu, null),
        init: { scheme: 'torch-default' },
      },
    };
  }
  throw new Error(`--model ${name}: use seed001 or tiny`);
}

function loadImages(dir: string, d: number): Float32Array {
  if (d !== 784) throw new Error('--data needs --model seed001 (28×28 images)');
  const gz = join(dir, 'train-images-idx3-ubyte.gz');
  if (existsSync(gz)) return normalizeImages(parseImages(readFileSync(gz), gz).pixels);
  throw new Error(`${gz} not found (for a data-prep artifact folder the loader is async; see loadDatasetImages)`);
}

async function loadDatasetImages(dir: string, d: number): Promise<Float32Array> {
  if (existsSync(join(dir, 'manifest.json'))) return (await loadDataset(dir, ['train'])).train.images;
  return loadImages(dir, d);
}

function drawInputs(rng: Rng, nC: number, B: number, dz: number, nTrain: number): IterationInputs {
  return drawIterationInputs(rng, new BatchSampler(nTrain, B, rng.nextUint32()), {
    nCritic: nC,
    batchSize: B,
    latentDim: dz,
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const modelName = String(opts.model);
  const loss =
    opts.loss === 'clip'
      ? 'clip'
      : opts.loss === 'gp'
        ? 'gp'
        : (() => {
            throw new Error(`--loss ${opts.loss}: use gp or clip`);
          })();
  const B = int('batch');
  const nC = int('nCritic');
  const iters = int('iters');
  const rounds = int('rounds');
  const seed = int('seed');
  const info = await initBackend('webgpu', { quiet: true });
  const handles = webgpuDevice();
  if (!handles) throw new Error('webgpu initialised without a device');
  const { device } = handles;
  const { gen, critic } = models(modelName);
  const dz = gen.inputSize;
  const d = gen.outputSize;
  const rng = Rng.fromSeed(seed);
  const state = {
    generator: initialValues(gen, rng),
    critic: initialValues(critic, rng),
    generatorOptimizer: { kind: defaultOptimizer(loss).type, step: 0, slots: [] },
    criticOptimizer: { kind: defaultOptimizer(loss).type, step: 0, slots: [] },
  };
  const t0 = performance.now();
  const images =
    typeof opts.data === 'string'
      ? await loadDatasetImages(opts.data, d)
      : rng.fillUniform(new Float32Array(int('trainRows', modelName === 'tiny' ? 1024 : 60000) * d), -1, 1);
  const nTrain = images.length / d;
  const tuning = tuningFromFlags();
  const trainer = await WebgpuFusedTrainer.create({
    device,
    generatorSpec: gen,
    criticSpec: critic,
    initial: state,
    trainImages: images,
    loss,
    lambda: 10,
    clipValue: 0.01,
    nCritic: nC,
    batchSize: B,
    optimizerG: defaultOptimizer(loss),
    optimizerD: defaultOptimizer(loss),
    tuning,
  });
  const setupMs = performance.now() - t0;

  const tDraw = performance.now();
  const pool = Array.from({ length: 8 }, () => drawInputs(rng, nC, B, dz, nTrain));
  const drawMsPerIter = (performance.now() - tDraw) / pool.length;

  const counts = trainer.dispatchCounts();
  console.log(`device: ${info.device}`);
  console.log(
    `model ${modelName} (G ${gen.layers
      .filter((l) => l.type === 'dense')
      .map((l) => (l.type === 'dense' ? l.units : 0))
      .join(
        '→',
      )}, D ${critic.inputSize}→…→1), loss ${loss}, B ${B}, nCritic ${nC}, ${nTrain} training images; setup ${setupMs.toFixed(0)} ms`,
  );
  console.log(
    `dispatches per iteration: ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} (one command buffer, one submit)`,
  );

  let k = 0;
  const next = () => pool[k++ % pool.length];
  for (let i = 0; i < int('warmup'); i++) trainer.iteration(next());
  await device.queue.onSubmittedWorkDone();
  const warm = await trainer.readStats();
  const last = warm[warm.length - 1];
  if (last && !Number.isFinite(last.lossD)) throw new Error(`non-finite loss after warm-up: ${JSON.stringify(last)}`);

  const roundMs: number[] = [];
  const hostMs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    let host = 0;
    for (let i = 0; i < iters; i++) {
      const h = performance.now();
      trainer.iteration(next());
      host += performance.now() - h;
    }
    await device.queue.onSubmittedWorkDone();
    roundMs.push((performance.now() - start) / iters);
    hostMs.push(host / iters);
    await trainer.readStats();
  }
  const syncMs: number[] = [];
  for (let i = 0; i < int('sync'); i++) {
    const start = performance.now();
    trainer.iteration(next());
    await device.queue.onSubmittedWorkDone();
    syncMs.push(performance.now() - start);
  }
  const stats = await trainer.readStats();
  const msPerIter = median(roundMs);
  console.log(
    `ms/iteration (median of ${rounds} rounds × ${iters} pipelined iterations): ${msPerIter.toFixed(3)}  [rounds: ${roundMs.map((x) => x.toFixed(3)).join(', ')}]`,
  );
  console.log(
    `ms/iteration, one awaited iteration at a time (median of ${syncMs.length}): ${median(syncMs).toFixed(3)}`,
  );
  console.log(
    `host ms/iteration inside iteration() (pack inputs + writeBuffer + encode ${counts.total} dispatches): ${median(hostMs).toFixed(3)}`,
  );
  console.log(`host ms/iteration to draw the inputs with Rng (not in the figures above): ${drawMsPerIter.toFixed(3)}`);
  const s = stats[stats.length - 1];
  if (s)
    console.log(
      `last stats: lossD ${s.lossD.toFixed(4)} lossG ${s.lossG.toFixed(4)} gp ${s.gp.toFixed(4)} ‖∇D‖ ${s.gradNormMean.toFixed(4)} ± ${s.gradNormStd.toFixed(4)}`,
    );

  const profile: { group: string; dispatches: number; msPerIter: number }[] = [];
  if (opts.profile) {
    const dispatches = trainer.describeDispatches();
    const timeSubset = async (
      only: (d: { kind: string; label: string; info: string }, i: number) => boolean,
    ): Promise<number> => {
      trainer.benchmarkSubmit(only);
      await device.queue.onSubmittedWorkDone();
      const start = performance.now();
      for (let i = 0; i < iters; i++) trainer.benchmarkSubmit(only);
      await device.queue.onSubmittedWorkDone();
      return (performance.now() - start) / iters;
    };
    for (const kind of Object.keys(trainer.dispatchCounts()).filter((x) => x !== 'total')) {
      profile.push({ group: kind, dispatches: counts[kind], msPerIter: await timeSubset((d) => d.kind === kind) });
    }
    const shapes = new Map<string, number>();
    for (const d of dispatches)
      if (d.kind === 'matmul') shapes.set(`${d.info} ${d.label}`, (shapes.get(`${d.info} ${d.label}`) ?? 0) + 1);
    const shapeTimes: typeof profile = [];
    for (const [key, n] of shapes)
      shapeTimes.push({
        group: key,
        dispatches: n,
        msPerIter: await timeSubset((d) => d.kind === 'matmul' && `${d.info} ${d.label}` === key),
      });
    shapeTimes.sort((a, b) => b.msPerIter - a.msPerIter);
    profile.push(...shapeTimes);
    console.log('\nGPU time per kernel class / matmul shape (M×N×K variant), each submitted alone per iteration:');
    for (const p of profile)
      console.log(
        `  ${p.msPerIter.toFixed(3).padStart(8)} ms/iter  ${String(p.dispatches).padStart(4)} dispatches  ${((p.msPerIter * 1000) / p.dispatches).toFixed(1).padStart(7)} µs each  ${p.group}`,
      );
    // Restore meaningful weights after the meaningless profiling submits.
    await trainer.setState(state);
  }

  const result = {
    device: info.device,
    model: modelName,
    loss,
    batch: B,
    nCritic: nC,
    trainImages: nTrain,
    msPerIter,
    roundMs,
    syncMsMedian: median(syncMs),
    hostMsPerIter: median(hostMs),
    drawMsPerIter,
    dispatches: counts,
    tuning,
    profile,
  };
  console.log(JSON.stringify(result));
  if (typeof opts.json === 'string') writeFileSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
  trainer.dispose();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
