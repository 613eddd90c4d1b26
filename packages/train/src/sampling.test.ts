import { describe, expect, it } from 'vitest';
import { epochPermutation } from '@wgan/core';
import { BatchSampler } from './sampling.js';

describe('BatchSampler', () => {
  it('shuffles each epoch with epochPermutation(seed, epoch) and drops the partial batch', () => {
    const s = new BatchSampler(10, 3, 7);
    const epoch0 = [s.next(), s.next(), s.next()].flatMap((b) => [...b]);
    expect(epoch0).toEqual([...epochPermutation(7, 0, 10).slice(0, 9)]);
    expect([...s.next()]).toEqual([...epochPermutation(7, 1, 10).slice(0, 3)]);
    expect(s.position).toEqual({ epoch: 1, batch: 1 });
  });

  it(
    'walks the rows in stored order without shuffling, starting over ' +
      'at 0 when a full batch no longer fits (seed 004 DataManager)',
    () => {
      const s = new BatchSampler(10, 4, 7, undefined, { shuffle: false });
      expect([s.next(), s.next(), s.next(), s.next()].map((b) => [...b])).toEqual([
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [0, 1, 2, 3],
        [4, 5, 6, 7],
      ]);
      expect(s.completedEpochs).toBe(2);
    },
  );

  it('resumes a sequential walk from its position', () => {
    const s = new BatchSampler(12, 4, 1, { epoch: 3, batch: 2 }, { shuffle: false });
    expect([...s.next()]).toEqual([8, 9, 10, 11]);
    expect([...s.next()]).toEqual([0, 1, 2, 3]);
  });

  it('with replacement: batches repeat rows, cover the data uniformly, and resume exactly from their position', () => {
    const n = 50;
    const s = new BatchSampler(n, 10, 3, undefined, { replacement: true });
    const batches = Array.from({ length: 400 }, () => [...s.next()]);
    // with replacement a batch of 10 from 50 rows holds a repeated row with probability 1 − 50!/(40!·50¹⁰) ≈ 0.62
    const withRepeats = batches.filter((b) => new Set(b).size < b.length).length;
    expect(withRepeats).toBeGreaterThan(150);
    const counts = new Array<number>(n).fill(0);
    for (const b of batches) for (const i of b) counts[i]++;
    expect(Math.min(...counts)).toBeGreaterThan(40); // 4,000 draws, 80 expected per row
    expect(Math.max(...counts)).toBeLessThan(125);
    expect(s.position).toEqual({ epoch: 79, batch: 5 }); // 5 batches per "epoch"
    const resumed = new BatchSampler(n, 10, 3, { epoch: 2, batch: 3 }, { replacement: true });
    expect([...resumed.next()]).toEqual(batches[2 * 5 + 3]);
    expect([...new BatchSampler(n, 10, 4, undefined, { replacement: true }).next()]).not.toEqual(batches[0]);
  });
});
