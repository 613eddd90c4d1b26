/** Cross-check: the same gp ring run on train's two trainers (hand-written dense step vs autodiff) gives the same numbers. */
import { Rng } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { GanSession } from '../src/gan-session.js';
import { ringSpecs } from '../src/ring.js';
import { ringMetrics, sampleRing } from '../src/ring-data.js';
await initBackend('wasm', { quiet: true });
const data = sampleRing(10000, Rng.fromSeed(0).fork());
const lambda = Number(process.argv[2] ?? 10);
for (const implementation of ['tfjs-manual', 'tfjs-autodiff'] as const) {
  const adam = { type: 'adam' as const, lr: 1e-3, beta1: 0.5, beta2: 0.9, eps: 1e-8 };
  const s = await GanSession.create({
    ...ringSpecs({ latentDim: 2, hidden: [128, 64] }),
    data,
    loss: 'gp',
    lambda,
    nCritic: 5,
    batchSize: 64,
    optimizerG: adam,
    optimizerD: adam,
    seed: 1,
    implementation,
  });
  const out: string[] = [];
  for (let k = 0; k < 5; k++) {
    await s.train(50, {
      onStats: (i, st) => {
        if (i % 50 === 0)
          out.push(`it${i} lossD ${st.lossD.toFixed(3)} gp ${st.gp.toFixed(3)} |∇| ${st.gradNormMean.toFixed(2)}`);
      },
    });
    const m = ringMetrics(await s.sample(1000));
    out.push(`err ${m.meanRadialError.toFixed(3)} near ${m.fractionNearRing.toFixed(2)}`);
  }
  console.log(implementation, '\n ', out.join('\n  '));
  s.dispose();
}
