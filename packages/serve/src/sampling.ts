import { Rng } from '@wgan/core';

/**
 * Latent vectors, reproducible: z ~ N(0, I) drawn from Rng.fromSeed(seed), row after row, so the same
 * seed gives the same images, and the first k of a larger request are the k of a smaller one.
 */
export function sampleLatents(seed: number, count: number, latentDim: number): Float32Array {
  return Rng.fromSeed(seed).fillNormal(new Float32Array(count * latentDim));
}

/** Sets z[index] = value in every row of z [count, d_z] (in place; returns z). */
export function fixLatent(zValues: Float32Array, latentDim: number, index: number, value: number): Float32Array {
  for (let r = 0; r < zValues.length / latentDim; r++) zValues[r * latentDim + index] = value;
  return zValues;
}

/** `n` evenly spaced values from `lo` to `hi` inclusive (E9 sweeps 10 values in [−2, 2]). */
export function linspace(lo: number, hi: number, n: number): number[] {
  if (n === 1) return [lo];
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/**
 * E9-style traversal (seed 000): for each of `rows` base vectors from `seed`, one image per value, with
 * z[index] set to that value and the other coordinates fixed. Returns z [rows · values, d_z], row-major
 * by base vector then value (a grid with one row per base vector).
 */
export function traversalLatents(
  seed: number,
  rows: number,
  latentDim: number,
  index: number,
  values: number[],
): Float32Array {
  const base = sampleLatents(seed, rows, latentDim);
  const out = new Float32Array(rows * values.length * latentDim);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < values.length; c++) {
      const at = (r * values.length + c) * latentDim;
      out.set(base.subarray(r * latentDim, (r + 1) * latentDim), at);
      out[at + index] = values[c];
    }
  }
  return out;
}

/** Mean pixel of each image (E9's m_j, in the model's output scale). */
export function meanIntensities(images: Float32Array, count: number): number[] {
  const size = images.length / count;
  return Array.from({ length: count }, (_, j) => {
    let s = 0;
    for (let i = 0; i < size; i++) s += images[j * size + i];
    return s / size;
  });
}

/** Pearson correlation of two equally long series; NaN when either is constant. */
export function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}
