import { describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { angleBin, ringMetrics, sampleRing } from './ring-data.js';

describe('sampleRing (LAB 3: r = 1 + 0.1·N(0, 1), θ ~ U[0, 2π))', () => {
  const n = 10_000;
  const points = sampleRing(n, Rng.fromSeed(3));
  const radii = Array.from({ length: n }, (_, i) => Math.hypot(points[2 * i], points[2 * i + 1]));

  it('has radius mean 1 ± 0.01 and std 0.1 ± 0.01 on 10,000 points', () => {
    const mean = radii.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(radii.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1));
    expect(Math.abs(mean - 1)).toBeLessThan(0.01);
    expect(Math.abs(std - 0.1)).toBeLessThan(0.01);
  });

  it('spreads the angles uniformly: every 10° bin within 5σ of n/36', () => {
    const counts = new Array(36).fill(0);
    for (let i = 0; i < n; i++) counts[angleBin(points[2 * i], points[2 * i + 1], 36)]++;
    const expected = n / 36;
    const sigma = Math.sqrt(expected * (1 - 1 / 36));
    for (const c of counts) expect(Math.abs(c - expected)).toBeLessThan(5 * sigma);
  });

  it('is reproducible from the seed', () => {
    expect(sampleRing(5, Rng.fromSeed(9))).toEqual(sampleRing(5, Rng.fromSeed(9)));
  });
});

describe('ringMetrics', () => {
  const onCircle = (angles: number[], r = 1) =>
    Float64Array.from(angles.flatMap((t) => [r * Math.cos(t), r * Math.sin(t)]));

  it('gives error 0, all near and full coverage for points on the circle in every bin', () => {
    const m = ringMetrics(onCircle(Array.from({ length: 36 }, (_, k) => ((k + 0.5) * 2 * Math.PI) / 36)));
    expect(m.meanRadialError).toBeCloseTo(0, 12);
    expect(m.fractionNearRing).toBe(1);
    expect(m.angularCoverage).toBe(1);
    expect(m.ringCoverage).toBe(1);
    expect(m.binCounts).toEqual(new Array(36).fill(1));
  });

  it('measures |‖x‖ − 1| and the 0.3 tolerance', () => {
    // radii 1.5 (err 0.5), 0.8 (0.2), 1.29 (0.29), 0 (1)
    const pts = Float64Array.from([1.5, 0, 0, 0.8, -1.29, 0, 0, 0]);
    const m = ringMetrics(pts);
    expect(m.meanRadialError).toBeCloseTo((0.5 + 0.2 + 0.29 + 1) / 4, 12);
    expect(m.fractionNearRing).toBe(0.5);
  });

  it('tells a collapsed arc from full coverage, and a blob from the ring', () => {
    const arc = ringMetrics(onCircle(Array.from({ length: 100 }, (_, k) => 0.01 * k))); // 0 .. 0.99 rad: bins 0..5
    expect(arc.angularCoverage).toBeCloseTo(6 / 36, 12);
    const blob = ringMetrics(
      Float64Array.from(Array.from({ length: 360 }, (_, k) => [0.05 * Math.cos(k), 0.05 * Math.sin(k)]).flat()),
    );
    expect(blob.angularCoverage).toBe(1); // every angle bin holds points ...
    expect(blob.ringCoverage).toBe(0); // ... none of them near the ring
  });

  it('puts angles on bin edges into the bin that starts there; atan2 of negative y wraps to [0, 2π)', () => {
    expect(angleBin(1, 0, 36)).toBe(0);
    expect(angleBin(0, 1, 36)).toBe(9);
    expect(angleBin(-1, -1e-12, 36)).toBe(18);
    expect(angleBin(1, -1e-9, 36)).toBe(35);
  });

  it('counts non-finite points as far off and in no bin (a diverged generator)', () => {
    const m = ringMetrics(Float32Array.from([NaN, 0, 1, 0]));
    expect(m.meanRadialError).toBe(Infinity);
    expect(m.fractionNearRing).toBe(0.5);
    expect(m.binCounts.reduce((a, b) => a + b, 0)).toBe(1);
  });
});
