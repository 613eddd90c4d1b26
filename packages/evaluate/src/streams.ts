import { Rng } from '@wgan/core';

/**
 * One independent random stream per purpose, derived from the evaluation seed and the purpose's name,
 * so that adding or reordering a measurement never shifts the numbers of another (the latent batch of
 * the inception score stays the same whether or not E6 runs).
 */
export function streamRng(seed: number, purpose: string): Rng {
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < purpose.length; i++) {
    h ^= purpose.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return Rng.fromSeed((BigInt(seed) << 32n) | BigInt(h));
}

/** `count` distinct indices in [0, n) (a prefix of a random permutation). */
export function sampleIndices(rng: Rng, n: number, count: number): Uint32Array {
  if (count > n) throw new RangeError(`cannot draw ${count} distinct indices from ${n}`);
  return rng.permutation(n).slice(0, count);
}
