import { Matrix } from 'ml-matrix';
import { Rng } from '@wgan/core';
import { describe, expect, it } from 'vitest';
import { inceptionScore } from './inception.js';
import { chiSquareUniform, classHistogram, logGamma, regularizedGammaQ } from './histogram.js';
import { frechetDistance, frechetDistanceOfFeatures, gaussianStats, sqrtPsd, traceSqrtProduct } from './frechet.js';

function oneHot(classes: number[], k = 10): Float32Array {
  const p = new Float32Array(classes.length * k);
  classes.forEach((c, i) => (p[i * k + c] = 1));
  return p;
}

describe('inceptionScore', () => {
  it('is 10 for a perfectly confident classifier whose predictions are uniform over 10 classes', () => {
    const classes = Array.from({ length: 1000 }, (_, i) => i % 10);
    expect(inceptionScore(oneHot(classes))).toBeCloseTo(10, 8);
  });

  it('is 1 for a constant classifier (every x gets the same p(y|x)), confident or not', () => {
    expect(inceptionScore(oneHot(Array.from({ length: 50 }, () => 3)))).toBeCloseTo(1, 10);
    const p = new Float32Array(50 * 10);
    for (let i = 0; i < 50; i++) p.set([0.5, 0.2, 0.1, 0.05, 0.05, 0.05, 0.02, 0.01, 0.01, 0.01], i * 10);
    expect(inceptionScore(p)).toBeCloseTo(1, 6);
  });

  it('is K for K confident balanced classes, and matches a float64 reference on soft predictions', () => {
    expect(inceptionScore(oneHot([0, 1, 2, 3, 0, 1, 2, 3]))).toBeCloseTo(4, 8);
    // Two examples over 2 classes: p1 = (0.9, 0.1), p2 = (0.3, 0.7); p(y) = (0.6, 0.4).
    const kl = (p: number[]) => p[0] * Math.log(p[0] / 0.6) + p[1] * Math.log(p[1] / 0.4);
    const expected = Math.exp((kl([0.9, 0.1]) + kl([0.3, 0.7])) / 2);
    expect(inceptionScore([0.9, 0.1, 0.3, 0.7], 2)).toBeCloseTo(expected, 9);
  });
});

describe('class histogram and chi-square to uniform', () => {
  it('counts argmax classes', () => {
    const probs = [0.1, 0.7, 0.2, 0.8, 0.1, 0.1, 0.2, 0.3, 0.5, 0.2, 0.6, 0.2];
    expect(classHistogram(probs, 3)).toEqual([1, 2, 1]);
  });

  it('gives χ² = 0, p = 1 for a uniform histogram and the hand-computed value otherwise', () => {
    expect(chiSquareUniform([5, 5, 5, 5])).toEqual({ chiSquare: 0, degreesOfFreedom: 3, pValue: 1 });
    // e = 10: (4² + 4² + 0) / 10 = 3.2 with 2 degrees of freedom, where p = exp(−χ²/2) exactly.
    const r = chiSquareUniform([14, 6, 10]);
    expect(r.chiSquare).toBeCloseTo(3.2, 12);
    expect(r.pValue).toBeCloseTo(Math.exp(-1.6), 12);
  });

  it('matches closed forms and tables of the chi-square upper tail', () => {
    // Even degrees of freedom 2k: Q(k, y) = e^{−y} Σ_{i<k} y^i / i!.
    for (const y of [0.3, 2, 7.5, 40]) expect(regularizedGammaQ(2, y)).toBeCloseTo(Math.exp(-y) * (1 + y), 12);
    for (const y of [0.3, 2, 7.5])
      expect(regularizedGammaQ(3, y)).toBeCloseTo(Math.exp(-y) * (1 + y + (y * y) / 2), 12);
    // χ²(9) critical values: 16.919 at p = 0.05, 21.666 at p = 0.01 (standard tables).
    expect(regularizedGammaQ(4.5, 16.919 / 2)).toBeCloseTo(0.05, 4);
    expect(regularizedGammaQ(4.5, 21.666 / 2)).toBeCloseTo(0.01, 4);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });
});

describe('Fréchet distance', () => {
  it('is ≈ 0 for identical feature sets', () => {
    const rng = Rng.fromSeed(1);
    const f = rng.fillNormal(new Float32Array(400 * 8));
    expect(Math.abs(frechetDistanceOfFeatures(f, 400, f, 400, 8))).toBeLessThan(1e-9);
  });

  it('matches the closed form for diagonal covariances: ‖μ1 − μ2‖² + Σ(√a − √b)²', () => {
    const a = { count: 2, dim: 3, mean: Float64Array.from([1, 0, -2]), covariance: Matrix.diag([4, 1, 0.25]) };
    const b = { count: 2, dim: 3, mean: Float64Array.from([0, 0, 1]), covariance: Matrix.diag([1, 9, 0.25]) };
    const expected = 1 + 0 + 9 + (2 - 1) ** 2 + (1 - 3) ** 2 + 0;
    expect(frechetDistance(a, b)).toBeCloseTo(expected, 10);
  });

  it('matches the closed form for commuting (co-diagonalisable) full covariances', () => {
    // Σ1 = Q diag(a) Qᵀ, Σ2 = Q diag(b) Qᵀ with a rotation Q: tr((Σ1Σ2)^½) = Σ √(a_i b_i).
    const t = 0.7;
    const q = new Matrix([
      [Math.cos(t), -Math.sin(t)],
      [Math.sin(t), Math.cos(t)],
    ]);
    const s1 = q.mmul(Matrix.diag([3, 0.5])).mmul(q.transpose());
    const s2 = q.mmul(Matrix.diag([1.2, 2])).mmul(q.transpose());
    expect(traceSqrtProduct(s1, s2)).toBeCloseTo(Math.sqrt(3 * 1.2) + Math.sqrt(0.5 * 2), 10);
    const r = sqrtPsd(s1);
    expect(r.mmul(r).sub(s1).norm()).toBeLessThan(1e-12);
  });

  it('matches a float64 reference for non-commuting 2×2 covariances', () => {
    // For 2×2 SPD M = Σ1Σ2 (real positive eigenvalues): tr(M^½) = √(tr M + 2√det M).
    const s1 = new Matrix([
      [2, 0.6],
      [0.6, 1],
    ]);
    const s2 = new Matrix([
      [1, -0.3],
      [-0.3, 0.5],
    ]);
    const m = s1.mmul(s2);
    const det = m.get(0, 0) * m.get(1, 1) - m.get(0, 1) * m.get(1, 0);
    expect(traceSqrtProduct(s1, s2)).toBeCloseTo(Math.sqrt(m.trace() + 2 * Math.sqrt(det)), 10);
  });

  it('estimates the mean and the unbiased covariance (N − 1) of features', () => {
    const f = Float32Array.from([1, 2, 3, 6, 5, 10]); // 3 samples × 2 dims
    const s = gaussianStats(f, 3, 2);
    expect(Array.from(s.mean)).toEqual([3, 6]);
    // x: 1, 3, 5 → var 4; y: 2, 6, 10 → var 16; cov 8.
    expect(s.covariance.to2DArray()).toEqual([
      [4, 8],
      [8, 16],
    ]);
  });

  it('grows with a mean shift and a scale change of the same data', () => {
    const rng = Rng.fromSeed(2);
    const f = rng.fillNormal(new Float32Array(2000 * 4));
    const shifted = f.map((x, i) => (i % 4 === 0 ? x + 3 : x));
    const fd = frechetDistanceOfFeatures(f, 2000, shifted, 2000, 4);
    expect(fd).toBeCloseTo(9, 6); // only the mean moves: exactly 3²
    const scaled = f.map((x) => 2 * x);
    const fdScale = frechetDistanceOfFeatures(f, 2000, scaled, 2000, 4);
    expect(fdScale).toBeGreaterThan(3);
    expect(fdScale).toBeLessThan(5); // ≈ Σ (1 − 2)² over 4 dims of ~unit variance
  });
});
