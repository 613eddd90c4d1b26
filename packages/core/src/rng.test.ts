import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

/*
 * Reference vectors from the C reference of xoshiro128** 1.1 (prng.di.unimi.it) seeded with SplitMix64
 * exactly as Rng.fromSeed does: s[0..3] = low/high words of the first two SplitMix64 outputs.
 * Generated with:
 *   x = seed; a = splitmix64(); b = splitmix64();
 *   s = { (u32)a, (u32)(a >> 32), (u32)b, (u32)(b >> 32) }; print next() six times
 */
const REFERENCE: Record<string, number[]> = {
  '0': [3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774],
  '42': [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222],
  '123456789': [1346704765, 2882174560, 1840973710, 4030037534, 3644170367, 605829230],
};

describe('Rng (xoshiro128** seeded by SplitMix64)', () => {
  it.each(Object.entries(REFERENCE))('matches the C reference for seed %s', (seed, expected) => {
    const rng = Rng.fromSeed(BigInt(seed));
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual(expected);
  });

  it('gives the same stream for the same seed and another for another seed', () => {
    const a = Rng.fromSeed(7);
    const b = Rng.fromSeed(7);
    const c = Rng.fromSeed(8);
    const sa = Array.from({ length: 100 }, () => a.uniform());
    expect(Array.from({ length: 100 }, () => b.uniform())).toEqual(sa);
    expect(Array.from({ length: 100 }, () => c.uniform())).not.toEqual(sa);
  });

  it('restores from its state mid-stream, including the spare normal', () => {
    const a = Rng.fromSeed(1);
    a.normal(); // leaves a spare
    const state = JSON.parse(JSON.stringify(a.getState()));
    expect(state.spareNormal).not.toBeNull();
    const b = Rng.fromState(state);
    expect(Array.from({ length: 50 }, () => b.normal())).toEqual(Array.from({ length: 50 }, () => a.normal()));
  });

  it('draws uniforms in [0,1) with mean 1/2 and variance 1/12', () => {
    const rng = Rng.fromSeed(3);
    const x = rng.fillUniform(new Float64Array(200_000));
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
    expect(x.reduce((m, v) => Math.min(m, v), 1)).toBeGreaterThanOrEqual(0);
    expect(x.reduce((m, v) => Math.max(m, v), 0)).toBeLessThan(1);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / 12, 3);
  });

  it('draws normals with mean 0, variance 1 and the normal tail mass', () => {
    const rng = Rng.fromSeed(4);
    const x = rng.fillNormal(new Float64Array(200_000));
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
    const beyond2 = x.filter((v) => Math.abs(v) > 2).length / x.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
    expect(Math.abs(beyond2 - 0.0455)).toBeLessThan(0.003);
  });

  it('draws integers below n without bias', () => {
    const rng = Rng.fromSeed(5);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[rng.below(7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    expect(() => rng.below(0)).toThrow(RangeError);
  });

  it('makes permutations that hold every index once and differ by seed', () => {
    const p = Rng.fromSeed(6).permutation(1000);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...Rng.fromSeed(6).permutation(1000)]).toEqual([...p]);
    expect([...Rng.fromSeed(9).permutation(1000)]).not.toEqual([...p]);
  });

  it('rejects a malformed state', () => {
    expect(() => Rng.fromState({ s: [0, 0, 0, 0], spareNormal: null })).toThrow(/all zero/);
    expect(() =>
      Rng.fromState({ s: [1, 2, 3] as unknown as [number, number, number, number], spareNormal: null }),
    ).toThrow(/four uint32/);
  });
});

describe('epochPermutation', () => {
  it('depends only on (seed, epoch)', async () => {
    const { epochPermutation } = await import('./rng.js');
    expect([...epochPermutation(42, 0, 100)]).toEqual([...epochPermutation(42, 0, 100)]);
    expect([...epochPermutation(42, 1, 100)]).not.toEqual([...epochPermutation(42, 0, 100)]);
    expect([...epochPermutation(43, 0, 100)]).not.toEqual([...epochPermutation(42, 0, 100)]);
  });
});

describe('fillNormal', () => {
  it('gives exactly the numbers of repeated normal() calls, spare and state included', () => {
    for (const [seed, n, pre] of [
      [1, 7, 0],
      [2, 8, 1],
      [3, 1, 1],
      [4, 38400, 3],
    ] as const) {
      const a = Rng.fromSeed(seed);
      const b = Rng.fromSeed(seed);
      for (let k = 0; k < pre; k++) expect(a.normal()).toBe(b.normal());
      const fast = a.fillNormal(new Float64Array(n), 0.5, 2);
      const slow = Float64Array.from({ length: n }, () => 0.5 + 2 * b.normal());
      expect(fast).toEqual(slow);
      expect(a.getState()).toEqual(b.getState());
      expect(a.nextUint32()).toBe(b.nextUint32());
    }
  });
});
