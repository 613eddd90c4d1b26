/**
 * E3 (seed 000): model size and float32 memory. n_G, n_D = trainable parameter counts;
 * r = n_G / n_D, MB = 4 (n_G + n_D) / 10⁶ (decimal megabytes).
 */
export interface E3 {
  nG: number;
  nD: number;
  ratio: number;
  sizeMb: number;
}

export function e3ModelSize(nG: number, nD: number): E3 {
  if (nD <= 0) throw new RangeError('E3: the critic has no trainable parameters');
  return { nG, nD, ratio: nG / nD, sizeMb: (4 * (nG + nD)) / 1e6 };
}
