import { linspace, pearson } from './stats.js';

/**
 * E9 (seed 000): latent traversal. z_i sweeps `count` evenly spaced values in [lo, hi] (the seed's 10 in
 * [−2, 2]) with the other latent dimensions fixed; m_j = mean pixel intensity of image j in the training
 * scale [−1, 1]; r = Pearson(z_j, m_j).
 */
export interface E9 {
  latentIndex: number;
  values: number[];
  meanIntensity: number[];
  /** Null when the images' mean intensity does not change at all (r undefined). */
  r: number | null;
}

export function traversalValues(count = 10, lo = -2, hi = 2): number[] {
  return linspace(lo, hi, count);
}

/** images: [values.length, pixels] row-major. */
export function e9TraversalCorrelation(
  latentIndex: number,
  values: readonly number[],
  images: ArrayLike<number>,
  pixels = 784,
): E9 {
  if (images.length !== values.length * pixels)
    throw new RangeError(`E9: ${images.length} values for ${values.length} images of ${pixels} pixels`);
  const meanIntensity = values.map((_, j) => {
    let s = 0;
    for (let i = j * pixels; i < (j + 1) * pixels; i++) s += images[i];
    return s / pixels;
  });
  return { latentIndex, values: [...values], meanIntensity, r: pearson(values, meanIntensity) };
}
