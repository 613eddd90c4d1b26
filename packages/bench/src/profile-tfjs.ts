/**
 * Per-kernel profile of one generator iteration of the tfjs trainer (seed-001 model, B = 64) on a backend:
 * counts the kernels and their time, to see where the milliseconds go.
 *   npx tsx packages/bench/src/profile-tfjs.ts --backend wasm
 */
import { Rng } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import {
  BatchSampler,
  drawIterationInputs,
  modelSpecs,
  TfjsManualTrainer,
  Network,
  resolveTrainConfig,
  TfjsAutodiffTrainer,
} from '@wgan/train';

const backendArg = process.argv.includes('--backend') ? process.argv[process.argv.indexOf('--backend') + 1] : 'wasm';
const penalty = process.argv.includes('--autodiff') ? 'autodiff' : 'closed-form';
const manual = process.argv.includes('--manual');
const info = await initBackend(backendArg as 'wasm');
const config = resolveTrainConfig({ overrides: { penalty } });
const rng = Rng.fromSeed(1);
const specs = modelSpecs(config);
const generator = Network.create(specs.generator, rng);
const critic = Network.create(specs.critic, rng);
const n = 2048;
const images = rng.fillUniform(new Float32Array(n * 784), -1, 1);
const options = {
  generator,
  critic,
  images,
  imageCount: n,
  loss: 'gp' as const,
  lambda: 10,
  clipValue: 0.01,
  nCritic: 5,
  batchSize: 64,
  latentDim: 100,
  optimizerG: config.optimizerG,
  optimizerD: config.optimizerD,
};
const trainer = manual ? new TfjsManualTrainer(options) : new TfjsAutodiffTrainer({ ...options, penalty });
const sampler = new BatchSampler(n, 64, 1);
const step = async () => {
  trainer.iteration(drawIterationInputs(rng, sampler, config));
  await trainer.readStats();
};
for (let i = 0; i < 3; i++) await step();
const times: number[] = [];
for (let i = 0; i < 10; i++) {
  const t0 = performance.now();
  await step();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(
  `${info.name} (${info.device}) ${trainer.implementation}: median ` +
    `${times[5].toFixed(1)} ms per generator iteration (min ${times[0].toFixed(1)})`,
);
const profile = await tf.profile(step);
const byKernel = new Map<string, { count: number; ms: number }>();
for (const k of profile.kernels) {
  const e = byKernel.get(k.name) ?? { count: 0, ms: 0 };
  e.count += 1;
  e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  byKernel.set(k.name, e);
}
const rows = [...byKernel].sort((a, b) => b[1].ms - a[1].ms);
console.log(`kernels per iteration: ${profile.kernels.length}`);
for (const [name, e] of rows.slice(0, 25))
  console.log(`${name.padEnd(24)} ${String(e.count).padStart(5)} ${e.ms.toFixed(1).padStart(9)} ms`);
