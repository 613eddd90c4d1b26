/**
 * Which tfjs backend runs the experiments faster on this CPU: ms per unit of work on `cpu` (plain JS)
 * and `wasm` (XNNPACK, SIMD), each in a fresh process (tfjs keeps one backend per process).
 *
 *   npx tsx packages/experiments/bench/backends.ts            # both backends, one process each
 *   npx tsx packages/experiments/bench/backends.ts wasm       # one backend, in this process
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Rng } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { Network } from '@wgan/train';
import { GanSession } from '../src/gan-session.js';
import { seed004Critic, seed004Generator } from '../src/gan-vs-wgan.js';
import { ringSpecs } from '../src/ring.js';
import { sampleRing } from '../src/ring-data.js';
import { plottingCriticSpec, sampleTestRV, SEED004_CRITIC_TRAINING, trainWassersteinCritic } from '../src/wdistance.js';

const backend = process.argv[2] as 'cpu' | 'wasm' | undefined;
if (!backend) {
  for (const b of ['wasm', 'cpu'])
    spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), b], { stdio: 'inherit' });
  process.exit(0);
}
await initBackend(backend, { quiet: true });

async function time(
  label: string,
  unit: string,
  units: number,
  work: () => Promise<void>,
  warm: () => Promise<void>,
): Promise<void> {
  await warm();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  const cpuMs = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000;
  process.stdout.write(
    `${String(backend).padEnd(5)} ${label.padEnd(34)} ${(ms / units).toFixed(2).padStart(8)} ms/${unit} (cpu ${(cpuMs / units).toFixed(2)} ms)\n`,
  );
}

const adam = { type: 'adam' as const, lr: 5e-4, beta1: 0.5, beta2: 0.9, eps: 1e-8 };
const ring = sampleRing(10_000, Rng.fromSeed(1));
for (const loss of ['clip', 'gp'] as const) {
  const s = await GanSession.create({
    ...ringSpecs({ latentDim: 2, hidden: [128, 64] }),
    data: ring,
    loss,
    clipValue: 0.1,
    lambda: 1,
    nCritic: 5,
    batchSize: 64,
    optimizerG: adam,
    optimizerD: adam,
    seed: 1,
  });
  const n = backend === 'cpu' ? 5 : 60;
  await time(
    `ring ${loss} (B 64, n_critic 5)`,
    'iter',
    n,
    () => s.train(n),
    () => s.train(3),
  );
  s.dispose();
}

const rng = Rng.fromSeed(2);
const critic = Network.create(plottingCriticSpec(0.5), rng);
const steps = backend === 'cpu' ? 50 : 300;
await time(
  'W-curve critic (2→10→1, B 100)',
  'step',
  steps,
  () =>
    trainWassersteinCritic(
      critic,
      (n) => sampleTestRV(0, n, rng),
      (n) => sampleTestRV(1, n, rng),
      { ...SEED004_CRITIC_TRAINING, steps },
    ),
  () =>
    trainWassersteinCritic(
      critic,
      (n) => sampleTestRV(0, n, rng),
      (n) => sampleTestRV(1, n, rng),
      { ...SEED004_CRITIC_TRAINING, steps: 10 },
    ),
);
critic.dispose();

const digits = Rng.fromSeed(3).fillUniform(new Float32Array(1000 * 784));
const rms = { type: 'rmsprop' as const, lr: 0.01, alpha: 0.99, eps: 1e-8 };
for (const method of ['wgan', 'gan'] as const) {
  const s = await GanSession.create({
    generator: seed004Generator(64, 100, 0.1),
    critic: seed004Critic(100, method === 'wgan' ? 0.1 : 0.01, method === 'wgan' ? 'critic' : 'discriminator'),
    data: digits,
    loss: method === 'wgan' ? 'clip' : 'bce-saturating',
    clipValue: 1,
    nCritic: method === 'wgan' ? 10 : 1,
    batchSize: 100,
    optimizerG: rms,
    optimizerD: rms,
    seed: 1,
  });
  const n = backend === 'cpu' ? 2 : 20;
  await time(
    `seed 004 ${method} (B 100, ${method === 'wgan' ? 'n_critic 10' : 'n_discr 1'})`,
    'iter',
    n,
    () => s.train(n),
    () => s.train(2),
  );
  s.dispose();
}
