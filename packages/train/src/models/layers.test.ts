import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@wgan/core/backend';
import { Rng } from '@wgan/core';
import { Network, updateBatchNormStats, type BatchStat } from './network.js';
import type { LayerSpec, NetworkSpec } from './spec.js';
import { conv2dFilterGradient, useConvGradients } from '../trainers/tfjs/conv-gradients.js';
import { convTranspose2dSubpixel } from './conv-transpose.js';

/**
 * The image layers of Network.apply against float64 references written from PyTorch's definitions
 * (nn.Conv2d, nn.ConvTranspose2d with its weight [in, out, kh, kw], nn.MaxPool2d, nn.BatchNorm1d/2d in
 * train and eval mode), on the wasm backend the CPU runs train on.
 */
beforeAll(async () => {
  await initBackend('wasm');
  useConvGradients();
});

const rng = Rng.fromSeed(5);
const rand = (n: number) => Array.from({ length: n }, () => rng.uniform() * 2 - 1);
type Img = number[][][][]; // [n][h][w][c]

function image(n: number, h: number, w: number, c: number): Img {
  return Array.from({ length: n }, () => Array.from({ length: h }, () => Array.from({ length: w }, () => rand(c))));
}
const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** A one-layer network around `layer` with the given parameter values. */
function single(layer: LayerSpec, inShape: number[], outShape: number[], values: Record<string, number[]>): Network {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const spec: NetworkSpec = {
    role: 'test',
    inputSize: size(inShape),
    outputSize: size(outShape),
    layers: [{ type: 'reshape', shape: inShape }, layer],
    init: { scheme: 'torch-default' },
  };
  return Network.fromValues(spec, new Map(Object.entries(values).map(([k, v]) => [`1.${k}`, Float32Array.from(v)])));
}

/** nn.Conv2d (cross-correlation), stride s, no padding: W [kh][kw][ci][co] (tfjs layout). */
function conv2dRef(x: Img, W: number[][][][], b: number[], s: number): Img {
  const k = W.length;
  const [h, w, ci] = [x[0].length, x[0][0].length, x[0][0][0].length];
  const co = b.length;
  const oh = Math.floor((h - k) / s) + 1;
  const ow = Math.floor((w - k) / s) + 1;
  return x.map((xn) =>
    Array.from({ length: oh }, (_, i) =>
      Array.from({ length: ow }, (_, j) =>
        Array.from({ length: co }, (_, o) => {
          let acc = b[o];
          for (let p = 0; p < k; p++)
            for (let q = 0; q < k; q++) for (let c = 0; c < ci; c++) acc += xn[i * s + p][j * s + q][c] * W[p][q][c][o];
          return acc;
        }),
      ),
    ),
  );
}

/**
 * nn.ConvTranspose2d(ci, co, k, stride s, padding p) by its definition: every input pixel scatters
 * x[ih, iw, c]·Wpt[c][o][kh][kw] to output (ih·s − p + kh, iw·s − p + kw); output (h − 1)·s − 2p + k.
 */
function convTransposeRef(x: Img, Wpt: number[][][][], b: number[], s: number, p: number): Img {
  const [h, w, ci] = [x[0].length, x[0][0].length, x[0][0][0].length];
  const co = b.length;
  const k = Wpt[0][0].length;
  const oh = (h - 1) * s - 2 * p + k;
  const ow = (w - 1) * s - 2 * p + k;
  return x.map((xn) => {
    const y = Array.from({ length: oh }, () => Array.from({ length: ow }, () => [...b]));
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let c = 0; c < ci; c++)
          for (let u = 0; u < k; u++)
            for (let v = 0; v < k; v++) {
              const r = i * s - p + u;
              const t = j * s - p + v;
              if (r < 0 || t < 0 || r >= oh || t >= ow) continue;
              for (let o = 0; o < co; o++) y[r][t][o] += xn[i][j][c] * Wpt[c][o][u][v];
            }
    return y;
  });
}

describe('conv2d', () => {
  it("is PyTorch's cross-correlation with the kernel [kh, kw, in, out] (valid, stride 1)", async () => {
    const x = image(2, 7, 6, 2);
    const W = Array.from({ length: 3 }, () =>
      Array.from({ length: 3 }, () => Array.from({ length: 2 }, () => rand(3))),
    );
    const b = rand(3);
    const net = single(
      { type: 'conv2d', inChannels: 2, filters: 3, kernel: 3, stride: 1, padding: 'valid' },
      [7, 6, 2],
      [5, 4, 3],
      { kernel: flat(W), bias: b },
    );
    const y = await net.apply(tf.tensor(flat(x), [2, 84])).data();
    expect(maxAbsDiff(y, flat(conv2dRef(x, W, b, 1)))).toBeLessThan(1e-5);
    net.dispose();
  });
});

describe('convTranspose2d', () => {
  for (const [h, k, s, p] of [
    [3, 4, 2, 1],
    [7, 4, 2, 1],
    [4, 3, 1, 1],
    [3, 2, 2, 0],
    [3, 6, 2, 2],
    [4, 5, 1, 2],
    [2, 3, 3, 0],
  ] as const) {
    it(
      `is nn.ConvTranspose2d(k ${k}, stride ${s}, padding ${p}) with Wpt[c][o][kh][kw] = ` +
        `kernel[kh][kw][o][c], ${h}×${h} → ${(h - 1) * s - 2 * p + k}×${(h - 1) * s - 2 * p + k}`,
      async () => {
        const [ci, co, n] = [3, 2, 2];
        const x = image(n, h, h, ci);
        const Wpt = Array.from({ length: ci }, () =>
          Array.from({ length: co }, () => Array.from({ length: k }, () => rand(k))),
        );
        const kernel: number[] = [];
        for (let u = 0; u < k; u++)
          for (let v = 0; v < k; v++)
            for (let o = 0; o < co; o++) for (let c = 0; c < ci; c++) kernel.push(Wpt[c][o][u][v]);
        const b = rand(co);
        const out = (h - 1) * s - 2 * p + k;
        const net = single(
          { type: 'convTranspose2d', inChannels: ci, filters: co, kernel: k, stride: s, padding: p },
          [h, h, ci],
          [out, out, co],
          { kernel, bias: b },
        );
        const trace: number[][] = [];
        const y = await net.apply(tf.tensor(flat(x), [n, h * h * ci]), { trace }).data();
        expect(trace[1]).toEqual([out, out, co]);
        const ref = flat(convTransposeRef(x, Wpt, b, s, p));
        expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
        // both implementations, whichever the backend picks: tfjs's kernel and the sub-pixel convolution
        const xT = tf.tensor4d(flat(x), [n, h, h, ci]);
        const kT = tf.tensor4d(kernel, [k, k, co, ci]);
        const bT = tf.tensor1d(b);
        const viaKernel = await tf.add(tf.conv2dTranspose(xT, kT, [n, out, out, co], s, 'same'), bT).data();
        const viaSubpixel = await tf.add(convTranspose2dSubpixel(xT, kT, s, p), bT).data();
        expect(maxAbsDiff(viaKernel, ref)).toBeLessThan(1e-5);
        expect(maxAbsDiff(viaSubpixel, ref)).toBeLessThan(1e-5);
        tf.dispose([xT, kT, bT]);
        net.dispose();
      },
    );
  }

  it("sub-pixel form: ∂/∂kernel and ∂/∂x equal those of tfjs's conv2dTranspose (k 4, stride 2, padding 1)", async () => {
    const [n, h, ci, co] = [2, 4, 3, 2];
    const xT = tf.tensor4d(rand(n * h * h * ci), [n, h, h, ci]);
    const kT = tf.tensor4d(rand(16 * co * ci), [4, 4, co, ci]);
    const rT = tf.tensor4d(rand(n * 4 * h * h * co), [n, 2 * h, 2 * h, co]);
    const viaKernel = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [n, 2 * h, 2 * h, co], 2, 'same'), rT)),
    )([xT, kT]);
    const viaSubpixel = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(convTranspose2dSubpixel(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1), rT)),
    )([xT, kT]);
    expect(maxAbsDiff(await viaSubpixel[0].data(), await viaKernel[0].data())).toBeLessThan(1e-5);
    expect(maxAbsDiff(await viaSubpixel[1].data(), await viaKernel[1].data())).toBeLessThan(1e-5);
    tf.dispose([xT, kT, rT, ...viaKernel, ...viaSubpixel]);
  });

  it('refuses a padding tfjs\'s "same" cannot express', () => {
    const net = single(
      { type: 'convTranspose2d', inChannels: 1, filters: 1, kernel: 4, stride: 2, padding: 0 },
      [3, 3, 1],
      [8, 8, 1],
      { kernel: rand(16), bias: [0] },
    );
    expect(() => net.apply(tf.zeros([1, 9]))).toThrow(/padding/);
    net.dispose();
  });
});

describe('maxPool2d', () => {
  it('takes the maximum of each 2×2 window, stride 2, dropping an odd last row/column', async () => {
    const x = image(2, 5, 4, 3);
    const net = single({ type: 'maxPool2d', size: 2, stride: 2 }, [5, 4, 3], [2, 2, 3], {});
    const y = await net.apply(tf.tensor(flat(x), [2, 60])).data();
    const ref = x.map((xn) =>
      [0, 1].map((i) =>
        [0, 1].map((j) =>
          [0, 1, 2].map((c) =>
            Math.max(
              xn[2 * i][2 * j][c],
              xn[2 * i + 1][2 * j][c],
              xn[2 * i][2 * j + 1][c],
              xn[2 * i + 1][2 * j + 1][c],
            ),
          ),
        ),
      ),
    );
    expect(maxAbsDiff(y, flat(ref).map(Math.fround))).toBe(0); // a max of float32 inputs is exact
    net.dispose();
  });
});

describe('maxPool2d gradient', () => {
  it(
    "goes to each window's maximum, also when every value is " +
      "negative (wasm's MaxPoolGrad kernel sends it to the first cell)",
    async () => {
      const x = tf.tensor4d([-1, -2, -3, -0.5, 1, 2, -3, 0.5, -7, -7, -7, -7], [3, 2, 2, 1]);
      const g = await tf
        .grad((a: tf.Tensor) =>
          tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d([2, 3, 5], [3, 1, 1, 1]))),
        )(x)
        .data();
      // the maxima −0.5 (cell 3) and 2 (cell 1); a tie goes to the first cell, as in PyTorch
      expect(Array.from(g)).toEqual([0, 0, 0, 2, 0, 3, 0, 0, 5, 0, 0, 0]);
    },
  );
});

describe('LeakyReLU → maxPool (computed as pool, then activate)', () => {
  it("gives the seed order's values and input gradient", async () => {
    const x = image(2, 4, 4, 2);
    const spec: NetworkSpec = {
      role: 'test',
      inputSize: 32,
      outputSize: 8,
      layers: [
        { type: 'reshape', shape: [4, 4, 2] },
        { type: 'leakyRelu', alpha: 0.01 },
        { type: 'maxPool2d', size: 2, stride: 2 },
      ],
      init: { scheme: 'torch-default' },
    };
    const net = Network.fromValues(spec, new Map());
    const trace: number[][] = [];
    const xT = tf.tensor2d(flat(x), [2, 32]);
    const y = await net.apply(xT, { trace }).data();
    expect(trace).toEqual([
      [4, 4, 2],
      [4, 4, 2],
      [2, 2, 2],
    ]);
    const lrelu = (v: number) => (v > 0 ? v : 0.01 * v);
    const ref = x.map((xn) =>
      [0, 1].map((i) =>
        [0, 1].map((j) =>
          [0, 1].map((c) => Math.max(...[0, 1].flatMap((u) => [0, 1].map((v) => lrelu(xn[2 * i + u][2 * j + v][c]))))),
        ),
      ),
    );
    expect(maxAbsDiff(y, flat(ref))).toBeLessThan(1e-7);
    // gradient of Σ y: the LeakyReLU slope at each window's argmax, 0 elsewhere
    const g = await tf
      .grad((v: tf.Tensor) => tf.sum(net.apply(v)))(xT)
      .data();
    const refG = x.map((xn) => xn.map((row) => row.map((px) => px.map(() => 0))));
    x.forEach((xn, m) =>
      [0, 1].forEach((i) =>
        [0, 1].forEach((j) =>
          [0, 1].forEach((c) => {
            let best = [0, 0];
            for (const u of [0, 1])
              for (const v of [0, 1])
                if (xn[2 * i + u][2 * j + v][c] > xn[2 * i + best[0]][2 * j + best[1]][c]) best = [u, v];
            const val = xn[2 * i + best[0]][2 * j + best[1]][c];
            refG[m][2 * i + best[0]][2 * j + best[1]][c] = val > 0 ? 1 : 0.01;
          }),
        ),
      ),
    );
    expect(maxAbsDiff(g, flat(refG))).toBeLessThan(1e-7);
    tf.dispose(xT);
  });
});

describe('batchNorm (PyTorch semantics)', () => {
  const eps = 1e-5;
  const momentum = 0.1;
  /** Per-feature statistics over every axis but the last: values [m][f] → mean, biased and unbiased variance. */
  function stats(rows: number[][]) {
    const m = rows.length;
    const f = rows[0].length;
    const mean = Array.from({ length: f }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / m);
    const biased = mean.map((mu, j) => rows.reduce((s, r) => s + (r[j] - mu) ** 2, 0) / m);
    return { mean, biased, unbiased: biased.map((v) => (v * m) / (m - 1)) };
  }

  for (const [label, shape] of [
    ['BatchNorm1d on [N, F]', [4]],
    ['BatchNorm2d on [N, H, W, C]', [3, 2, 4]],
  ] as const) {
    it(
      `${label}: train mode normalises with the batch's biased variance, eval mode with ` +
        `the running statistics, and the update is PyTorch's (momentum 0.1, unbiased variance)`,
      async () => {
        const n = 5;
        const features = shape[shape.length - 1];
        const size = shape.reduce((a: number, b: number) => a * b, 1);
        const x = rand(n * size).map((v, i) => 3 * v + (i % features)); // per-feature offsets
        const gamma = rand(features).map((v) => 1 + 0.5 * v);
        const beta = rand(features);
        const runMean0 = rand(features).map((v) => 0.1 * v);
        const runVar0 = rand(features).map((v) => 1 + 0.5 * v);
        const net = single({ type: 'batchNorm', features, epsilon: eps, momentum }, [...shape], [...shape], {
          gamma,
          beta,
          movingMean: runMean0,
          movingVariance: runVar0,
        });
        const rows = Array.from({ length: x.length / features }, (_, r) => x.slice(r * features, (r + 1) * features));
        const { mean, biased, unbiased } = stats(rows);

        const batchStats: BatchStat[] = [];
        const yTrain = await net.apply(tf.tensor(x, [n, size]), { training: true, batchStats }).data();
        const refTrain = rows.flatMap((r) =>
          r.map((v, j) => ((v - mean[j]) / Math.sqrt(biased[j] + eps)) * gamma[j] + beta[j]),
        );
        expect(maxAbsDiff(yTrain, refTrain)).toBeLessThan(1e-5);
        expect(batchStats).toHaveLength(1);
        expect(batchStats[0].count).toBe(rows.length);

        // eval mode before the update: the initial running statistics
        const yEval0 = await net.apply(tf.tensor(x, [n, size])).data();
        expect(
          maxAbsDiff(
            yEval0,
            rows.flatMap((r) =>
              r.map((v, j) => ((v - runMean0[j]) / Math.sqrt(runVar0[j] + eps)) * gamma[j] + beta[j]),
            ),
          ),
        ).toBeLessThan(1e-5);

        updateBatchNormStats(net, batchStats);
        const runMean1 = runMean0.map((r, j) => (1 - momentum) * r + momentum * mean[j]);
        const runVar1 = runVar0.map((r, j) => (1 - momentum) * r + momentum * unbiased[j]);
        expect(maxAbsDiff(await net.get('1.movingMean').data(), runMean1)).toBeLessThan(1e-6);
        expect(maxAbsDiff(await net.get('1.movingVariance').data(), runVar1)).toBeLessThan(1e-6);
        const yEval1 = await net.apply(tf.tensor(x, [n, size])).data();
        expect(
          maxAbsDiff(
            yEval1,
            rows.flatMap((r) =>
              r.map((v, j) => ((v - runMean1[j]) / Math.sqrt(runVar1[j] + eps)) * gamma[j] + beta[j]),
            ),
          ),
        ).toBeLessThan(1e-5);
        net.dispose();
      },
    );
  }

  it("train mode differentiates through the batch statistics (the float64 chain rule of PyTorch's backward)", async () => {
    const [n, f] = [6, 3];
    const x = rand(n * f).map((v) => 2 * v);
    const gamma = rand(f).map((v) => 1 + 0.3 * v);
    const beta = rand(f);
    const r = rand(n * f); // L = Σ y ⊙ r
    const net = single({ type: 'batchNorm', features: f, epsilon: eps, momentum }, [f], [f], {
      gamma,
      beta,
      movingMean: [0, 0, 0],
      movingVariance: [1, 1, 1],
    });
    const xT = tf.tensor2d(x, [n, f]);
    const rT = tf.tensor2d(r, [n, f]);
    const dx = await tf
      .grad((v: tf.Tensor) => tf.sum(tf.mul(net.apply(v, { training: true }), rT)))(xT)
      .data();
    // reference: dx = γ/σ · (g − mean(g) − x̂·mean(g ⊙ x̂)), g = ∂L/∂y, per feature
    const ref = new Array(n * f).fill(0);
    for (let j = 0; j < f; j++) {
      const col = Array.from({ length: n }, (_, i) => x[i * f + j]);
      const mu = col.reduce((s, v) => s + v, 0) / n;
      const sigma = Math.sqrt(col.reduce((s, v) => s + (v - mu) ** 2, 0) / n + eps);
      const xh = col.map((v) => (v - mu) / sigma);
      const g = Array.from({ length: n }, (_, i) => r[i * f + j]);
      const gMean = g.reduce((s, v) => s + v, 0) / n;
      const gxMean = g.reduce((s, v, i) => s + v * xh[i], 0) / n;
      for (let i = 0; i < n; i++) ref[i * f + j] = (gamma[j] / sigma) * (g[i] - gMean - xh[i] * gxMean);
    }
    expect(maxAbsDiff(dx, ref)).toBeLessThan(1e-5);
    net.dispose();
  });
});

describe('conv gradients on wasm (Conv2DBackpropFilter is not a wasm kernel)', () => {
  /** Float64 ∂L/∂W and ∂L/∂x of L = Σ conv2d(x, W, stride s, explicit pads) ⊙ r. */
  function convGradRef(x: Img, W: number[][][][], r: Img, s: number, top: number, left: number) {
    const k = W.length;
    const [h, w, ci] = [x[0].length, x[0][0].length, x[0][0][0].length];
    const co = W[0][0][0].length;
    const [oh, ow] = [r[0].length, r[0][0].length];
    const dW = W.map((a) => a.map((b) => b.map((c) => c.map(() => 0))));
    const dx = x.map((xn) => xn.map((row) => row.map((px) => px.map(() => 0))));
    x.forEach((xn, m) => {
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let p = 0; p < k; p++)
            for (let q = 0; q < k; q++) {
              const a = i * s + p - top;
              const b = j * s + q - left;
              if (a < 0 || b < 0 || a >= h || b >= w) continue;
              for (let c = 0; c < ci; c++)
                for (let o = 0; o < co; o++) {
                  dW[p][q][c][o] += xn[a][b][c] * r[m][i][j][o];
                  dx[m][a][b][c] += W[p][q][c][o] * r[m][i][j][o];
                }
            }
    });
    return { dW, dx };
  }

  for (const [label, k, s, pad, h, oh, top] of [
    ['stride 1, same (full-conv input gradient, swapped-axes filter gradient)', 3, 1, 'same', 5, 5, 1],
    ['stride 2, same (tfjs input gradient, im2col filter gradient)', 3, 2, 'same', 6, 3, 0],
  ] as const) {
    it(`conv2d ${label}: match the float64 sums`, async () => {
      const [n, ci, co] = [2, 2, 3];
      const x = image(n, h, h, ci);
      const W = Array.from({ length: k }, () =>
        Array.from({ length: k }, () => Array.from({ length: ci }, () => rand(co))),
      );
      const r = image(n, oh, oh, co);
      const xT = tf.tensor4d(flat(x), [n, h, h, ci]);
      const wT = tf.tensor4d(flat(W), [k, k, ci, co]);
      const rT = tf.tensor4d(flat(r), [n, oh, oh, co]);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad), rT)),
      )([xT, wT]);
      const ref = convGradRef(x, W, r, s, top, top);
      expect(maxAbsDiff(await dw.data(), flat(ref.dW))).toBeLessThan(1e-4);
      expect(maxAbsDiff(await dx.data(), flat(ref.dx))).toBeLessThan(1e-4);
      if (s > 1)
        expect(
          maxAbsDiff(await conv2dFilterGradient(xT, rT, [k, k, ci, co], s, pad).data(), flat(ref.dW)),
        ).toBeLessThan(1e-4);
      tf.dispose([xT, wT, rT, dx, dw]);
    });
  }

  it('conv2d: ∂/∂W and ∂/∂x of Σ conv2d(x, W) ⊙ r match the float64 sums', async () => {
    const [n, h, ci, co, k] = [2, 6, 2, 3, 3];
    const x = image(n, h, h, ci);
    const W = Array.from({ length: k }, () =>
      Array.from({ length: k }, () => Array.from({ length: ci }, () => rand(co))),
    );
    const oh = h - k + 1;
    const r = image(n, oh, oh, co);
    const xT = tf.tensor4d(flat(x), [n, h, h, ci]);
    const wT = tf.tensor4d(flat(W), [k, k, ci, co]);
    const rT = tf.tensor4d(flat(r), [n, oh, oh, co]);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'), rT)),
    )([xT, wT]);
    const refW = Array.from({ length: k }, (_, p) =>
      Array.from({ length: k }, (_, q) =>
        Array.from({ length: ci }, (_, c) =>
          Array.from({ length: co }, (_, o) => {
            let s = 0;
            for (let m = 0; m < n; m++)
              for (let i = 0; i < oh; i++) for (let j = 0; j < oh; j++) s += x[m][i + p][j + q][c] * r[m][i][j][o];
            return s;
          }),
        ),
      ),
    );
    const refX = image(n, h, h, ci).map((xn) => xn.map((row) => row.map((px) => px.map(() => 0))));
    for (let m = 0; m < n; m++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < oh; j++)
          for (let p = 0; p < k; p++)
            for (let q = 0; q < k; q++)
              for (let c = 0; c < ci; c++)
                for (let o = 0; o < co; o++) refX[m][i + p][j + q][c] += W[p][q][c][o] * r[m][i][j][o];
    expect(maxAbsDiff(await dw.data(), flat(refW))).toBeLessThan(1e-4);
    expect(maxAbsDiff(await dx.data(), flat(refX))).toBeLessThan(1e-4);
    tf.dispose([xT, wT, rT, dx, dw]);
  });

  it('conv2dTranspose (stride 2, PyTorch padding 1): ∂/∂W and ∂/∂x match the float64 sums', async () => {
    const [n, h, ci, co, k, s, p] = [2, 3, 3, 2, 4, 2, 1];
    const out = (h - 1) * s - 2 * p + k;
    const x = image(n, h, h, ci);
    const kernel = rand(k * k * co * ci); // [kh][kw][co][ci]
    const Wpt = Array.from({ length: ci }, (_, c) =>
      Array.from({ length: co }, (_, o) =>
        Array.from({ length: k }, (_, u) =>
          Array.from({ length: k }, (_, v) => kernel[((u * k + v) * co + o) * ci + c]),
        ),
      ),
    );
    const r = image(n, out, out, co);
    // L = Σ convT(x) ⊙ r: ∂L/∂x[i][j][c] = Σ Wpt[c][o][u][v]·r[i·s − p + u][j·s − p + v][o]; ∂L/∂Wpt[c][o][u][v] = Σ
    // x[i][j][c]·r[…][o]
    const refX = x.map((xn) => xn.map((row) => row.map((px) => px.map(() => 0))));
    const refW = new Array(k * k * co * ci).fill(0);
    for (let m = 0; m < n; m++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < h; j++)
          for (let u = 0; u < k; u++)
            for (let v = 0; v < k; v++) {
              const a = i * s - p + u;
              const b = j * s - p + v;
              if (a < 0 || b < 0 || a >= out || b >= out) continue;
              for (let c = 0; c < ci; c++)
                for (let o = 0; o < co; o++) {
                  refX[m][i][j][c] += Wpt[c][o][u][v] * r[m][a][b][o];
                  refW[((u * k + v) * co + o) * ci + c] += x[m][i][j][c] * r[m][a][b][o];
                }
            }
    const xT = tf.tensor4d(flat(x), [n, h, h, ci]);
    const wT = tf.tensor4d(kernel, [k, k, co, ci]);
    const rT = tf.tensor4d(flat(r), [n, out, out, co]);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [n, out, out, co], s, 'same'), rT)),
    )([xT, wT]);
    expect(maxAbsDiff(await dw.data(), refW)).toBeLessThan(1e-4);
    expect(maxAbsDiff(await dx.data(), flat(refX))).toBeLessThan(1e-4);
    tf.dispose([xT, wT, rT, dx, dw]);
  });
});
