import { Rng } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { denseStack, type NetworkSpec } from '@wgan/train';
import { GanSession } from '../src/gan-session.js';
import { ringMetrics, sampleRing } from '../src/ring-data.js';

await initBackend('wasm', { quiet: true });
const data = sampleRing(10000, Rng.fromSeed(3));
const g: NetworkSpec = { role: 'generator', inputSize: 2, outputSize: 2, layers: denseStack([2, 128, 64, 2], { type: 'relu' }, null), init: { scheme: 'torch-default' } };
const d: NetworkSpec = { role: 'critic', inputSize: 2, outputSize: 1, layers: denseStack([2, 128, 64, 1], { type: 'relu' }, null), init: { scheme: 'torch-default' } };
const epochs = Number(process.argv[2] ?? 20);
const B = Number(process.argv[3] ?? 64);
const lrs = (process.argv[4] ?? '1e-4,5e-4,1e-3').split(',').map(Number);
for (const loss of ['clip', 'gp'] as const) {
  for (const lr of lrs) {
    for (const p of loss === 'clip' ? [0.01, 0.1, 1] : [0.1, 1, 10]) {
      const t0 = performance.now();
      const opt = { type: 'adam' as const, lr, beta1: 0.5, beta2: 0.9, eps: 1e-8 };
      const s = new GanSession({ generator: g, critic: d, data, loss, lambda: p, clipValue: p, nCritic: 5, batchSize: B, optimizerG: opt, optimizerD: opt, seed: 1 });
      const its = Math.round((epochs * s.batchesPerEpoch) / 5);
      const line: string[] = [];
      for (let e = 0; e < 4; e++) {
        await s.train(its / 4);
        const m = ringMetrics(await s.sample(1000));
        line.push(`${m.meanRadialError.toFixed(3)}/${m.fractionNearRing.toFixed(2)}/${m.angularCoverage.toFixed(2)}`);
      }
      console.log(loss, lr, p, line.join('  '), `${((performance.now() - t0) / 1000).toFixed(1)}s`);
      s.dispose();
    }
  }
}
