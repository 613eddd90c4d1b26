import { tf } from '@wgan/core/backend';
import { outputRange, toPipelineScale, type Network } from '@wgan/train';

/**
 * The device work of an evaluation, batched so that 10,000 samples never sit on the device at once:
 * generating images, scoring them with the critic, and the critic's input-gradient norms (E6).
 */

/**
 * G(z) for z [n, d_z] → images [n, 784] in the pipeline's [−1, 1]: a network whose output range is
 * another (a VAE decoder's sigmoid: [0, 1]) is mapped by train's rule y ↦ 2(y − lo)/(hi − lo) − 1.
 */
export async function generate(
  generator: Network,
  z: Float32Array,
  n: number,
  batchSize = 1000,
): Promise<Float32Array> {
  const dz = generator.spec.inputSize;
  if (z.length !== n * dz) throw new RangeError(`generate: ${z.length} latent values is not [${n}, ${dz}]`);
  const d = generator.spec.outputSize;
  const out = new Float32Array(n * d);
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const y = tf.tidy(() => generator.apply(tf.tensor2d(z.subarray(start * dz, (start + m) * dz), [m, dz])));
    out.set((await y.data()) as Float32Array, start * d);
    y.dispose();
  }
  return toPipelineScale(out, outputRange(generator.spec));
}

/** D(x) for images [n, 784] → raw scores [n]. */
export async function criticScores(
  critic: Network,
  images: Float32Array,
  n: number,
  batchSize = 1000,
): Promise<Float32Array> {
  const d = critic.spec.inputSize;
  if (images.length !== n * d) throw new RangeError(`criticScores: ${images.length} values is not [${n}, ${d}]`);
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const s = tf.tidy(() =>
      critic.apply(tf.tensor2d(images.subarray(start * d, (start + m) * d), [m, d])).reshape([m]),
    );
    out.set((await s.data()) as Float32Array, start);
    s.dispose();
  }
  return out;
}

/**
 * g_i = ‖∇_x D(x_i)‖₂ for x [n, 784] → [n], by first-order autodiff of Σ_i D(x_i) (each row's gradient
 * is its own, since the critic treats examples independently in eval mode).
 */
export async function criticGradientNorms(critic: Network, x: Float32Array, n: number): Promise<Float32Array> {
  const d = critic.spec.inputSize;
  const norms = tf.tidy(() => {
    const grad = tf.grad((input: tf.Tensor) => tf.sum(critic.apply(input)));
    const g = grad(tf.tensor2d(x, [n, d]));
    return tf.sqrt(tf.sum(tf.square(g), 1));
  });
  const out = (await norms.data()) as Float32Array;
  norms.dispose();
  return out;
}

/** Rows `indices` of images [*, pixels] → [indices.length, pixels]. */
export function gatherRows(images: Float32Array, indices: ArrayLike<number>, pixels = 784): Float32Array {
  const out = new Float32Array(indices.length * pixels);
  for (let j = 0; j < indices.length; j++)
    out.set(images.subarray(indices[j] * pixels, (indices[j] + 1) * pixels), j * pixels);
  return out;
}

/** x̂ = ε·x + (1 − ε)·x̃, one ε per row: real, fake [n, pixels], eps [n]. */
export function interpolate(real: Float32Array, fake: Float32Array, eps: Float32Array, pixels = 784): Float32Array {
  const out = new Float32Array(real.length);
  for (let i = 0; i < eps.length; i++) {
    const e = eps[i];
    for (let j = i * pixels; j < (i + 1) * pixels; j++) out[j] = e * real[j] + (1 - e) * fake[j];
  }
  return out;
}
