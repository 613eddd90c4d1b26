import { tf } from '@wgan/core/backend';
import type { Rng } from '@wgan/core';
import { gatherLabels, oneHot } from './conditional.js';
import { Network } from './models/network.js';
import { countTrainable, paramSpecs, type NetworkSpec } from './models/spec.js';
import { criticInputGradient, criticInputGradientAutodiff, supportsClosedForm } from './trainers/tfjs/penalty.js';
import { interpolate, rowNorms } from './losses.js';
import type { NamedValues } from './trainer.js';

/**
 * The seed's training-time diagnostics (OPPE WGAN E3–E7), from weights alone so that every trainer
 * implementation (tfjs, fused WebGPU) reports them the same way.
 */

/** E3: n_G, n_D (trainable parameters), r = n_G/n_D, MB = 4(n_G + n_D)/10⁶. */
export interface E3 {
  nG: number;
  nD: number;
  ratio: number;
  sizeMb: number;
}

export function e3ModelSize(generator: NetworkSpec, critic: NetworkSpec): E3 {
  const nG = countTrainable(generator);
  const nD = countTrainable(critic);
  return { nG, nD, ratio: nG / nD, sizeMb: (4 * (nG + nD)) / 1e6 };
}

/** E4: L̄_D over the first cycle's critic steps, ‖θ_D^after − θ_D^before‖₂, ‖θ_G^after − θ_G^before‖₂. */
export interface E4 {
  lossDMean: number;
  deltaD: number;
  deltaG: number;
}

/** ‖after − before‖₂ over the trainable parameters of `spec`, concatenated in paramSpecs order. */
export function parameterDelta(spec: NetworkSpec, before: NamedValues, after: NamedValues): number {
  let sum = 0;
  for (const p of paramSpecs(spec)) {
    if (!p.trainable) continue;
    const a = before.get(p.name);
    const b = after.get(p.name);
    if (!a || !b) throw new Error(`parameterDelta: missing ${p.name}`);
    for (let i = 0; i < a.length; i++) sum += (b[i] - a[i]) ** 2;
  }
  return Math.sqrt(sum);
}

/** E5: batch means E[D(x)], E[D(G(z))] and Ŵ₁ = their difference. */
export interface E5 {
  dReal: number;
  dFake: number;
  wassersteinGap: number;
}

/**
 * E6 (seed 000, WGAN-GP runs) over N per-sample norms g_i = ‖∇_x̂ D(x̂_i)‖₂: ḡ = mean g, s_g = the
 * population standard deviation √(Σ(g_i − ḡ)²/N) (the seed's worked example: g = {0.8, 1.2, 1.0, 0.6}
 * → 0.224), GP = λ·mean((g − 1)²). The one implementation of E6: train's epoch-end diagnostics and
 * evaluate's report both call e6FromNorms. metrics.jsonl's per-iteration gradNormStd, computed on the
 * device by every trainer, uses the same population estimator (the PyTorch anchor's torch.std is the
 * unbiased one: larger by √(B/(B − 1)), 0.8% at B = 64).
 */
export interface E6 {
  gradNormMean: number;
  gradNormStd: number;
  gp: number;
  samples: number;
}

/**
 * E7 (seed 000, weight-clipping runs) over every trainable critic parameter w and the bound c:
 * f = #{|w| = c}/#w, mean |w|, r_max = max|w|/c. Clipped weights hold exactly float32(c), so "= c" is
 * |w| ≥ float32(c) (nothing exceeds it after a clip), and r_max divides by float32(c) too. The one
 * implementation of E7: train's epoch-end diagnostics and evaluate's report both call e7FromWeights.
 */
export interface E7 {
  clipFraction: number;
  meanAbsWeight: number;
  maxRatio: number;
  /** #w, the number of parameters counted. */
  weights: number;
}

export function e6FromNorms(norms: ArrayLike<number>, lambda: number): E6 {
  const n = norms.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += norms[i] / n;
  let variance = 0;
  let gp = 0;
  for (let i = 0; i < n; i++) {
    variance += (norms[i] - mean) ** 2 / n;
    gp += (norms[i] - 1) ** 2 / n;
  }
  return { gradNormMean: mean, gradNormStd: Math.sqrt(variance), gp: lambda * gp, samples: n };
}

/** E7 over parameter arrays (every trainable critic parameter). */
export function e7FromWeights(weights: readonly ArrayLike<number>[], clipValue: number): E7 {
  if (!(clipValue > 0)) throw new RangeError(`E7 needs a positive clip bound, got ${clipValue}`);
  const c = Math.fround(clipValue);
  let total = 0;
  let atBound = 0;
  let sumAbs = 0;
  let maxAbs = 0;
  for (const v of weights) {
    for (let i = 0; i < v.length; i++) {
      const a = Math.abs(v[i]);
      total++;
      if (a >= c) atBound++;
      sumAbs += a;
      if (a > maxAbs) maxAbs = a;
    }
  }
  if (total === 0) throw new RangeError('E7: the critic has no weights');
  return { clipFraction: atBound / total, meanAbsWeight: sumAbs / total, maxRatio: maxAbs / c, weights: total };
}

/** E7 of a critic's trainable parameters, by name from its spec. */
export function e7Clipping(critic: NetworkSpec, values: NamedValues, clipValue: number): E7 {
  return e7FromWeights(
    paramSpecs(critic)
      .filter((p) => p.trainable)
      .map((p) => values.get(p.name) as Float32Array),
    clipValue,
  );
}

export interface EpochDiagnostics {
  epoch: number;
  iteration: number;
  E5: E5;
  E6: E6 | null;
  E7: E7 | null;
}

/**
 * E5 and E6 on N fresh samples (N real training images, N generated, N interpolates) and E7 for clip
 * runs, at an epoch end. Uses its own `rng` so the training stream is untouched.
 */
export async function epochDiagnostics(o: {
  generatorSpec: NetworkSpec;
  criticSpec: NetworkSpec;
  weights: { generator: NamedValues; critic: NamedValues };
  images: Float32Array;
  imageCount: number;
  /** A conditional run's training labels and K: real rows keep their labels, fakes get the same ones. */
  labels?: { train: ArrayLike<number>; classes: number };
  samples: number;
  latentDim: number;
  loss: string;
  lambda: number;
  clipValue: number;
  rng: Rng;
  epoch: number;
  iteration: number;
}): Promise<EpochDiagnostics> {
  const generator = Network.fromValues(o.generatorSpec, o.weights.generator, 'diag-generator');
  const critic = Network.fromValues(o.criticSpec, o.weights.critic, 'diag-critic');
  try {
    const N = o.samples;
    const d = o.images.length / o.imageCount;
    const real = new Float32Array(N * d);
    const rows = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      const k = o.rng.below(o.imageCount);
      rows[i] = k;
      real.set(o.images.subarray(k * d, (k + 1) * d), i * d);
    }
    const z = o.rng.fillNormal(new Float32Array(N * o.latentDim));
    const eps = o.rng.fillUniform(new Float32Array(N));
    const K = o.labels?.classes ?? 0;
    const hotRows = o.labels ? oneHot(gatherLabels(o.labels.train, rows), K) : null;
    const [scores, norms] = tf.tidy(() => {
      const x = tf.tensor2d(real, [N, d]);
      const hot = hotRows ? tf.tensor2d(hotRows, [N, K]) : null;
      const withLabels = (v: tf.Tensor2D, h: tf.Tensor2D | null) => (h ? (tf.concat([v, h], 1) as tf.Tensor2D) : v);
      const fake = generator.apply(withLabels(tf.tensor2d(z, [N, o.latentDim]), hot)) as tf.Tensor2D;
      const s = critic.apply(
        withLabels(tf.concat([x, fake], 0) as tf.Tensor2D, hot ? (tf.concat([hot, hot], 0) as tf.Tensor2D) : null),
      );
      const xhat = interpolate(x, fake, tf.tensor1d(eps));
      // a conditional critic: ∇ₓD(x̂, y), the image columns of the input gradient at [x̂ | onehot(y)]
      const input = withLabels(xhat, hot);
      const full = supportsClosedForm(critic)
        ? criticInputGradient(critic, input).gradient
        : criticInputGradientAutodiff(critic, input);
      const g = hot ? full.slice([0, 0], [N, d]) : full;
      return [s, rowNorms(g)];
    });
    const sv = (await scores.data()) as Float32Array;
    const nv = (await norms.data()) as Float32Array;
    tf.dispose([scores, norms]);
    let dReal = 0;
    let dFake = 0;
    for (let i = 0; i < N; i++) {
      dReal += sv[i] / N;
      dFake += sv[N + i] / N;
    }
    return {
      epoch: o.epoch,
      iteration: o.iteration,
      E5: { dReal, dFake, wassersteinGap: dReal - dFake },
      E6: o.loss === 'gp' ? e6FromNorms(nv, o.lambda) : null,
      E7: o.loss === 'clip' ? e7Clipping(o.criticSpec, o.weights.critic, o.clipValue) : null,
    };
  } finally {
    generator.dispose();
    critic.dispose();
  }
}
