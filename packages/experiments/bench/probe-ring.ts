/**
 * The probe behind the ring's main-run choices: one seed of the lr × c / lr × λ grid, trained for
 * `epochs`, with the metrics at four points along the way (radial error / share within 0.3 / near-ring
 * coverage).
 *
 *   npx tsx packages/experiments/bench/probe-ring.ts 20 1e-4,5e-4,1e-3
 */
import { Rng } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { ringSchema } from '../src/config.js';
import { trainRing } from '../src/ring.js';
import { sampleRing } from '../src/ring-data.js';

await initBackend('wasm', { quiet: true });
const epochs = Number(process.argv[2] ?? 20);
const lrs = (process.argv[3] ?? '1e-4,5e-4,1e-3').split(',').map(Number);
const config = ringSchema.parse({});
const data = sampleRing(config.points, Rng.fromSeed(config.seed).fork());
const at = [1, 2, 3, 4].map((k) => Math.round((k * epochs) / 4));
process.stdout.write(`method  lr  c/λ  at epochs ${at.join(', ')}: radial error / within 0.3 / near-ring bins\n`);
for (const method of ['clip', 'gp'] as const) {
  for (const lr of lrs) {
    for (const param of method === 'clip' ? config.grid.clipValues : config.grid.lambdas) {
      const run = await trainRing(config, data, { method, lr, param, seed: 1 }, at);
      process.stdout.write(
        `${method} ${lr} ${param}  ${run.snapshots.map((s) => `${s.metrics.meanRadialError.toFixed(3)}/${s.metrics.fractionNearRing.toFixed(2)}/${s.metrics.ringCoverage.toFixed(2)}`).join('  ')}\n`,
      );
    }
  }
}
