import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import {
  continuousBernoulliTerms,
  gaussianKl,
  klToStandardNormal,
  LOG_C_TAYLOR_BOUND,
  logNormalizer,
  reparameterize,
} from './likelihood.js';
import { manifoldLatents, normalQuantile } from './manifold.js';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

/** Composite Simpson's rule on [a, b] with n (even) intervals, float64. */
function simpson(f: (x: number) => number, a: number, b: number, n = 4000): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

/** log C(λ) = −log ∫₀¹ λ^x (1 − λ)^(1−x) dx, by quadrature (independent of the closed form). */
function logCByIntegral(lambda: number): number {
  return -Math.log(simpson((x) => Math.exp(x * Math.log(lambda) + (1 - x) * Math.log(1 - lambda)), 0, 1));
}

const logit = (p: number) => Math.log(p) - Math.log(1 - p);

async function values(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

describe('log C(λ), the continuous Bernoulli log-normaliser', () => {
  const lambdas = [0.01, 0.3, 0.499, 0.5, 0.501, 0.9];

  it.each(lambdas)(
    'λ = %s: equals −log ∫₀¹ λ^x (1 − λ)^(1−x) dx (float64 Simpson) to float32 precision',
    async (lambda) => {
      const got = (await values(logNormalizer(tf.tensor1d([logit(lambda)]))))[0];
      const want = logCByIntegral(lambda);
      expect(Math.abs(got - want)).toBeLessThan(1e-6);
    },
  );

  it('covers both branches (the Taylor series near λ = ½, the exact form elsewhere) and is log 2 at λ = ½', async () => {
    expect(lambdas.filter((p) => Math.abs(logit(p)) < LOG_C_TAYLOR_BOUND)).toEqual([0.499, 0.5, 0.501]);
    expect((await values(logNormalizer(tf.scalar(0))))[0]).toBeCloseTo(Math.LN2, 7);
    // symmetric: C(λ) = C(1 − λ)
    const v = await values(logNormalizer(tf.tensor1d([-3.7, 3.7, -0.1, 0.1])));
    expect(v[0]).toBe(v[1]);
    expect(v[2]).toBe(v[3]);
  });

  it('is continuous across the branch boundary |l| = 0.25 and exact far into the tails (λ → 0, 1)', async () => {
    const b = LOG_C_TAYLOR_BOUND;
    const v = await values(logNormalizer(tf.tensor1d([b - 1e-6, b + 1e-6, -b + 1e-6, -b - 1e-6])));
    expect(Math.abs(v[0] - v[1])).toBeLessThan(1e-6);
    expect(Math.abs(v[2] - v[3])).toBeLessThan(1e-6);
    // l = ±40 (λ ≈ 4e-18): C = l / tanh(l/2) = 40 to float precision
    const tails = await values(logNormalizer(tf.tensor1d([-40, 40])));
    for (const t of tails) expect(t).toBeCloseTo(Math.log(40), 6);
  });

  it('has the analytic gradient d log C / dl = 1/l − 1/sinh(l), finite and 0 at l = 0', async () => {
    const ls = [0, 1e-3, -1e-3, 0.2, -0.2, 0.2499, 0.2501, -0.2501, 0.3, 2, -8, 30];
    const g = tf.grad((l: tf.Tensor) => tf.sum(logNormalizer(l)));
    const got = await values(g(tf.tensor1d(ls)));
    ls.forEach((l, i) => {
      const want = l === 0 ? 0 : 1 / l - 1 / Math.sinh(l);
      expect(Number.isFinite(got[i])).toBe(true);
      expect(Math.abs(got[i] - want)).toBeLessThan(2e-5);
    });
  });
});

describe('continuous-Bernoulli terms', () => {
  it('bce = −Σ[x log λ + (1 − x) log(1 − λ)], logC = Σ log C, nll = bce − c·logC (float64 reference)', async () => {
    const rng = Rng.fromSeed(3);
    const B = 3;
    const D = 7;
    const x = rng.fillUniform(new Float32Array(B * D), 0, 1);
    const l = rng.fillNormal(new Float32Array(B * D), 0, 3);
    const c = 0.7;
    const t = continuousBernoulliTerms(tf.tensor2d(x, [B, D]), tf.tensor2d(l, [B, D]), c);
    const [nll, bce, logC] = [await values(t.nll), await values(t.bce), await values(t.logC)];
    for (let b = 0; b < B; b++) {
      let wantBce = 0;
      let wantLogC = 0;
      for (let j = 0; j < D; j++) {
        const k = b * D + j;
        const lambda = 1 / (1 + Math.exp(-l[k]));
        wantBce -= x[k] * Math.log(lambda) + (1 - x[k]) * Math.log(1 - lambda);
        wantLogC += Math.log((2 * Math.atanh(1 - 2 * lambda)) / (1 - 2 * lambda)); // the λ form
      }
      expect(bce[b]).toBeCloseTo(wantBce, 4);
      expect(logC[b]).toBeCloseTo(wantLogC, 4);
      expect(nll[b]).toBeCloseTo(wantBce - c * wantLogC, 4);
    }
  });
});

describe('Gaussian KL', () => {
  it('KL(N(μ, σ²) ‖ N(μ, σ²)) = 0 for any μ, σ, and KL(N(0, 1) ‖ N(0, I)) = 0', async () => {
    const rng = Rng.fromSeed(5);
    const mu = tf.tensor2d(rng.fillNormal(new Float32Array(12), 0, 2), [4, 3]);
    const logVar = tf.tensor2d(rng.fillNormal(new Float32Array(12)), [4, 3]);
    for (const v of await values(gaussianKl(mu, logVar, mu, logVar))) expect(Math.abs(v)).toBeLessThan(1e-6);
    for (const v of await values(klToStandardNormal(tf.zeros([2, 5]) as tf.Tensor2D, tf.zeros([2, 5]) as tf.Tensor2D)))
      expect(Math.abs(v)).toBe(0);
  });

  it.each([
    [0.5, 0.8, 0, 1],
    [-1.2, 0.3, 0.4, 2.1],
    [2, 3, -1, 0.5],
  ])('KL(N(%s, %s²) ‖ N(%s, %s²)) equals ∫ q log(q/p) by quadrature', async (m1, s1, m2, s2) => {
    const got = (
      await values(
        gaussianKl(
          tf.tensor2d([[m1]]),
          tf.tensor2d([[Math.log(s1 * s1)]]),
          tf.tensor2d([[m2]]),
          tf.tensor2d([[Math.log(s2 * s2)]]),
        ),
      )
    )[0];
    const logPdf = (z: number, m: number, s: number) =>
      -0.5 * Math.log(2 * Math.PI) - Math.log(s) - ((z - m) * (z - m)) / (2 * s * s);
    const want = simpson(
      (z) => Math.exp(logPdf(z, m1, s1)) * (logPdf(z, m1, s1) - logPdf(z, m2, s2)),
      m1 - 12 * s1,
      m1 + 12 * s1,
      20000,
    );
    expect(Math.abs(got - want)).toBeLessThan(1e-5 * Math.max(1, want));
  });

  it('the prior form −½Σ(1 + v − μ² − e^v) is the general KL against N(0, I), summed over dimensions', async () => {
    const rng = Rng.fromSeed(6);
    const mu = tf.tensor2d(rng.fillNormal(new Float32Array(15)), [5, 3]);
    const logVar = tf.tensor2d(rng.fillNormal(new Float32Array(15), 0, 0.5), [5, 3]);
    const a = await values(klToStandardNormal(mu, logVar));
    const b = await values(gaussianKl(mu, logVar, tf.zerosLike(mu), tf.zerosLike(logVar)));
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
  });

  it('reparameterize: z = μ + ε·exp(v/2)', async () => {
    const z = await values(
      reparameterize(tf.tensor2d([[1, -2]]), tf.tensor2d([[Math.log(4), 0]]), tf.tensor2d([[0.5, -1]])),
    );
    expect(Array.from(z)).toEqual([2, -3]);
  });
});

describe('the manifold grid', () => {
  it('normalQuantile matches scipy.stats.norm.ppf', () => {
    const cases: [number, number][] = [
      [0.025, -1.9599639845400545],
      [0.5, 0],
      [0.975, 1.959963984540054],
      [0.8413447460685429, 1],
      [1e-10, -6.361340902404056],
    ];
    for (const [p, z] of cases) expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(1e-12);
    expect(() => normalQuantile(1.5)).toThrow(RangeError);
  });

  it('lays 20 × 20 latents out with z₁ rising left to right and z₂ falling top to bottom', () => {
    const z = manifoldLatents(20);
    expect(z.length).toBe(800);
    expect(z[0]).toBeCloseTo(-1.959964, 5); // top-left: z₁ = Φ⁻¹(0.025)
    expect(z[1]).toBeCloseTo(1.959964, 5); //             z₂ = Φ⁻¹(0.975)
    expect(z[(19 * 20 + 19) * 2]).toBeCloseTo(1.959964, 5);
    expect(z[(19 * 20 + 19) * 2 + 1]).toBeCloseTo(-1.959964, 5);
    expect(z[(3 * 20 + 7) * 2]).toBeCloseTo(z[(11 * 20 + 7) * 2], 7); // a column shares z₁
  });
});
