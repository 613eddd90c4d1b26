import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeGray, PipelineError, readArtifact, writeArtifact, writeFloat32, type Logger } from '@wgan/core';
import { renderSchema, type RenderConfig } from './config.js';
import { stripLayout } from './grids.js';
import { renderRun, type RenderIndex } from './render-run.js';

const PIXELS = 784;
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'render-run-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function images(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n * PIXELS }, (_, i) => Math.tanh(Math.sin(i * 0.113 + seed) * 2));
}

/** A tiny train run: 20 metrics lines, snapshots at iterations 0 and 20, train-stats.json. */
async function fillRun(dir: string, options: { norms?: boolean } = {}): Promise<void> {
  const lines = Array.from({ length: 20 }, (_, k) => {
    const iteration = k + 1;
    const dReal = 1 + 0.05 * k;
    const dFake = -1 + 0.03 * k;
    return JSON.stringify({
      iteration,
      epoch: 0,
      lossD: dFake - dReal + 0.4,
      lossG: -dFake,
      dReal,
      dFake,
      wassersteinGap: dReal - dFake,
      gp: 0.4 - 0.01 * k,
      gradNormMean: 1.2 - 0.01 * k,
      gradNormStd: 0.1,
      clipFraction: null,
      lossDRunning: null,
      lossGRunning: null,
      gpRunning: null,
      wallMs: 500,
      backend: 'wasm',
    });
  });
  await writeFile(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
  await mkdir(join(dir, 'snapshots'));
  await writeFloat32(join(dir, 'snapshots', 'iter-00000000.f32'), images(64, 0));
  await writeFloat32(join(dir, 'snapshots', 'iter-00000020.f32'), images(64, 1));
  const stats = {
    E3: { nG: 1, nD: 1 },
    E6: [
      {
        gBar: 1,
        sG: 0.1,
        gp: 0.1,
        ...(options.norms ? { norms: Array.from({ length: 256 }, (_, i) => 1 + 0.2 * Math.sin(i)) } : {}),
      },
    ],
  };
  await writeFile(join(dir, 'train-stats.json'), JSON.stringify(stats));
}

async function makeRun(options: { complete?: boolean; norms?: boolean } = {}): Promise<string> {
  const dir = join(root, 'runs', 'tiny');
  if (options.complete === false) {
    await mkdir(dir, { recursive: true });
    await fillRun(dir, options);
  } else {
    await writeArtifact(dir, { stage: 'train', packageVersion: '0.1.0', config: {} }, (tmp) => fillRun(tmp, options));
  }
  return dir;
}

async function makeEval(): Promise<string> {
  const dir = join(root, 'eval', 'tiny');
  await writeArtifact(dir, { stage: 'evaluate', packageVersion: '0.1.0', config: {} }, async (tmp) => {
    await writeFloat32(join(tmp, 'samples.f32'), images(100, 2));
    await writeFloat32(join(tmp, 'traversal.f32'), images(10, 3));
    const report = {
      E1: null,
      inceptionScore: { fake: { mean: 7.5, std: 0.1 }, realTest: 9.8 },
      frechet: { fakeVsTest: 20, trainVsTest: 0.4 },
      classifier: { testAccuracy: 0.99 },
      classHistogram: {
        fake: [12, 8, 10, 10, 10, 10, 10, 10, 10, 10],
        realTest: [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
      },
      run: { model: 'mlp', loss: 'wgan-gp', iterations: 20, backend: 'wasm', checkpoint: 20 },
      checkpoints: [
        { iteration: 10, inceptionScore: { mean: 4, std: 0.2 }, frechet: 60, wassersteinGap: 3 },
        { iteration: 20, inceptionScore: { mean: 7.5, std: 0.1 }, frechet: 20, wassersteinGap: 1.5 },
      ],
      traversal: { index: 5, values: Array.from({ length: 10 }, (_, k) => -2 + (4 * k) / 9), file: 'traversal.f32' },
      samples: { file: 'samples.f32', count: 100 },
    };
    await writeFile(join(tmp, 'report.json'), JSON.stringify(report));
  });
  return dir;
}

function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (m: string) => void lines.push(m);
  return { lines, debug: log, info: log, warn: log, error: log };
}

function config(overrides: Partial<RenderConfig> = {}): RenderConfig {
  return renderSchema.parse({
    run: 'tiny',
    runDir: join(root, 'runs', 'tiny'),
    evalDir: join(root, 'eval', 'tiny'),
    out: join(root, 'render', 'tiny'),
    stripPerRow: 8,
    plotScale: 1,
    ...overrides,
  });
}

const TRAIN_FIGURES = [
  'grid-8x8.png',
  'snapshots-strip.png',
  'curves-losses.png',
  'curves-wasserstein.png',
  'grad-norm-hist.png',
];
const EVAL_FIGURES = ['grid-10x10.png', 'traversal.png', 'eval-curves.png', 'class-histogram.png'];

async function expectGrayPng(path: string): Promise<{ width: number; height: number }> {
  const meta = await sharp(path).metadata();
  expect([meta.format, meta.channels]).toEqual(['png', 1]);
  return { width: meta.width!, height: meta.height! };
}

describe('renderRun', () => {
  it('draws every training figure of a run without evaluation, skipping the evaluation ones with a log line', async () => {
    const runDir = await makeRun();
    const logger = collectingLogger();
    const { artifact, index } = await renderRun(config(), { logger });

    const verified = await readArtifact(artifact.dir, { stage: 'render' });
    const files = (await readdir(artifact.dir)).filter((f) => f !== 'manifest.json').sort();
    expect(files).toEqual([...TRAIN_FIGURES, 'index.json'].sort());
    expect(Object.keys(verified.manifest.files).sort()).toEqual(files);
    const run = await readArtifact(runDir);
    expect(verified.manifest.parents).toEqual([{ stage: 'train', path: runDir, manifestSha256: run.manifestSha256 }]);

    const written: RenderIndex = JSON.parse(await readFile(join(artifact.dir, 'index.json'), 'utf8'));
    expect(written).toEqual(index);
    expect(index.figures.map((f) => f.file).sort()).toEqual([...TRAIN_FIGURES].sort());
    expect(index.skipped.map((s) => s.file).sort()).toEqual([...EVAL_FIGURES].sort());
    for (const f of EVAL_FIGURES)
      expect(logger.lines.some((l) => l.startsWith(`skip ${f}: no evaluation report`))).toBe(true);
    expect(index.figures.find((f) => f.file === 'grad-norm-hist.png')?.note).toBe('from metrics.jsonl gradNormMean');

    for (const f of TRAIN_FIGURES) await expectGrayPng(join(artifact.dir, f));
    // The 8×8 grid is the final snapshot (iteration 20) at tile scale 2.
    const grid = await decodeGray(await readFile(join(artifact.dir, 'grid-8x8.png')));
    expect([grid.width, grid.height]).toEqual([8 * 58 + 2, 8 * 58 + 2]);
    const last = images(64, 1);
    expect(grid.pixels[2 * grid.width + 2]).toBe(Math.round((last[0] + 1) * 127.5));
    // The strip has one row per snapshot (two).
    const strip = await expectGrayPng(join(artifact.dir, 'snapshots-strip.png'));
    const layout = stripLayout(2, 8, { scale: 2, title: 'x' });
    expect(strip).toEqual({ width: layout.width, height: layout.height });
  });

  it('adds the evaluation figures when a report is present, with both manifests as parents', async () => {
    await makeRun({ norms: true });
    const evalDir = await makeEval();
    const { artifact, index } = await renderRun(config({ svg: true }), { logger: collectingLogger() });
    expect(index.skipped).toEqual([]);
    expect(index.figures.map((f) => f.file).sort()).toEqual([...TRAIN_FIGURES, ...EVAL_FIGURES].sort());
    const verified = await readArtifact(artifact.dir, { stage: 'render' });
    const evalArtifact = await readArtifact(evalDir);
    expect(verified.manifest.parents.map((p) => p.stage)).toEqual(['train', 'evaluate']);
    expect(verified.manifest.parents[1].manifestSha256).toBe(evalArtifact.manifestSha256);
    expect(index.figures.find((f) => f.file === 'grad-norm-hist.png')?.note).toBe('from train-stats.json E6[0].norms');

    const g10 = await decodeGray(await readFile(join(artifact.dir, 'grid-10x10.png')));
    expect([g10.width, g10.height]).toEqual([10 * 58 + 2, 10 * 58 + 2]);
    await expectGrayPng(join(artifact.dir, 'traversal.png'));
    const evalSvg = await readFile(join(artifact.dir, 'eval-curves.svg'), 'utf8');
    for (const s of [
      'inception score (1…10)',
      'real test set',
      'train vs test (floor)',
      'checkpoint (generator iteration)',
    ])
      expect(evalSvg).toContain(s);
    const lossSvg = await readFile(join(artifact.dir, 'curves-losses.svg'), 'utf8');
    for (const s of ['L_D (critic)', 'L_G (generator)', 'generator iteration', 'loss (critic output units)'])
      expect(lossSvg).toContain(s);
  });

  it('renders an unfinished run (no manifest) without recording a parent', async () => {
    await makeRun({ complete: false });
    const logger = collectingLogger();
    const { artifact } = await renderRun(config(), { logger });
    expect((await readArtifact(artifact.dir)).manifest.parents).toEqual([]);
    expect(logger.lines.some((l) => l.includes('no manifest.json'))).toBe(true);
  });

  it('stops on damaged input without writing anything, and names a missing run folder', async () => {
    const runDir = await makeRun({ complete: false });
    await writeFile(join(runDir, 'metrics.jsonl'), '{"iteration":1,"lossD":1}\nnot json\n{"iteration":3}\n');
    await expect(renderRun(config(), { logger: collectingLogger() })).rejects.toThrow(/line 2 is not valid JSON/);
    expect(existsSync(join(root, 'render'))).toBe(false);
    const missing = renderRun(config({ runDir: join(root, 'nope') }), { logger: collectingLogger() });
    await expect(missing).rejects.toBeInstanceOf(PipelineError);
    await expect(missing).rejects.toThrow(/run folder not found/);
  });
});

describe('renderRun on a VAE run (train --model vae, d_z = 2)', () => {
  it('draws the VAE curves, reconstructions, latent scatter and manifold, and skips the critic figures', async () => {
    const dir = join(root, 'runs', 'tiny');
    await writeArtifact(dir, { stage: 'train', packageVersion: '0.1.0', config: {} }, async (tmp) => {
      const lines = Array.from({ length: 20 }, (_, k) =>
        JSON.stringify({
          iteration: k + 1,
          epoch: Math.floor(k / 10),
          loss: 200 - 3 * k,
          recon: 190 - 3 * k,
          kl: 10 + 0.1 * k,
          bce: 190 - 3 * k,
          logC: 1000,
          lossRunning: 190,
          reconRunning: 180,
          klRunning: 10,
          bceRunning: 180,
          wallMs: 100,
          msPerIter: 5,
          backend: 'wasm',
        }),
      );
      await writeFile(join(tmp, 'metrics.jsonl'), `${lines.join('\n')}\n`);
      await mkdir(join(tmp, 'snapshots'));
      await writeFloat32(join(tmp, 'snapshots', 'iter-00000020.f32'), images(64, 1));
      const epochs = [0, 1].map((e) => ({
        epoch: e,
        iteration: 10 * (e + 1),
        summary: {},
        train: { loss: 190 - 20 * e, recon: 180 - 20 * e, kl: 10, bce: 180 },
        test: { count: 50, loss: 185 - 20 * e, recon: 175, kl: 10, bce: 175, logC: 1000 },
        files: [],
      }));
      await writeFile(join(tmp, 'train-stats.json'), JSON.stringify({ E3: { nG: 1, nD: 1 }, E4: null, epochs }));
      await mkdir(join(tmp, 'vae'));
      await writeFloat32(join(tmp, 'vae', 'test-batch.f32'), images(16, 4));
      await writeFloat32(join(tmp, 'vae', 'reconstructions-epoch-000.f32'), images(16, 5));
      await writeFloat32(join(tmp, 'vae', 'reconstructions-epoch-001.f32'), images(16, 6));
      await writeFile(
        join(tmp, 'vae', 'test-labels.u8'),
        Uint8Array.from({ length: 50 }, (_, i) => i % 10),
      );
      await writeFloat32(
        join(tmp, 'vae', 'latent-means-epoch-001.f32'),
        Float32Array.from({ length: 100 }, (_, i) => Math.sin(i)),
      );
      await writeFloat32(join(tmp, 'vae', 'manifold-epoch-001.f32'), images(400, 7));
    });
    const { artifact, index } = await renderRun(config({ evalDir: join(root, 'eval', 'none') }), {
      logger: collectingLogger(),
    });
    expect(index.figures.map((f) => f.file)).toEqual([
      'grid-8x8.png',
      'snapshots-strip.png',
      'vae-curves.png',
      'reconstructions.png',
      'latent-scatter.png',
      'manifold.png',
    ]);
    for (const f of ['curves-losses.png', 'curves-wasserstein.png', 'grad-norm-hist.png'])
      expect(index.skipped.find((s) => s.file === f)?.reason).toMatch(/VAE run has no critic/);
    expect(index.figures.find((f) => f.file === 'reconstructions.png')?.title).toMatch(/epoch 1/);
    expect(await expectGrayPng(join(artifact.dir, 'manifold.png'))).toEqual({ width: 560, height: 560 });
    // the manifold is drawn pixel for pixel: tile (0, 0) is the first image
    const manifold = await decodeGray(await readFile(join(artifact.dir, 'manifold.png')));
    expect(manifold.pixels[0]).toBe(Math.round((images(400, 7)[0] + 1) * 127.5));
    // reconstructions: 16 images in rows of 8 → 2 rows of originals + 2 of reconstructions, tile scale 2
    expect(await expectGrayPng(join(artifact.dir, 'reconstructions.png'))).toEqual({
      width: 8 * 58 + 2,
      height: 4 * 58 + 2,
    });
    const scatterMeta = await sharp(join(artifact.dir, 'latent-scatter.png')).metadata();
    expect([scatterMeta.format, scatterMeta.channels]).toEqual(['png', 3]); // coloured by class
    await expectGrayPng(join(artifact.dir, 'vae-curves.png'));
  });
});

describe('cli', () => {
  const pkgDir = dirname(dirname(fileURLToPath(import.meta.url)));
  const tsx = join(pkgDir, '..', '..', 'node_modules', '.bin', 'tsx');
  const cli = join(pkgDir, 'src', 'cli.ts');
  const run = (args: string[]) =>
    promisify(execFile)(tsx, [cli, ...args], { env: { ...process.env, WGAN_ARTIFACTS: root } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('exits 2 with the error and a fix line when the run folder is missing', async () => {
    const bad = await run(['--run', 'absent']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error: run folder not found \(.*runs\/absent\)\n\s+fix: /);
  });
});
