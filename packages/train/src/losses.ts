import { tf } from '@wgan/core/backend';

/**
 * The objectives, as pure functions of tensors (seed 000 "OPPE WGAN", seed 001 "Assignment 3",
 * seed 002 for the BCE and least-squares GANs). Shapes: scores/logits [B, 1]; images [B, 784].
 */

/** Critic loss of the WGAN: L_D = E[D(x̃)] − E[D(x)] (minimised by the critic). */
export function wassersteinCriticLoss(dReal: tf.Tensor, dFake: tf.Tensor): tf.Scalar {
  return tf.sub(tf.mean(dFake), tf.mean(dReal)) as tf.Scalar;
}

/** Generator loss of the WGAN: L_G = −E[D(G(z))]. */
export function wassersteinGeneratorLoss(dFake: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(dFake)) as tf.Scalar;
}

/** Ŵ₁ = E[D(x)] − E[D(G(z))], the critic's estimate of the Wasserstein gap (E5). */
export function wassersteinGap(dReal: tf.Tensor, dFake: tf.Tensor): tf.Scalar {
  return tf.sub(tf.mean(dReal), tf.mean(dFake)) as tf.Scalar;
}

/** x̂ = ε·x + (1 − ε)·x̃ with one ε per sample: x, x̃ [B, d], ε [B] or [B, 1]. */
export function interpolate(real: tf.Tensor2D, fake: tf.Tensor2D, eps: tf.Tensor): tf.Tensor2D {
  const e = eps.reshape([real.shape[0], 1]);
  return tf.add(tf.mul(e, real), tf.mul(tf.sub(1, e), fake)) as tf.Tensor2D;
}

/**
 * Per-sample gradient norms ‖g_i‖₂ of g [B, d] → [B]. Its gradient is g_i / ‖g_i‖, and 0 for a row with
 * ‖g_i‖ = 0 (as torch's norm backward): sqrt's derivative at 0 is infinite, and a ReLU critic that is dead
 * on an interpolate has g_i = 0 exactly, so the plain sqrt(Σg²) would turn every weight gradient into NaN.
 */
export const rowNorms = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const g = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const norms = tf.sqrt(tf.sum(tf.square(g), 1));
  save([g, norms]);
  return {
    value: norms,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [x, n] = saved;
      const scale = tf.where(tf.greater(n, 0), tf.div(dy, tf.maximum(n, 1e-30)), tf.zerosLike(n));
      return tf.mul(x, tf.reshape(scale, [-1, 1]));
    },
  };
}) as (g: tf.Tensor2D) => tf.Tensor1D;

/** Gradient penalty λ·E[(‖∇D(x̂)‖₂ − 1)²] from the per-sample norms [B]. */
export function gradientPenalty(gradNorms: tf.Tensor1D, lambda: number): tf.Scalar {
  return tf.mul(tf.mean(tf.square(tf.sub(gradNorms, 1))), lambda) as tf.Scalar;
}

/**
 * Binary cross-entropy with logits, mean over the batch, in the stable form
 * max(s, 0) − s·y + log(1 + e^−|s|) (seed 002's bce_loss).
 */
export function bceWithLogits(logits: tf.Tensor, target: 0 | 1): tf.Scalar {
  return tf.mean(
    tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))),
  ) as tf.Scalar;
}

/** Vanilla GAN discriminator loss (seed 002): BCE(D(x), 1) + BCE(D(G(z)), 0). */
export function bceDiscriminatorLoss(logitsReal: tf.Tensor, logitsFake: tf.Tensor): tf.Scalar {
  return tf.add(bceWithLogits(logitsReal, 1), bceWithLogits(logitsFake, 0)) as tf.Scalar;
}

/** Non-saturating generator loss (seed 002): BCE(D(G(z)), 1). */
export function bceGeneratorLoss(logitsFake: tf.Tensor): tf.Scalar {
  return bceWithLogits(logitsFake, 1);
}

/** Least-squares GAN discriminator loss (seed 002): ½E[(D(x) − 1)²] + ½E[D(G(z))²]. */
export function lsganDiscriminatorLoss(scoresReal: tf.Tensor, scoresFake: tf.Tensor): tf.Scalar {
  return tf.add(
    tf.mul(tf.mean(tf.square(tf.sub(scoresReal, 1))), 0.5),
    tf.mul(tf.mean(tf.square(scoresFake)), 0.5),
  ) as tf.Scalar;
}

/** Least-squares GAN generator loss (seed 002): ½E[(D(G(z)) − 1)²]. */
export function lsganGeneratorLoss(scoresFake: tf.Tensor): tf.Scalar {
  return tf.mul(tf.mean(tf.square(tf.sub(scoresFake, 1))), 0.5) as tf.Scalar;
}

/**
 * Saturating generator loss of the original GAN (seed 004's `vanilla_gan`): minimise E[log(1 − D(G(z)))]
 * with D = σ(s), i.e. E[log(1 − σ(s))] = −E[softplus(s)].
 */
export function bceSaturatingGeneratorLoss(logitsFake: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(tf.softplus(logitsFake))) as tf.Scalar;
}

/**
 * The GAN objectives by name:
 *  - `gp`, `clip`: WGAN (critic E[D(x̃)] − E[D(x)], generator −E[D(G(z))]; the penalty or the clipping is
 *    applied by the trainer);
 *  - `bce`: the standard GAN with the non-saturating generator loss (seed 002), D outputs logits;
 *  - `bce-saturating`: the original minimax generator loss (seed 004's comparison), D outputs logits;
 *  - `lsgan`: least squares (seed 002), D outputs raw scores.
 */
export const GAN_LOSSES = ['gp', 'clip', 'bce', 'bce-saturating', 'lsgan'] as const;
export type GanLoss = (typeof GAN_LOSSES)[number];

export function isWasserstein(loss: GanLoss): boolean {
  return loss === 'gp' || loss === 'clip';
}

export function discriminatorObjective(loss: GanLoss, dReal: tf.Tensor, dFake: tf.Tensor): tf.Scalar {
  switch (loss) {
    case 'gp':
    case 'clip':
      return wassersteinCriticLoss(dReal, dFake);
    case 'bce':
    case 'bce-saturating':
      return bceDiscriminatorLoss(dReal, dFake);
    case 'lsgan':
      return lsganDiscriminatorLoss(dReal, dFake);
  }
}

export function generatorObjective(loss: GanLoss, dFake: tf.Tensor): tf.Scalar {
  switch (loss) {
    case 'gp':
    case 'clip':
      return wassersteinGeneratorLoss(dFake);
    case 'bce':
      return bceGeneratorLoss(dFake);
    case 'bce-saturating':
      return bceSaturatingGeneratorLoss(dFake);
    case 'lsgan':
      return lsganGeneratorLoss(dFake);
  }
}
