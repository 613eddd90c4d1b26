import { tf } from '@wgan/core/backend';
import type { Network } from '../models/network.js';
import { decoderLogitLayers } from './architectures.js';
import { continuousBernoulliTerms, klToStandardNormal, reparameterize } from './likelihood.js';

/**
 * The VAE's negative ELBO on a batch (seed 002's vae_loss with the continuous-Bernoulli likelihood):
 *   loss = mean_b [ −log p(x_b|z_b) + KL(q(z|x_b) ‖ N(0, I)) ],  z_b = μ_b + ε_b·σ_b,
 * where −log p(x|z) = BCE(logits, x) − c·Σ log C(λ) (likelihood.ts) is the reconstruction term.
 */
export interface VaeTerms {
  /** The minimised objective (batch mean). */
  loss: tf.Scalar;
  /** Reconstruction term −log p(x|z) with the log C coefficient applied (batch mean of per-image sums). */
  recon: tf.Scalar;
  /** KL(q(z|x) ‖ N(0, I)) (batch mean). */
  kl: tf.Scalar;
  /** Σ binary cross-entropy (batch mean): the seed's printed "Recon", equal to recon at coefficient 0. */
  bce: tf.Scalar;
  /** Σ log C(λ) (batch mean). */
  logC: tf.Scalar;
}

/** q(z|x): x [B, 784] in [0, 1] → μ, log σ² [B, d_z] (the encoder's two output halves). */
export function encode(encoder: Network, x: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
  const h = encoder.apply(x);
  const d = h.shape[1] / 2;
  return { mu: h.slice([0, 0], [-1, d]), logVar: h.slice([0, d], [-1, d]) };
}

/** The decoder's logits: z [B, d_z] → [B, 784], every layer but the final sigmoid. */
export function decodeLogits(decoder: Network, z: tf.Tensor2D): tf.Tensor2D {
  return decoder.apply(z, { layers: decoderLogitLayers(decoder.spec) });
}

/** The batch objective and its parts. x: [B, 784] in [0, 1]; eps: [B, d_z] standard normals. */
export function vaeObjective(
  encoder: Network,
  decoder: Network,
  x: tf.Tensor2D,
  eps: tf.Tensor2D,
  logCCoefficient: number,
): VaeTerms {
  return tf.tidy(() => {
    const { mu, logVar } = encode(encoder, x);
    const logits = decodeLogits(decoder, reparameterize(mu, logVar, eps));
    const { nll, bce, logC } = continuousBernoulliTerms(x, logits, logCCoefficient);
    const kl = klToStandardNormal(mu, logVar);
    return {
      loss: tf.mean(tf.add(nll, kl)) as tf.Scalar,
      recon: tf.mean(nll) as tf.Scalar,
      kl: tf.mean(kl) as tf.Scalar,
      bce: tf.mean(bce) as tf.Scalar,
      logC: tf.mean(logC) as tf.Scalar,
    };
  });
}

/** Pipeline images [−1, 1] → the VAE's inputs x = (x + 1)/2 ∈ [0, 1]. */
export function toUnitInterval(images: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.add(images, 1), 0.5) as tf.Tensor2D);
}
