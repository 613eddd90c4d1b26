import { describe, expect, it } from 'vitest';
import { addToRunning, freshRunning, metricsLine, runningMeans } from './metrics.js';

describe('metrics lines and running means', () => {
  const fields = ['lossD', 'gp'];
  it('sums per epoch and restarts at a new epoch', () => {
    let r = freshRunning(fields, 0);
    r = addToRunning(r, fields, 0, { lossD: 1, gp: 4 });
    r = addToRunning(r, fields, 0, { lossD: 3, gp: 2 });
    expect(runningMeans(r, fields)).toEqual({ lossD: 2, gp: 3 });
    r = addToRunning(r, fields, 1, { lossD: 10, gp: 0 });
    expect(r).toEqual({ sums: { lossD: 10, gp: 0 }, count: 1, epoch: 1 });
  });

  it('writes the statistics, Ŵ₁ = dReal − dFake, the running means and the timing', () => {
    const s = { lossD: -1, gp: 0.5, dReal: 2, dFake: 0.5 };
    const r = addToRunning(freshRunning(fields, 3), fields, 3, s);
    expect(
      metricsLine({ iteration: 7, epoch: 3 }, s, r, fields, { wallMs: 12.6, msPerIter: 1.23456, backend: 'wasm' }),
    ).toEqual({
      iteration: 7,
      epoch: 3,
      lossD: -1,
      gp: 0.5,
      dReal: 2,
      dFake: 0.5,
      wassersteinGap: 1.5,
      lossDRunning: -1,
      gpRunning: 0.5,
      wallMs: 13,
      msPerIter: 1.235,
      backend: 'wasm',
    });
  });
});
