import { tf } from '@wgan/core/backend';

/**
 * The VAE's objective terms (seed 002, Part I), as pure functions of tensors.
 *
 * Likelihood: the continuous Bernoulli (Loaiza-Ganem & Cunningham 2019, arXiv:1907.06845), pixel-wise
 *   log p(x|z) = Σ_i x_i log λ_i + (1 − x_i) log(1 − λ_i) + log C(λ_i),   x_i ∈ [0, 1], λ = σ(logits),
 * with the normaliser 1/C(λ) = ∫₀¹ λ^x (1 − λ)^(1−x) dx, i.e.
 *   C(λ) = 2·artanh(1 − 2λ) / (1 − 2λ)   (λ ≠ ½),   C(½) = 2.
 * In terms of the logit l = log(λ / (1 − λ)), 1 − 2λ = −tanh(l/2) and artanh(1 − 2λ) = −l/2, so
 *   C = l / tanh(l/2),   log C = log(l / tanh(l/2)),
 * which is exact for every l and stable as λ → 0 or 1 (log C → log |l|). Near λ = ½ (l → 0) the ratio is
 * 0/0 and its derivative 1/l − 1/sinh(l) cancels catastrophically, so there the Taylor series is used:
 *   log C = log 2 + l²/12 − 7l⁴/1440 + 31l⁶/90720 − O(l⁸)
 * (in λ: C(λ) = 2 + (2/3)(1 − 2λ)² + (2/5)(1 − 2λ)⁴ + …). Below |l| = 0.25 (|λ − ½| < 0.062) the first
 * omitted term is < 4e-10, far under float32's resolution at log 2.
 *
 * The seed's own run trains with binary cross-entropy only (its vae_loss has no log C) and says "you can
 * introduce a coefficient to the log C(λ) term": `coefficient` scales log C (0 = the seed's BCE run,
 * 1 = the exact continuous-Bernoulli likelihood).
 */

/** |l| below which log C uses its Taylor series. */
export const LOG_C_TAYLOR_BOUND = 0.25;

/** log C(σ(l)) elementwise for logits l (any shape). Differentiable everywhere, gradient 0 at l = 0. */
export function logNormalizer(logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    // near = 1 where |l| < bound, else 0 (step's gradient is 0, so no comparison sits on a gradient tape)
    const near = tf.step(tf.sub(LOG_C_TAYLOR_BOUND, tf.abs(logits)));
    // The exact branch is evaluated at l = 1 where the Taylor branch is chosen, so that neither its value
    // nor its gradient is NaN there (a blend multiplies the unused branch's gradient by 0, and 0·NaN = NaN).
    const safe = tf.add(logits, tf.mul(near, tf.sub(1, logits)));
    const exact = tf.log(tf.div(safe, tf.tanh(tf.mul(safe, 0.5))));
    const l2 = tf.square(logits);
    // log 2 + l²/12 − 7l⁴/1440 + 31l⁶/90720, in Horner form
    const taylor = tf.add(Math.LN2, tf.mul(l2, tf.add(1 / 12, tf.mul(l2, tf.add(-7 / 1440, tf.mul(l2, 31 / 90720))))));
    return tf.add(tf.mul(near, taylor), tf.mul(tf.sub(1, near), exact));
  });
}

/**
 * Per-example terms of the continuous-Bernoulli log-likelihood, summed over pixels:
 *   bce  = −Σ [x log λ + (1 − x) log(1 − λ)] = Σ softplus(l) − x·l   (binary cross-entropy with logits),
 *   logC = Σ log C(λ),
 *   nll  = bce − coefficient·logC   (the reconstruction term, −log p(x|z) at coefficient 1).
 * x: [B, D] in [0, 1]; logits: [B, D] → each [B].
 */
export function continuousBernoulliTerms(
  x: tf.Tensor2D,
  logits: tf.Tensor2D,
  coefficient: number,
): { nll: tf.Tensor1D; bce: tf.Tensor1D; logC: tf.Tensor1D } {
  return tf.tidy(() => {
    const bce = tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)), 1) as tf.Tensor1D;
    const logC = tf.sum(logNormalizer(logits), 1) as tf.Tensor1D;
    const nll = (coefficient === 0 ? tf.clone(bce) : tf.sub(bce, tf.mul(logC, coefficient))) as tf.Tensor1D;
    return { nll, bce, logC };
  });
}

/**
 * KL(N(μ₁, diag e^{v₁}) ‖ N(μ₂, diag e^{v₂})) per example, v = log-variance:
 *   ½ Σ_j [v₂ − v₁ + (e^{v₁} + (μ₁ − μ₂)²) / e^{v₂} − 1].
 * All [B, d] → [B].
 */
export function gaussianKl(
  mu1: tf.Tensor2D,
  logVar1: tf.Tensor2D,
  mu2: tf.Tensor2D,
  logVar2: tf.Tensor2D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const ratio = tf.div(tf.add(tf.exp(logVar1), tf.square(tf.sub(mu1, mu2))), tf.exp(logVar2));
    return tf.mul(tf.sum(tf.sub(tf.add(tf.sub(logVar2, logVar1), ratio), 1), 1), 0.5) as tf.Tensor1D;
  });
}

/** KL(q(z|x) ‖ N(0, I)) = −½ Σ_j (1 + v − μ² − e^v) per example (seed 002's kl_loss): [B, d] → [B]. */
export function klToStandardNormal(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(
    () => tf.mul(tf.sum(tf.sub(tf.add(1, logVar), tf.add(tf.square(mu), tf.exp(logVar))), 1), -0.5) as tf.Tensor1D,
  );
}

/** The reparameterisation trick: z = μ + ε·e^{v/2}, ε ~ N(0, I) given. All [B, d]. */
export function reparameterize(mu: tf.Tensor2D, logVar: tf.Tensor2D, eps: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(mu, tf.mul(eps, tf.exp(tf.mul(logVar, 0.5)))) as tf.Tensor2D);
}
