import { tf } from '@wgan/core/backend';
import { oneHot, outputRange, toPipelineScale, withOneHot, type Network } from '@wgan/train';

/**
 * The device work of an evaluation, batched so that 10,000 samples never sit on the device at once:
 * generating images, scoring them with the critic, and the critic's input-gradient norms (E6).
 */

/**
 * The labels of a conditional network's rows (train --conditional): each row's class, and K. A
 * conditional network sees [input | onehot(label)]; the functions below take the input alone and the
 * labels beside it.
 */
export interface RowLabels {
  labels: ArrayLike<number>;
  classes: number;
}

/** [x | onehot(labels)] for a conditional network, x itself otherwise: [n, width] rows. */
export function labelled(x: Float32Array, n: number, labels: RowLabels | null | undefined): Float32Array {
  if (!labels) return x;
  if (labels.labels.length !== n) throw new RangeError(`${labels.labels.length} labels for ${n} rows`);
  return withOneHot(x, x.length / n, labels.labels, labels.classes);
}

/**
 * G(z) for z [n, d_z] → images [n, 784] in the pipeline's [−1, 1]: a network whose output range is
 * another (a VAE decoder's sigmoid: [0, 1]) is mapped by train's rule y ↦ 2(y − lo)/(hi − lo) − 1.
 * A conditional generator gets each row's label (`labels`).
 */
export async function generate(
  generator: Network,
  zLatent: Float32Array,
  n: number,
  batchSize = 1000,
  labels?: RowLabels | null,
): Promise<Float32Array> {
  const z = labelled(zLatent, n, labels);
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

/** D(x) for images [n, 784] → raw scores [n] (a conditional critic: D(x, y) with each row's label). */
export async function criticScores(
  critic: Network,
  imagesOnly: Float32Array,
  n: number,
  batchSize = 1000,
  labels?: RowLabels | null,
): Promise<Float32Array> {
  const images = labelled(imagesOnly, n, labels);
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
export async function criticGradientNorms(
  critic: Network,
  x: Float32Array,
  n: number,
  labels?: RowLabels | null,
): Promise<Float32Array> {
  const d = x.length / n;
  const hot = labels ? oneHot(labels.labels, labels.classes) : null;
  const norms = tf.tidy(() => {
    // a conditional critic: ∇ₓD(x, y), the gradient with respect to the image for the fixed label
    const label = hot ? tf.tensor2d(hot, [n, labels!.classes]) : null;
    const grad = tf.grad((input: tf.Tensor) =>
      tf.sum(critic.apply(label ? tf.concat([input as tf.Tensor2D, label], 1) : input)),
    );
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
