import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodePng, gridImage, PipelineError, readFloat32 } from '@wgan/core';
import type { Built } from './figures.js';
import type { MetricRecord } from './inputs.js';
import { lineChart, scatter, stackPanels, type LineChartOptions, type Series, type Spec } from './plots.js';

/**
 * A VAE run's figures (train --model vae writes `<run>/vae/`, see train's vae/diagnostics.ts):
 *   vae-curves.png       the negative ELBO, its reconstruction term and the KL per iteration (training
 *                        batches), and per epoch on the training batches against the whole test set
 *   reconstructions.png  the fixed test batch, each row of originals followed by its reconstructions
 *   latent-scatter.png   (d_z = 2) the test set's latent means μ(x), one mark per class
 *   manifold.png         (d_z = 2) the 20 × 20 decoded manifold
 * All from the newest epoch's files.
 */
export const VAE_FIGURE_FILES = [
  'vae-curves.png',
  'reconstructions.png',
  'latent-scatter.png',
  'manifold.png',
] as const;

const PIXELS = 784;

export interface EpochFile {
  epoch: number;
  path: string;
}

/** The per-epoch figures train-stats.json holds for a VAE (train's VaeEpochDiagnostics). */
export interface VaeEpochFigures {
  epoch: number;
  train: { loss: number; recon: number; kl: number };
  test: { loss: number; recon: number; kl: number };
}

export interface VaeRunFiles {
  dir: string;
  testBatch?: string;
  labels?: string;
  reconstructions?: EpochFile;
  latentMeans?: EpochFile;
  manifold?: EpochFile;
  epochs: VaeEpochFigures[];
}

/** The newest `<prefix>-epoch-NNN.f32` in `dir`. */
function newest(names: string[], dir: string, prefix: string): EpochFile | undefined {
  const pattern = new RegExp(`^${prefix}-epoch-(\\d{3,})\\.f32$`);
  const found = names
    .map((n) => ({ m: pattern.exec(n), n }))
    .filter((x) => x.m)
    .map((x) => ({ epoch: Number(x.m![1]), path: join(dir, x.n) }));
  return found.sort((a, b) => a.epoch - b.epoch).at(-1);
}

const num = (v: unknown) => (typeof v === 'number' ? v : NaN);

/**
 * The VAE files of a run folder, or undefined when it is not a VAE run: no vae/ folder and no VAE
 * metrics (`recon`; a run stopped before its first epoch end has the metrics only).
 */
export async function readVaeRun(
  runDir: string,
  trainStats: unknown,
  records: readonly MetricRecord[] = [],
): Promise<VaeRunFiles | undefined> {
  const dir = join(runDir, 'vae');
  const hasDir = existsSync(dir);
  if (!hasDir && !records.some((r) => Number.isFinite(r.recon))) return undefined;
  const names = hasDir ? await readdir(dir) : [];
  const epochs: VaeEpochFigures[] = [];
  const raw = (trainStats as { epochs?: unknown } | undefined)?.epochs;
  if (Array.isArray(raw)) {
    for (const e of raw as Record<string, Record<string, unknown>>[]) {
      if (!e?.train || !e?.test) continue;
      epochs.push({
        epoch: num(e.epoch),
        train: { loss: num(e.train.loss), recon: num(e.train.recon), kl: num(e.train.kl) },
        test: { loss: num(e.test.loss), recon: num(e.test.recon), kl: num(e.test.kl) },
      });
    }
  }
  return {
    dir,
    ...(names.includes('test-batch.f32') ? { testBatch: join(dir, 'test-batch.f32') } : {}),
    ...(names.includes('test-labels.u8') ? { labels: join(dir, 'test-labels.u8') } : {}),
    reconstructions: newest(names, dir, 'reconstructions'),
    latentMeans: newest(names, dir, 'latent-means'),
    manifold: newest(names, dir, 'manifold'),
    epochs,
  };
}

/** vae-curves.png: loss, reconstruction term and KL per iteration; train vs test per epoch. */
export function vaeCurves(
  records: readonly MetricRecord[],
  epochs: readonly VaeEpochFigures[],
  smooth: LineChartOptions['smooth'],
): Built {
  const perIteration = (name: string, pick: (r: MetricRecord) => number): Series => ({
    name,
    points: records.map((r) => ({ x: r.iteration, y: pick(r) })).filter((p) => Number.isFinite(p.y)),
  });
  const batch = [
    perIteration('−ELBO (loss)', (r) => r.loss),
    perIteration('reconstruction −log p(x|z)', (r) => r.recon),
    perIteration('KL(q(z|x) ‖ p(z))', (r) => r.kl),
  ].filter((s) => s.points.length > 0);
  const panels: Spec[] = [];
  if (batch.length)
    panels.push(
      lineChart({
        series: batch,
        xLabel: 'iteration',
        yLabel: 'nats per image (batch mean)',
        title: 'Training batches',
        legendTitle: 'term',
        smooth,
        xFormat: '~s',
        height: 220,
      }),
    );
  const perEpoch = (name: string, pick: (e: VaeEpochFigures) => number): Series => ({
    name,
    points: epochs.map((e) => ({ x: e.epoch, y: pick(e) })).filter((p) => Number.isFinite(p.y)),
  });
  const epochSeries = [
    perEpoch('−ELBO, train (running mean)', (e) => e.train.loss),
    perEpoch('−ELBO, test set', (e) => e.test.loss),
    perEpoch('KL, train', (e) => e.train.kl),
    perEpoch('KL, test set', (e) => e.test.kl),
  ].filter((s) => s.points.length > 0);
  if (epochSeries.length)
    panels.push(
      lineChart({
        series: epochSeries,
        xLabel: 'epoch',
        yLabel: 'nats per image',
        title: 'Per epoch: training batches against the test set',
        legendTitle: 'figure',
        points: true,
        height: 220,
      }),
    );
  if (panels.length === 0)
    return { skip: 'metrics.jsonl has no finite loss, recon or kl and train-stats.json no VAE epochs' };
  return { spec: stackPanels('VAE: negative ELBO and its terms', panels) };
}

/** Points drawn in latent-scatter.png at most (the first test images; 10,000 take ~30 s to rasterise). */
export const SCATTER_POINTS = 5000;

/**
 * latent-scatter.png: μ(x) of the first SCATTER_POINTS test images [n, 2], coloured by class (draw with `colour:
 * true`).
 */
export function latentScatter(means: Float32Array, labels: Uint8Array, epoch: number): Built {
  const n = labels.length;
  if (means.length !== 2 * n)
    return { skip: `latent means hold ${means.length / 2} points for ${n} labels (not a 2-D latent?)` };
  const shown = Math.min(n, SCATTER_POINTS);
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const groups = classes.map((k) => ({ name: String(k), points: [] as { x: number; y: number }[] }));
  const at = new Map(classes.map((k, i) => [k, i]));
  for (let i = 0; i < shown; i++) groups[at.get(labels[i])!].points.push({ x: means[2 * i], y: means[2 * i + 1] });
  return {
    spec: scatter({
      groups,
      xLabel: 'μ₁',
      yLabel: 'μ₂',
      title: 'Latent means of the test set by class',
      subtitle:
        `${shown === n ? '' : `the first ${shown.toLocaleString('en-US')} of `}${n.toLocaleString('en-US')} ` +
        `test images, epoch ${epoch}`,
      legendTitle: 'digit',
      equalAxes: true,
      pointSize: 10,
      opacity: 0.7,
      colour: true,
    }),
    note: `epoch ${epoch}`,
  };
}

/** The fixed test batch and its reconstructions as rows of `cols`: originals, then their reconstructions. */
export async function reconstructionsPng(
  originals: Float32Array,
  reconstructions: Float32Array,
  cols: number,
  scale: number,
): Promise<Buffer> {
  const n = reconstructions.length / PIXELS;
  if (originals.length < n * PIXELS)
    throw new PipelineError(
      `the test batch holds ${originals.length / PIXELS} images, the reconstructions ${n}`,
      'vae/test-batch.f32',
      'the run folder mixes runs: retrain it',
    );
  const rows = Math.ceil(n / cols);
  const images = new Float32Array(2 * rows * cols * PIXELS).fill(-1);
  for (let r = 0; r < rows; r++) {
    const m = Math.min(cols, n - r * cols);
    images.set(originals.subarray(r * cols * PIXELS, (r * cols + m) * PIXELS), 2 * r * cols * PIXELS);
    images.set(reconstructions.subarray(r * cols * PIXELS, (r * cols + m) * PIXELS), (2 * r + 1) * cols * PIXELS);
  }
  return encodePng(gridImage(images, 2 * rows * cols, { cols, scale, pad: 2 }));
}

export async function readLabels(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}

export async function readManifold(path: string): Promise<{ images: Float32Array; side: number }> {
  const images = await readFloat32(path);
  const side = Math.round(Math.sqrt(images.length / PIXELS));
  if (side * side * PIXELS !== images.length)
    throw new PipelineError(
      `holds ${images.length / PIXELS} images, not a square grid`,
      path,
      'the file is truncated: rerun the training stage',
    );
  return { images, side };
}
