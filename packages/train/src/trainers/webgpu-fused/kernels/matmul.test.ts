import { describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { device, maxAbsDiff, runKernel, uniform } from '../gpu.test-helpers.js';
import type { ActivationKind } from './common.js';
import { TILES, matmulKernel, matmulUniform, matmulWorkgroups, type MatmulVariant, type TileConfig } from './matmul.js';

/** Float64 reference of the matmul kernel's contract, written from its doc comment. */
function reference(
  v: MatmulVariant,
  p: Record<string, number>,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  mask: Float32Array | null,
): Float64Array {
  const out = Float64Array.from(c);
  const act = (x: number): number =>
    ({
      none: x,
      leakyRelu: x > 0 ? x : p.alpha * x,
      relu: Math.max(x, 0),
      tanh: Math.tanh(x),
      sigmoid: 1 / (1 + Math.exp(-x)),
    })[v.activation];
  const grad = (y: number): number =>
    ({ none: 1, leakyRelu: y > 0 ? 1 : p.alpha, relu: y > 0 ? 1 : 0, tanh: 1 - y * y, sigmoid: y * (1 - y) })[
      v.maskActivation
    ];
  for (let m = 0; m < p.M; m++) {
    for (let n = 0; n < p.N; n++) {
      let s = 0;
      for (let k = 0; k < p.K; k++) {
        const av =
          v.biasRow && m === p.M - 1
            ? k < p.biasRows
              ? 1
              : 0
            : v.transA
              ? a[p.aOffset + k * p.lda + m]
              : a[p.aOffset + m * p.lda + k];
        const bv = v.transB ? b[p.bOffset + n * p.ldb + k] : b[p.bOffset + k * p.ldb + n];
        s += av * bv;
      }
      if (v.bias) s += b[p.biasOffset + n];
      s = act(s);
      const ci = p.cOffset + m * p.ldc + n;
      if (v.mask === 'buffer') s *= grad(mask![p.maskOffset + m * p.ldm + n]);
      if (v.mask === 'inPlace') s *= grad(c[ci]);
      out[ci] = s;
    }
  }
  return out;
}

const base = {
  transA: false,
  transB: false,
  bias: false,
  activation: 'none',
  mask: 'none',
  maskActivation: 'none',
  biasRow: false,
} as const;

async function check(
  v: Omit<MatmulVariant, 'tile'>,
  tile: TileConfig,
  M: number,
  N: number,
  K: number,
  seed: number,
): Promise<number> {
  const rng = Rng.fromSeed(seed);
  // Operands sit at odd offsets inside larger buffers with leading dimensions wider than the rows.
  const [aRows, aCols] = v.transA ? [K, M] : [M, K];
  const [bRows, bCols] = v.transB ? [N, K] : [K, N];
  const aM = v.biasRow ? aCols - 1 : aCols;
  const p = {
    M,
    N,
    K,
    aOffset: 3,
    lda: (v.transA ? aM : aCols) + 2,
    bOffset: 5,
    ldb: bCols + 1,
    cOffset: 7,
    ldc: N + 3,
    biasOffset: 1,
    maskOffset: 2,
    ldm: N + 1,
    biasRows: Math.max(0, K - 3),
    alpha: 0.2,
  };
  const a = uniform(rng, p.aOffset + aRows * p.lda);
  const b = uniform(rng, p.bOffset + bRows * p.ldb + N);
  // Stored activations for masks: in the activation's range, some exactly 0.
  const c = uniform(rng, p.cOffset + M * p.ldc);
  const mask = uniform(rng, p.maskOffset + M * p.ldm);
  if (v.maskActivation === 'sigmoid') {
    c.forEach((x, i) => (c[i] = (x + 1) / 2));
    mask.forEach((x, i) => (mask[i] = (x + 1) / 2));
  }
  mask[p.maskOffset] = 0;
  const variant = { ...v, tile };
  const storage = [a, b, c, ...(v.mask === 'buffer' ? [mask] : [])];
  const [, , got] = await runKernel(
    device!,
    matmulKernel(variant),
    matmulUniform(p),
    storage,
    matmulWorkgroups(tile, M, N),
  );
  const want = reference(variant, p, a, b, c, mask);
  return maxAbsDiff(got, want);
}

const acts: ActivationKind[] = ['none', 'leakyRelu', 'relu', 'tanh', 'sigmoid'];
const tiles = Object.entries(TILES);

describe.skipIf(!device)('matmul kernel vs float64 reference (max abs error ≤ 1e-4)', () => {
  it('forward act(x·W + b) with every activation', async () => {
    for (const [i, activation] of acts.entries()) {
      expect(await check({ ...base, bias: true, activation }, TILES.t16x32, 37, 29, 45, 10 + i)).toBeLessThanOrEqual(
        1e-4,
      );
    }
  });

  it("backward-data act'(Y) ⊙ (dH·Wᵀ) for every activation, mask from a buffer and in place", async () => {
    for (const [i, maskActivation] of acts.entries()) {
      expect(
        await check({ ...base, transB: true, mask: 'buffer', maskActivation }, TILES.t16x32, 33, 41, 18, 20 + i),
      ).toBeLessThanOrEqual(1e-4);
    }
    expect(
      await check({ ...base, mask: 'inPlace', maskActivation: 'leakyRelu' }, TILES.t16x32, 21, 17, 50, 30),
    ).toBeLessThanOrEqual(1e-4);
  });

  for (const [name, tile] of tiles) {
    it(`every operand layout on tile ${name}: N·N + bias, N·Tᵀ + mask, Tᵀ·N + bias row, Tᵀ·Tᵀ`, async () => {
      expect(await check({ ...base, bias: true, activation: 'leakyRelu' }, tile, 37, 29, 45, 60)).toBeLessThanOrEqual(
        1e-4,
      );
      expect(
        await check({ ...base, transB: true, mask: 'inPlace', maskActivation: 'tanh' }, tile, 33, 41, 18, 61),
      ).toBeLessThanOrEqual(1e-4);
      expect(await check({ ...base, transA: true, biasRow: true }, tile, 40 + 1, 23, 24, 62)).toBeLessThanOrEqual(1e-4);
      expect(
        await check({ ...base, transA: true, transB: true, biasRow: true }, tile, 12 + 1, 30, 27, 64),
      ).toBeLessThanOrEqual(1e-4);
      expect(await check({ ...base, transA: true, transB: true }, tile, 19, 35, 66, 63)).toBeLessThanOrEqual(1e-4);
    });
  }

  it('handles K = 1 (outer products) and N = 1 (the critic output layer)', async () => {
    expect(
      await check({ ...base, transB: true, mask: 'buffer', maskActivation: 'leakyRelu' }, TILES.t16x32, 24, 30, 1, 50),
    ).toBeLessThanOrEqual(1e-4);
    expect(await check({ ...base, bias: true }, TILES.narrow, 130, 1, 70, 51)).toBeLessThanOrEqual(1e-4);
    expect(await check({ ...base, transA: true, biasRow: true }, TILES.narrow, 71, 1, 48, 52)).toBeLessThanOrEqual(
      1e-4,
    );
  });

  it('sums the bias row in (k, k + rows/2) pairs: exactly opposite halves give an exact 0', async () => {
    const rng = Rng.fromSeed(4);
    const half = 7,
      M = 3,
      N = 40;
    const K = 2 * half;
    const a = uniform(rng, K * M);
    // The second half of the rows is the exact negation of the first, scaled like ±(1/B)·w.
    const b = new Float32Array(K * N);
    for (let k = 0; k < half; k++) for (let n = 0; n < N; n++) b[k * N + n] = Math.fround((rng.uniform() - 0.5) / 3);
    for (let k = 0; k < half; k++) for (let n = 0; n < N; n++) b[(k + half) * N + n] = -b[k * N + n];
    const c = new Float32Array((M + 1) * N).fill(7);
    const p = {
      M: M + 1,
      N,
      K,
      aOffset: 0,
      lda: M,
      bOffset: 0,
      ldb: N,
      cOffset: 0,
      ldc: N,
      biasOffset: 0,
      maskOffset: 0,
      ldm: 0,
      biasRows: K,
      alpha: 0,
    };
    const [, , got] = await runKernel(
      device!,
      matmulKernel({ ...base, transA: true, biasRow: true, tile: TILES.t8x16 }),
      matmulUniform(p),
      [a, b, c],
      matmulWorkgroups(TILES.t8x16, M + 1, N),
    );
    expect(Array.from(got.subarray(M * N)).every((v) => v === 0)).toBe(true);
  });

  it('a zero bias row count gives an exactly zero bias gradient', async () => {
    const rng = Rng.fromSeed(3);
    const K = 12,
      M = 5,
      N = 4;
    const a = uniform(rng, K * M);
    const b = uniform(rng, K * N);
    const c = new Float32Array((M + 1) * N).fill(7);
    const p = {
      M: M + 1,
      N,
      K,
      aOffset: 0,
      lda: M,
      bOffset: 0,
      ldb: N,
      cOffset: 0,
      ldc: N,
      biasOffset: 0,
      maskOffset: 0,
      ldm: 0,
      biasRows: 0,
      alpha: 0,
    };
    const [, , got] = await runKernel(
      device!,
      matmulKernel({ ...base, transA: true, biasRow: true, tile: TILES.t8x16 }),
      matmulUniform(p),
      [a, b, c],
      matmulWorkgroups(TILES.t8x16, M + 1, N),
    );
    expect(Array.from(got.subarray(M * N))).toEqual([0, 0, 0, 0]);
  });
});
