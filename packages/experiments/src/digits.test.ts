import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digitSubsetDir, loadDigitSubset, toSignedRange, toUnitRange } from './digits.js';

/** MNIST's training-set class counts (LeCun et al.; data-prep's E1) and test-set counts. */
const TRAIN = { 0: 5923, 3: 6131 };
const TEST = { 0: 980, 3: 1010 };

let root: string;
const saved = process.env.WGAN_ARTIFACTS;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'experiments-digits-'));
  process.env.WGAN_ARTIFACTS = root;
});
afterAll(async () => {
  if (saved === undefined) delete process.env.WGAN_ARTIFACTS;
  else process.env.WGAN_ARTIFACTS = saved;
  await rm(root, { recursive: true, force: true });
});

const count = (labels: Uint8Array, d: number) => labels.reduce((n, l) => n + (l === d ? 1 : 0), 0);

describe('the seed 004 digit subsets, made by data-prep from the real MNIST files', () => {
  it("[0, 3] holds exactly MNIST's zeros and threes, in both splits", async () => {
    const ds = await loadDigitSubset([3, 0]);
    expect(ds.artifact.dir).toBe(digitSubsetDir([0, 3]));
    expect(ds.artifact.dir.endsWith('mnist-digits-0-3')).toBe(true);
    expect(ds.train.count).toBe(TRAIN[0] + TRAIN[3]);
    expect(count(ds.train.labels, 0)).toBe(TRAIN[0]);
    expect(count(ds.train.labels, 3)).toBe(TRAIN[3]);
    expect(ds.test.count).toBe(TEST[0] + TEST[3]);
    expect(count(ds.test.labels, 3)).toBe(TEST[3]);
  }, 120_000);

  it("[3] holds MNIST's 6,131 training threes and is read back (not remade) the second time", async () => {
    const first = await loadDigitSubset([3]);
    expect(first.train.count).toBe(TRAIN[3]);
    expect(first.train.labels.every((l) => l === 3)).toBe(true);
    const again = await loadDigitSubset([3]);
    expect(again.artifact.manifest.createdAt).toBe(first.artifact.manifest.createdAt);
  }, 120_000);
});

describe('pixel scales', () => {
  it("maps [−1, 1] to the seed's [0, 1] (p/255) and back, clamping the generator's linear output", () => {
    expect([...toUnitRange(Float32Array.from([-1, 0, 1]))]).toEqual([0, 0.5, 1]);
    expect([...toSignedRange(Float32Array.from([-0.2, 0.25, 1.7]))]).toEqual([-1, -0.5, 1]);
  });
});
