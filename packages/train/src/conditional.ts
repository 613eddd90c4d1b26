import { PipelineError } from '@wgan/core';

/**
 * Class conditioning (`train --conditional`): the label y ∈ {0, …, K − 1} enters both networks as a
 * one-hot vector concatenated with their input — the generator sees [z | onehot(y)] (d_z + K inputs),
 * the critic [x | onehot(y)] (784 + K inputs). The networks stay plain dense chains (the label columns are
 * K extra rows of the first kernel, i.e. a learned per-class bias of the first layer), so every dense
 * trainer, the float64 reference and the ONNX export handle them without new layer types.
 *
 * The gradient penalty is taken with respect to the IMAGE only, for the fixed label: real images with
 * their labels, fakes generated with the same labels, x̂ = εx + (1 − ε)x̃ interpolating the image columns,
 * and the norm ‖∇ₓD(x̂, y)‖₂ over the 784 image columns (the label columns of ∇D are left out: the label
 * is not a point on the data manifold, and the Lipschitz constraint is on x for each y).
 *
 * Column layout, everywhere (trainers, reference, evaluate, export, serve): image or latent first, then
 * the K one-hot columns.
 */

/** The conditioning of a run: K classes (the run's `classes`), or null for an unconditional run. */
export interface Conditioning {
  classes: number;
}

/** A run's conditioning from its config (`conditional`, `classes`); null for unconditional (and older) runs. */
export function conditioningOf(config: { conditional?: boolean; classes?: number }): Conditioning | null {
  return config.conditional ? { classes: config.classes ?? 10 } : null;
}

/** onehot(labels): [n, K] row-major. A label outside 0..K − 1 is a RangeError naming it. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= classes)
      throw new RangeError(`label ${y} at row ${i} is outside 0..${classes - 1}`);
    out[i * classes + y] = 1;
  }
  return out;
}

/** [values | onehot(labels)]: rows of `width` values followed by their K one-hot columns → [n, width + K]. */
export function withOneHot(
  values: Float32Array,
  width: number,
  labels: ArrayLike<number>,
  classes: number,
): Float32Array {
  const n = labels.length;
  if (values.length !== n * width)
    throw new RangeError(`withOneHot: ${values.length} values is not [${n}, ${width}] for ${n} labels`);
  const hot = oneHot(labels, classes);
  const out = new Float32Array(n * (width + classes));
  for (let i = 0; i < n; i++) {
    out.set(values.subarray(i * width, (i + 1) * width), i * (width + classes));
    out.set(hot.subarray(i * classes, (i + 1) * classes), i * (width + classes) + width);
  }
  return out;
}

/** Labels 0, 1, …, K − 1, 0, 1, … for n rows: every class equally often (the fixed-noise snapshots, overall scores). */
export function cyclicLabels(n: number, classes: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i % classes);
}

/** Labels of a grid with `cols` columns whose row k is class k (row-major): ⌊i / cols⌋ mod K. */
export function gridLabels(rows: number, cols: number, classes: number): Int32Array {
  return Int32Array.from({ length: rows * cols }, (_, i) => Math.floor(i / cols) % classes);
}

/** The labels of rows `indices` of a split, as int32. */
export function gatherLabels(labels: ArrayLike<number>, indices: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: indices.length }, (_, i) => labels[indices[i]]);
}

/**
 * The training labels of a conditional run, checked against its K: every label must lie in 0..K − 1 (exit 2
 * naming the data folder otherwise).
 */
export function checkTrainingLabels(labels: ArrayLike<number>, classes: number, dataDir: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes)
      throw new PipelineError(
        `training label ${labels[i]} (row ${i}) is outside 0..${classes - 1} for --classes ${classes}`,
        dataDir,
        `give --classes ${labels[i] + 1} or more, or train on data whose labels are below ${classes}`,
      );
  }
}

/** What drawIterationInputs needs of a conditional run (null for an unconditional one). */
export function trainingLabels(
  config: { conditional?: boolean; classes?: number },
  labels: ArrayLike<number>,
): { train: ArrayLike<number>; classes: number } | null {
  const c = conditioningOf(config);
  return c ? { train: labels, classes: c.classes } : null;
}

/** The generator's input for n latents [n, d_z]: z itself, or [z | onehot(0, 1, …, K − 1, 0, …)] for a conditional run. */
export function cyclicGeneratorInput(
  z: Float32Array,
  n: number,
  latentDim: number,
  conditioning: Conditioning | null,
): Float32Array {
  return conditioning ? withOneHot(z, latentDim, cyclicLabels(n, conditioning.classes), conditioning.classes) : z;
}
