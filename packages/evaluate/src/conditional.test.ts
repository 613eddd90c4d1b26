import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArtifact, Rng, writeArtifact, writeFileAtomic } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { initialValues, Network, writeNetwork, type NetworkSpec } from '@wgan/train';
import { loadClassifier } from './classifier.js';
import { argmaxRows, conditionalGrid, labelAgreement } from './conditional.js';
import { evaluateRun, evaluateSchema } from './evaluate-run.js';
import { writeSyntheticClassifier, writeSyntheticDataset } from './fixtures.test-helpers.js';
import { CHECKPOINT_STAGE } from './run-folder.js';

/**
 * A conditional run (train --conditional) scored by evaluate: a generator built to draw class k's
 * prototype (the synthetic data's bright block of class k) for label k must reach agreement 1; the same
 * generator with its labels shifted by one, agreement 0.
 */
const K = 10;
const DZ = 4;
let root: string;
let dataDir: string;
let classifierDir: string;

/** The synthetic dataset's class k: a bright 6 × 6 block at its own position (fixtures.test-helpers.ts). */
function prototype(k: number): Float32Array {
  const img = new Float32Array(784).fill(-3);
  const top = 2 + 8 * Math.floor(k / 3);
  const left = 2 + 8 * (k % 3);
  for (let y = top; y < top + 6; y++) for (let x = left; x < left + 6; x++) img[y * 28 + x] = 3;
  return img;
}

/** A run folder with one checkpoint whose generator maps [z | onehot(y)] to tanh(prototype(y + shift)). */
async function writeConditionalRun(name: string, shift: number): Promise<string> {
  const runDir = join(root, 'runs', name);
  const generator: NetworkSpec = {
    role: 'generator',
    inputSize: DZ + K,
    outputSize: 784,
    layers: [{ type: 'dense', inputs: DZ + K, units: 784 }, { type: 'tanh' }],
    init: { scheme: 'torch-default' },
  };
  const critic: NetworkSpec = {
    role: 'critic',
    inputSize: 784 + K,
    outputSize: 1,
    layers: [
      { type: 'dense', inputs: 784 + K, units: 16 },
      { type: 'leakyRelu', alpha: 0.2 },
      { type: 'dense', inputs: 16, units: 1 },
    ],
    init: { scheme: 'torch-default' },
  };
  const rng = Rng.fromSeed(3);
  const kernel = new Float32Array((DZ + K) * 784); // z rows 0: the label alone decides the image
  for (let k = 0; k < K; k++) kernel.set(prototype((k + shift) % K), (DZ + k) * 784);
  const gValues = new Map([
    ['0.kernel', kernel],
    ['0.bias', new Float32Array(784)],
  ]);
  const config = {
    name,
    data: dataDir,
    loss: 'gp',
    lambda: 10,
    batchSize: 16,
    seed: 42,
    iterations: 100,
    latentDim: DZ,
    model: 'mlp',
    conditional: true,
    classes: K,
  };
  await writeArtifact(
    join(runDir, 'checkpoints', '00000100'),
    {
      stage: CHECKPOINT_STAGE,
      packageVersion: '0.1.0',
      config,
      meta: { iteration: 100, epoch: 1, model: 'mlp', loss: 'gp', latentDim: DZ, conditional: true, classes: K },
    },
    async (tmp) => {
      await writeNetwork(tmp, 'generator', generator, gValues);
      await writeNetwork(tmp, 'critic', critic, initialValues(critic, rng));
    },
  );
  await writeFileAtomic(join(runDir, 'checkpoints', 'latest'), '00000100\n');
  return runDir;
}

beforeAll(async () => {
  await initBackend('cpu', { quiet: true });
  root = await mkdtemp(join(tmpdir(), 'evaluate-cond-'));
  dataDir = await writeSyntheticDataset(root);
  classifierDir = await writeSyntheticClassifier(root, dataDir);
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const config = (name: string, runDir: string) =>
  evaluateSchema.parse({
    run: name,
    runDir,
    classifier: classifierDir,
    samples: 100,
    samplesPerClass: 20,
    heldOutBatch: 50,
    gpSamples: 32,
    backend: 'cpu',
    out: join(root, 'eval', name),
  });

describe('evaluate on a conditional run', () => {
  it('scores agreement, IS and FD per requested class and overall, with a 10 × 10 grid (row k = class k)', async () => {
    const runDir = await writeConditionalRun('cond', 0);
    const { report, dir } = await evaluateRun(config('cond', runDir));
    const c = report.conditional!;
    expect(c.classes).toBe(K);
    expect(c.samplesPerClass).toBe(20);
    expect(c.agreement.perClass).toEqual(new Array(K).fill(1));
    expect(c.agreement.overall).toBe(1);
    // each class's samples are one confident class: IS near 1; all classes together: near K
    for (const v of c.inceptionScore.perClass) expect(v).toBeLessThan(1.5);
    expect(c.inceptionScore.overall).toBeGreaterThan(5);
    expect(c.frechet.perClass).toHaveLength(K);
    expect(c.testCounts).toEqual(new Array(K).fill(20));
    expect(report.run.latentDim).toBe(DZ);
    // E5, E6 (w.r.t. the image for the fixed label) and E10 apply to a conditional critic
    expect(report.E5).not.toBeNull();
    expect(report.E6!.gradNormMean).toBeGreaterThan(0);
    expect(report.E10).not.toBeNull();
    expect(report.notes.conditional).toMatch(/with respect to the image for the fixed label/);
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('Class-conditional samples');
    expect(md).toContain('conditional-grid.png');
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toContain('id="fig-conditional-grid"');
    const artifact = await readArtifact(dir, { stage: 'evaluate' });
    expect(Object.keys(artifact.manifest.files)).toContain('conditional-grid.png');
    const png = await readFile(join(dir, 'conditional-grid.png'));
    // IHDR: width and height, big-endian, at bytes 16 and 20 — the square 10 × 10 grid
    expect(png.readUInt32BE(16)).toBe(png.readUInt32BE(20));
    expect(png.readUInt32BE(16)).toBeGreaterThan(10 * 28);
  }, 180_000);

  it('a generator that draws the wrong class for every label has agreement 0', async () => {
    const runDir = await writeConditionalRun('cond-shifted', 1);
    const { report } = await evaluateRun(config('cond-shifted', runDir));
    expect(report.conditional!.agreement.overall).toBe(0);
  }, 180_000);

  it("the grid's row k is classified as class k", async () => {
    const { classifier } = await loadClassifier(classifierDir);
    const kernel = new Float32Array((DZ + K) * 784);
    for (let k = 0; k < K; k++) kernel.set(prototype(k), (DZ + k) * 784);
    const generator = Network.fromValues(
      {
        role: 'generator',
        inputSize: DZ + K,
        outputSize: 784,
        layers: [{ type: 'dense', inputs: DZ + K, units: 784 }, { type: 'tanh' }],
        init: { scheme: 'torch-default' },
      },
      new Map([
        ['0.kernel', kernel],
        ['0.bias', new Float32Array(784)],
      ]),
    );
    const grid = await conditionalGrid({
      generator,
      classes: K,
      latentDim: DZ,
      latents: (_seed, _purpose, count) => Rng.fromSeed(1).fillNormal(new Float32Array(count)),
      seed: 42,
    });
    const { probs } = await classifier.classify(grid.images, 100, { features: false });
    const predicted = argmaxRows(probs);
    expect(Array.from(predicted)).toEqual(Array.from(grid.labels));
    expect(Array.from(grid.labels.subarray(30, 40))).toEqual(new Array(10).fill(3));
    expect(labelAgreement(predicted, grid.labels, K).overall).toBe(1);
    generator.dispose();
    classifier.dispose();
  }, 120_000);
});
