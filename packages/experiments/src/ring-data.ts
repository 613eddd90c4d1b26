import type { Rng } from '@wgan/core';

/**
 * The 2-D ring of LAB 3 (seed 003, exercise 1):
 *
 *     r = radius + noise·N(0, 1),  θ ~ U[0, 2π),  x = (r cos θ, r sin θ)
 *
 * with radius 1 and noise 0.1 (10,000 points in the lab). Points are stored row-major as [n, 2].
 */
export interface RingShape {
  radius: number;
  noise: number;
}

export const LAB3_RING: RingShape = { radius: 1, noise: 0.1 };

/** n ring points [n, 2], drawn from `rng` (radius noise first, then the angle, per point). */
export function sampleRing(n: number, rng: Rng, shape: RingShape = LAB3_RING): Float32Array {
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const r = shape.radius + shape.noise * rng.normal();
    const theta = rng.uniform() * 2 * Math.PI;
    out[2 * i] = r * Math.cos(theta);
    out[2 * i + 1] = r * Math.sin(theta);
  }
  return out;
}

/** How well points [n, 2] cover the ring of `radius`. */
export interface RingMetrics {
  /** mean |‖x‖ − radius| (the real data's own value is noise·√(2/π) ≈ 0.0798 for noise 0.1). */
  meanRadialError: number;
  /** Share of points with |‖x‖ − radius| < tolerance (0.3 = three noise standard deviations). */
  fractionNearRing: number;
  /** Share of the angle bins (36 bins of 10°) that hold at least one of the points. */
  angularCoverage: number;
  /**
   * The stricter reading: share of the bins that hold at least one point within `tolerance` of the ring.
   * A blob around the origin covers every angle bin without drawing the ring; this one tells them apart.
   */
  ringCoverage: number;
  /** Points per angle bin. */
  binCounts: number[];
}

export interface RingMetricOptions {
  radius?: number;
  tolerance?: number;
  bins?: number;
}

/** The three ring metrics (radial error, share near the ring, angular coverage), in float64, for points [n, 2]. */
export function ringMetrics(points: Float32Array | Float64Array, options: RingMetricOptions = {}): RingMetrics {
  const radius = options.radius ?? 1;
  const tolerance = options.tolerance ?? 0.3;
  const bins = options.bins ?? 36;
  const n = points.length / 2;
  if (!Number.isInteger(n) || n === 0)
    throw new RangeError(`ringMetrics: need [n, 2] points with n ≥ 1, got ${points.length} values`);
  const binCounts = new Array<number>(bins).fill(0);
  const nearCounts = new Array<number>(bins).fill(0);
  let errorSum = 0;
  let near = 0;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    const err = Math.abs(Math.hypot(x, y) - radius);
    if (!Number.isFinite(err)) continue; // a diverged generator: counts as far away and in no bin
    errorSum += err;
    const bin = angleBin(x, y, bins);
    binCounts[bin]++;
    if (err < tolerance) {
      near++;
      nearCounts[bin]++;
    }
  }
  const finite = binCounts.reduce((a, b) => a + b, 0);
  return {
    meanRadialError: finite === n ? errorSum / n : Infinity,
    fractionNearRing: near / n,
    angularCoverage: binCounts.filter((c) => c > 0).length / bins,
    ringCoverage: nearCounts.filter((c) => c > 0).length / bins,
    binCounts,
  };
}

/** Index of the bin of angle atan2(y, x) ∈ [0, 2π) among `bins` equal sectors starting at angle 0. */
export function angleBin(x: number, y: number, bins: number): number {
  let theta = Math.atan2(y, x);
  if (theta < 0) theta += 2 * Math.PI;
  return Math.min(bins - 1, Math.floor((theta / (2 * Math.PI)) * bins));
}
