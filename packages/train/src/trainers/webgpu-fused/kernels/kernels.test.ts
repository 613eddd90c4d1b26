import { describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { device, maxAbsDiff, runKernel, uniform } from '../gpu.test-helpers.js';
import { grid2d } from './common.js';
import { gatherKernel, gatherUniform } from './gather.js';
import { optimizerKernel, optimizerUniform } from './optimizer.js';
import { penaltyKernel, penaltyUniform } from './penalty.js';
import { statsKernel, statsUniform } from './stats.js';

describe.skipIf(!device)('element-wise and reduction kernels vs float64 references', () => {
  it('gather: real rows by index from two training-set chunks, and ε-interpolates with the fake rows', async () => {
    const rng = Rng.fromSeed(1);
    const B = 5,
      d = 7,
      rows = 9,
      split = 4;
    const train = uniform(rng, rows * d);
    const x3 = uniform(rng, 3 * B * d); // fake rows at B..2B already there
    const inputs = new Float32Array(20);
    const indices = new Uint32Array(inputs.buffer);
    const idxOffset = 2,
      epsOffset = 10;
    [8, 0, 3, 4, 8].forEach((r, i) => (indices[idxOffset + i] = r));
    for (let i = 0; i < B; i++) inputs[epsOffset + i] = rng.uniform();
    let out = x3;
    for (const [rowBase, rowCount] of [
      [0, split],
      [split, rows - split],
    ]) {
      const u = gatherUniform({
        B,
        dim: d,
        idxOffset,
        epsOffset,
        rowBase,
        rowCount,
        fakeOffset: B * d,
        interpOffset: 2 * B * d,
        interp: 1,
      });
      [, , , out] = await runKernel(
        device!,
        gatherKernel(64),
        u,
        [train.subarray(rowBase * d, (rowBase + rowCount) * d), inputs, inputs, out],
        [1, 1, 1],
      );
    }
    const want = Float64Array.from(x3);
    for (let i = 0; i < B; i++) {
      const r = indices[idxOffset + i];
      const e = inputs[epsOffset + i];
      for (let j = 0; j < d; j++) {
        want[i * d + j] = train[r * d + j];
        want[2 * B * d + i * d + j] = e * train[r * d + j] + (1 - e) * x3[B * d + i * d + j];
      }
    }
    expect(maxAbsDiff(out, want)).toBeLessThanOrEqual(1e-6);
  });

  it('penalty: ‖gᵢ‖, λ(‖gᵢ‖ − 1)² and G = (2λ/B)(‖g‖ − 1)g/‖g‖, 0 for a zero gradient', async () => {
    const rng = Rng.fromSeed(2);
    const B = 6,
      d = 300,
      lambda = 10;
    const gx = uniform(rng, B * d, -0.1, 0.1);
    gx.fill(0, 2 * d, 3 * d); // row 2: zero gradient
    const out = new Float32Array(4 * B * d).fill(9);
    const rowStats = new Float32Array(5 * B).fill(-1);
    const [, gotOut, gotStats] = await runKernel(
      device!,
      penaltyKernel(64),
      penaltyUniform({ B, dim: d, gOffset: 0, outOffset: 2 * B * d, statsOffset: 2 * B, lambda }),
      [gx, out, rowStats],
      [B, 1, 1],
    );
    const wantOut = Float64Array.from(out);
    const wantStats = Float64Array.from(rowStats);
    for (let i = 0; i < B; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += gx[i * d + j] ** 2;
      const n = Math.sqrt(s);
      wantStats[2 * B + i] = n;
      wantStats[3 * B + i] = lambda * (n - 1) ** 2;
      for (let j = 0; j < d; j++)
        wantOut[2 * B * d + i * d + j] = n > 0 ? (((2 * lambda) / B) * (n - 1) * gx[i * d + j]) / n : 0;
    }
    expect(maxAbsDiff(gotStats, wantStats)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(gotOut, wantOut)).toBeLessThanOrEqual(1e-6);
    expect(Array.from(gotOut.subarray(2 * B * d + 2 * d, 2 * B * d + 3 * d)).every((v) => v === 0)).toBe(true);
  });

  it('Adam: PyTorch update with bias corrections, over a 2-D grid of workgroups', async () => {
    const rng = Rng.fromSeed(3);
    const n = 1000,
      t = 3,
      lr = 2e-4,
      beta1 = 0.5,
      beta2 = 0.9,
      eps = 1e-8;
    const params = uniform(rng, n),
      grads = uniform(rng, n, -1e-2, 1e-2),
      m = uniform(rng, n, -1e-3, 1e-3),
      v = uniform(rng, n, 0, 1e-4);
    const sched = new Float32Array(16);
    sched.set([lr / (1 - beta1 ** t), Math.sqrt(1 - beta2 ** t), beta1, 1 - beta1, beta2, 1 - beta2, eps, 0], 8);
    const [gx, gy] = grid2d(Math.ceil(n / 32), 8); // force several rows of workgroups
    expect(gy).toBeGreaterThan(1);
    const [p2, , , m2, v2] = await runKernel(
      device!,
      optimizerKernel('adam', false, 32),
      optimizerUniform({ n, schedule: 8, countClip: 0 }),
      [params, grads, sched, m, v],
      [gx, gy, 1],
    );
    const wp = new Float64Array(n),
      wm = new Float64Array(n),
      wv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      wm[i] = beta1 * m[i] + (1 - beta1) * grads[i];
      wv[i] = beta2 * v[i] + (1 - beta2) * grads[i] ** 2;
      wp[i] = params[i] - ((lr / (1 - beta1 ** t)) * wm[i]) / (Math.sqrt(wv[i]) / Math.sqrt(1 - beta2 ** t) + eps);
    }
    expect(maxAbsDiff(m2, wm)).toBeLessThanOrEqual(1e-8);
    expect(maxAbsDiff(v2, wv)).toBeLessThanOrEqual(1e-9);
    expect(maxAbsDiff(p2, wp)).toBeLessThanOrEqual(1e-6);
  });

  it('RMSprop + clip to [−c, c], counting the parameters at ±c', async () => {
    const rng = Rng.fromSeed(4);
    const n = 777,
      lr = 5e-3,
      alpha = 0.99,
      eps = 1e-8,
      c = 0.01;
    const params = uniform(rng, n, -0.02, 0.02),
      grads = uniform(rng, n, -1, 1),
      v = uniform(rng, n, 0, 1e-2);
    const sched = new Float32Array([lr, alpha, 1 - alpha, eps, c, 0, 0, 0]);
    const count = new Uint32Array([5]); // the kernel adds to it
    const [p2, , , v2, cnt] = await runKernel(
      device!,
      optimizerKernel('rmsprop', true, 64),
      optimizerUniform({ n, schedule: 0, countClip: 1 }),
      [params, grads, sched, v, count],
      [Math.ceil(n / 64), 1, 1],
    );
    let clipped = 0;
    const wp = new Float64Array(n),
      wv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      wv[i] = alpha * v[i] + (1 - alpha) * grads[i] ** 2;
      wp[i] = Math.min(c, Math.max(-c, params[i] - (lr * grads[i]) / (Math.sqrt(wv[i]) + eps)));
      if (Math.abs(wp[i]) >= c) clipped++;
    }
    expect(maxAbsDiff(v2, wv)).toBeLessThanOrEqual(1e-8);
    expect(maxAbsDiff(p2, wp)).toBeLessThanOrEqual(1e-6);
    expect(clipped).toBeGreaterThan(100);
    expect(new Uint32Array(cnt.buffer)[0]).toBe(5 + clipped);
  });

  it('stats: losses, critic means, penalty and gradient-norm statistics of the iteration', async () => {
    const rng = Rng.fromSeed(5);
    const nC = 3,
      B = 150,
      R = 3 * B; // B > workgroup: strided accumulation
    const dOut = uniform(rng, nC * R + B, -3, 3);
    const rowStats = uniform(rng, nC * 2 * B, 0, 2);
    const clip = new Uint32Array([17]);
    const out = new Float32Array(8);
    const [, , , got] = await runKernel(
      device!,
      statsKernel(64),
      statsUniform({ nCritic: nC, B, rows: R, gp: 1, genOffset: nC * R, nClipParams: 100 }),
      [dOut, rowStats, clip, out],
      [1, 1, 1],
    );
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0) / a.length;
    let lossD = 0,
      gp = 0,
      dReal = 0,
      dFake = 0;
    for (let c = 0; c < nC; c++) {
      dReal = mean(dOut.subarray(c * R, c * R + B));
      dFake = mean(dOut.subarray(c * R + B, c * R + 2 * B));
      const pen = mean(rowStats.subarray(c * 2 * B + B, c * 2 * B + 2 * B));
      lossD += (dFake - dReal + pen) / nC;
      gp += pen / nC;
    }
    const norms = rowStats.subarray((nC - 1) * 2 * B, (nC - 1) * 2 * B + B);
    const nm = mean(norms);
    const std = Math.sqrt(Array.from(norms).reduce((s, x) => s + (x - nm) ** 2, 0) / B); // population std, as E6
    const want = [lossD, -mean(dOut.subarray(nC * R)), dReal, dFake, gp, nm, std, 0.17];
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-5);
  });
});
