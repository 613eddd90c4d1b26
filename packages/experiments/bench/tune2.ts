import { Rng } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { ringSchema } from '../src/config.js';
import { trainRing } from '../src/ring.js';
import { sampleRing } from '../src/ring-data.js';
await initBackend('wasm', { quiet: true });
const config = ringSchema.parse({});
const data = sampleRing(10000, Rng.fromSeed(0).fork());
const lrs = process.argv[2].split(',').map(Number);
for (const method of ['clip', 'gp'] as const) for (const lr of lrs) for (const param of method === 'clip' ? [0.01, 0.1, 1] : [0.1, 1, 10]) {
  const r = await trainRing(config, data, { method, lr, param, seed: 1 }, [3, 5, 8]);
  console.log(method, lr, param, r.snapshots.map((s) => `${s.metrics.meanRadialError.toFixed(3)}/${s.metrics.fractionNearRing.toFixed(2)}/${s.metrics.ringCoverage.toFixed(2)}`).join('  '));
}
