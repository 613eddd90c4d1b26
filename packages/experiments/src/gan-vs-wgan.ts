import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import {
  artifactPaths,
  artifactsRoot,
  gridImage,
  parentRef,
  readArtifact,
  writeArtifact,
  type GrayImage,
  type Logger,
} from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { barChart, labelledPng, lineChart, stackPanels, type Label, type Spec } from '@wgan/render';
import { denseStack, type IterationStats, type NetworkSpec } from '@wgan/train';
import { accuracyOn, digitClassifier, type DigitClassifier } from './classify.js';
import type { GanVsWganConfig } from './config.js';
import { loadDigitSubset, loadMnist, normalizeDigits, toSignedRange, toUnitRange } from './digits.js';
import { writeJson, writePng } from './figures.js';
import { GanSession } from './gan-session.js';
import { cpuSecondsSince, round } from './stats.js';
import pkg from '../package.json' with { type: 'json' };

/**
 * Seed 004, §2: "WGAN vs the standard GAN" with deliberately generic networks (two hidden layers of 100
 * ReLU units, no batch norm), on MNIST digits [3] and [0, 3] in [0, 1]. Both methods go through train's
 * GAN step: the WGAN with weight clipping (`clip`), the standard GAN with a sigmoid discriminator, BCE,
 * and the original saturating generator loss log(1 − D(G(z))) (`bce-saturating`; the sigmoid sits inside
 * the loss, in its stable log-sigmoid form). RMSprop with PyTorch's defaults for everything.
 */
export const GAN_VS_WGAN_STAGE = 'experiments-gan-vs-wgan';
export type Method = 'wgan' | 'gan';
const PIXELS = 784;

/** The seed's Generator: z(64) → 100 → 100 → 784, ReLU, linear output; weights N(0, 0.1²), biases 0. */
export function seed004Generator(latentDim: number, hidden: number, std: number): NetworkSpec {
  return {
    role: 'generator',
    inputSize: latentDim,
    outputSize: PIXELS,
    layers: denseStack([latentDim, hidden, hidden, PIXELS], { type: 'relu' }, null),
    init: { scheme: 'normal', std },
  };
}

/**
 * The seed's WganDiscriminator (std 0.1·c) and VanillaDiscriminator (std 0.01): 784 → 100 → 100 → 1,
 * ReLU, linear output (the vanilla one's sigmoid is applied inside the BCE loss).
 */
export function seed004Critic(hidden: number, std: number, role: 'critic' | 'discriminator'): NetworkSpec {
  return {
    role,
    inputSize: PIXELS,
    outputSize: 1,
    layers: denseStack([PIXELS, hidden, hidden, 1], { type: 'relu' }, null),
    init: { scheme: 'normal', std },
  };
}

export interface MethodRun {
  method: Method;
  digits: number[];
  iterations: number;
  nCritic: number;
  /**
   * Per generator iteration: WGAN — the critic's estimate −L_D = E[D(x)] − E[D(G(z))] (mean over its critic steps); GAN
   * — L_D (BCE) and L_G = E[log(1 − D(G(z)))].
   */
  curve: { iteration: number; lossD: number; lossG: number }[];
  /** 9 samples for the 3×3 grid, [9, 784] in [0, 1]. */
  grid: Float32Array;
  /** Null when no classifier is given (tests). */
  histogram: ModeHistogram | null;
  seconds: number;
  finite: boolean;
}

export interface ModeHistogram {
  samples: number;
  /** Share of samples the classifier assigns to each digit it knows. */
  shares: Record<string, number>;
  /** Share assigned to digits outside the subset (possible only with the ten-class classifier). */
  outsideShare: number;
  /** Share with classifier confidence below 0.9. */
  lowConfidenceShare: number;
  /** Subset digits that receive at least 10% of the samples. */
  modesCovered: number[];
}

export async function modeHistogram(
  classifier: DigitClassifier,
  images01: Float32Array,
  count: number,
  subset: number[],
): Promise<ModeHistogram> {
  const signed = toSignedRange(images01);
  const finite = signed.every(Number.isFinite);
  if (!finite)
    return {
      samples: count,
      shares: Object.fromEntries(classifier.digits.map((d) => [String(d), 0])),
      outsideShare: 0,
      lowConfidenceShare: 1,
      modesCovered: [],
    };
  const { digits, confidence } = await classifier.classify(signed, count);
  const shares: Record<string, number> = Object.fromEntries(classifier.digits.map((d) => [String(d), 0]));
  let low = 0;
  for (let i = 0; i < count; i++) {
    shares[String(digits[i])] += 1 / count;
    if (confidence[i] < 0.9) low++;
  }
  const outsideShare = classifier.digits.filter((d) => !subset.includes(d)).reduce((s, d) => s + shares[String(d)], 0);
  return {
    samples: count,
    shares: Object.fromEntries(Object.entries(shares).map(([k, v]) => [k, round(v)])),
    outsideShare: round(outsideShare),
    lowConfidenceShare: round(low / count),
    modesCovered: subset.filter((d) => shares[String(d)] >= 0.1),
  };
}

/** Trains one method on one subset (the seed's `wgan(...)` or `vanilla_gan(...)` after `data.reset()`). */
export async function trainMethod(
  config: GanVsWganConfig,
  method: Method,
  digits: number[],
  data01: Float32Array,
  schedule: { iterations: number; nCritic: number },
  classifier: DigitClassifier | null,
  logger?: Logger,
): Promise<MethodRun> {
  const t0 = performance.now();
  const rms = { type: 'rmsprop' as const, lr: config.lr, alpha: config.alpha, eps: config.eps };
  // `first-batch` is seed 004's get_batch as printed (its cursor never advances): the first B rows, every time.
  const data = config.dataOrder === 'first-batch' ? data01.subarray(0, config.batchSize * PIXELS) : data01;
  const session = await GanSession.create({
    generator: seed004Generator(config.latentDim, config.hidden, config.generatorInitStd),
    critic:
      method === 'wgan'
        ? seed004Critic(config.hidden, 0.1 * config.clipValue, 'critic')
        : seed004Critic(config.hidden, config.ganDiscriminatorInitStd, 'discriminator'),
    data,
    loss: method === 'wgan' ? 'clip' : 'bce-saturating',
    clipValue: config.clipValue,
    nCritic: schedule.nCritic,
    batchSize: config.batchSize,
    optimizerG: rms,
    optimizerD: rms,
    seed: config.seed,
    shuffle: config.dataOrder === 'shuffled',
  });
  const curve: MethodRun['curve'] = [];
  try {
    await session.train(schedule.iterations, {
      readEvery: config.readEvery,
      onStats: (iteration: number, s: IterationStats) => curve.push({ iteration, lossD: s.lossD, lossG: s.lossG }),
    });
    const samples = await session.sample(Math.max(9, config.histogramSamples));
    const finite = samples.every(Number.isFinite);
    const histogram = classifier ? await modeHistogram(classifier, samples, config.histogramSamples, digits) : null;
    const run: MethodRun = {
      method,
      digits,
      iterations: schedule.iterations,
      nCritic: schedule.nCritic,
      curve,
      grid: samples.slice(0, 9 * PIXELS),
      histogram,
      seconds: (performance.now() - t0) / 1000,
      finite,
    };
    logger?.info(`gan-vs-wgan: ${method} on [${digits}]`, {
      iterations: schedule.iterations,
      nCritic: schedule.nCritic,
      seconds: round(run.seconds, 1),
      finite,
      ...(histogram ? { modes: histogram.modesCovered.join(',') || 'none', ...histogram.shares } : {}),
    });
    return run;
  } finally {
    session.dispose();
  }
}

export interface SubsetResult {
  digits: number[];
  trainCount: number;
  classifier: { kind: DigitClassifier['kind']; source: string; testAccuracy: number; digits: number[] };
  realHistogram: ModeHistogram;
  real: Float32Array;
  runs: Record<Method, MethodRun>;
}

export interface GanVsWganResult {
  dir: string;
  subsets: SubsetResult[];
  seconds: number;
  cpuSeconds: number;
  backend: string;
}

const subsetId = (digits: number[]) => digits.join('-');

export async function runGanVsWgan(
  config: GanVsWganConfig,
  options: { logger: Logger; out?: string },
): Promise<GanVsWganResult> {
  const { logger } = options;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const backend = await initBackend(config.backend, { quiet: true });
  logger.info('gan-vs-wgan: backend', { name: backend.name, device: backend.device });
  const subsets: SubsetResult[] = [];
  const parents = [];
  const classifier = await digitClassifier(
    config.classifier,
    async () => {
      const mnist = await loadMnist({ logger });
      parents.push(parentRef(mnist.artifact, artifactsRoot()));
      return mnist.train;
    },
    logger,
  );
  if (classifier.kind === 'cached')
    parents.push(parentRef(await readArtifact(classifier.source, { stage: 'classifier' }), artifactsRoot()));
  try {
    for (const s of config.subsets) {
      const digits = normalizeDigits(s.digits);
      const dataset = await loadDigitSubset(digits, { logger });
      parents.push(parentRef(dataset.artifact, artifactsRoot()));
      const data01 = toUnitRange(dataset.train.images);
      const about = {
        kind: classifier.kind,
        source: classifier.source,
        testAccuracy: round(await accuracyOn(classifier, dataset.test)),
        digits: classifier.digits,
      };
      const realHistogram = await modeHistogram(
        classifier,
        toUnitRange(dataset.test.images),
        dataset.test.count,
        digits,
      );
      const runs = {
        wgan: await trainMethod(config, 'wgan', digits, data01, s.wgan, classifier, logger),
        gan: await trainMethod(config, 'gan', digits, data01, s.gan, classifier, logger),
      };
      subsets.push({
        digits,
        trainCount: dataset.train.count,
        classifier: about,
        realHistogram,
        real: data01.slice(0, 9 * PIXELS),
        runs,
      });
    }
  } finally {
    classifier.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu0);
  const dir = options.out ?? artifactPaths.experiments('gan-vs-wgan');
  await writeArtifact(
    dir,
    {
      stage: GAN_VS_WGAN_STAGE,
      packageVersion: pkg.version,
      config,
      parents,
      meta: { backend: backend.name, seconds: round(seconds, 1), cpuSeconds: round(cpuSeconds, 1) },
    },
    async (tmp) => {
      const figures: string[] = [];
      for (const sub of subsets) {
        const id = subsetId(sub.digits);
        await writeFile(join(tmp, `samples-${id}.png`), await samplesFigure(sub));
        figures.push(`samples-${id}.png`);
        figures.push(await writePng(tmp, `curves-${id}.png`, curvesFigure(sub)));
        figures.push(await writePng(tmp, `modes-${id}.png`, modesFigure(sub, config)));
      }
      await writeJson(join(tmp, 'result.json'), {
        experiment: 'gan-vs-wgan',
        seed: 'The Mathematical Engineering of Deep Learning (seed 004), §2',
        backend: backend.name,
        seconds: round(seconds, 1),
        cpuSeconds: round(cpuSeconds, 1),
        dataOrder: config.dataOrder,
        subsets: subsets.map((sub) => ({
          digits: sub.digits,
          trainCount: sub.trainCount,
          classifier: sub.classifier,
          realTestHistogram: sub.realHistogram,
          methods: Object.fromEntries(
            (['wgan', 'gan'] as const).map((m) => {
              const r = sub.runs[m];
              const tail = r.curve.slice(-Math.max(1, Math.floor(r.curve.length / 10)));
              return [
                m,
                {
                  iterations: r.iterations,
                  nCritic: r.nCritic,
                  seconds: round(r.seconds, 1),
                  finiteSamples: r.finite,
                  final:
                    m === 'wgan'
                      ? { criticEstimate: round(-mean(tail.map((c) => c.lossD))) }
                      : {
                          lossD: round(mean(tail.map((c) => c.lossD))),
                          lossG: round(mean(tail.map((c) => c.lossG))),
                          saturatedFromIteration: saturatedFrom(r.curve),
                        },
                  histogram: r.histogram,
                  curve: r.curve.map((c) => ({
                    iteration: c.iteration,
                    lossD: round(c.lossD, 5),
                    lossG: round(c.lossG, 5),
                  })),
                },
              ];
            }),
          ),
        })),
        figures,
      });
    },
  );
  return { dir, subsets, seconds, cpuSeconds, backend: backend.name };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Real, WGAN and GAN 3×3 grids side by side, captioned (the seed's `generate_and_plot`, grid_size = 3). */
async function samplesFigure(sub: SubsetResult): Promise<Buffer> {
  const panels: { label: string; image: GrayImage }[] = [
    { label: 'real', image: gridImage(toSignedRange(sub.real), 9, { cols: 3, scale: 3, pad: 2 }) },
    {
      label: `WGAN (${sub.runs.wgan.iterations}×${sub.runs.wgan.nCritic})`,
      image: gridImage(toSignedRange(sub.runs.wgan.grid), 9, { cols: 3, scale: 3, pad: 2 }),
    },
    {
      label: `GAN (${sub.runs.gan.iterations}×${sub.runs.gan.nCritic})`,
      image: gridImage(toSignedRange(sub.runs.gan.grid), 9, { cols: 3, scale: 3, pad: 2 }),
    },
  ];
  const gap = 24;
  const top = 48;
  const w = panels[0].image.width;
  const h = panels[0].image.height;
  const width = panels.length * w + (panels.length + 1) * gap;
  const canvas: GrayImage = {
    width,
    height: top + h + gap / 2,
    pixels: new Uint8Array(width * (top + h + gap / 2)).fill(255),
  };
  const labels: Label[] = [
    { text: `MNIST digits [${sub.digits.join(', ')}]: real vs generated`, x: gap, y: 20, size: 15, bold: true },
  ];
  panels.forEach((p, k) => {
    const left = gap + k * (w + gap);
    for (let y = 0; y < h; y++)
      canvas.pixels.set(p.image.pixels.subarray(y * w, (y + 1) * w), (top + y) * width + left);
    labels.push({ text: p.label, x: left + w / 2, y: top - 8, anchor: 'middle', size: 13 });
  });
  return labelledPng(canvas, labels);
}

/**
 * Losses span many decades (a clipped critic at c = 1 scores in the thousands; a saturated D reaches 0), so both panels
 * use log axes.
 */
const FLOOR = 1e-7;

/** First iteration from which both GAN losses stay at (float32) zero to the end: the discriminator has saturated. */
export function saturatedFrom(curve: MethodRun['curve'], tolerance = 1e-6): number | null {
  let k = curve.length;
  while (k > 0 && Math.abs(curve[k - 1].lossD) <= tolerance && Math.abs(curve[k - 1].lossG) <= tolerance) k--;
  return k < curve.length ? curve[k].iteration : null;
}

function curvesFigure(sub: SubsetResult): Spec {
  const { wgan, gan } = sub.runs;
  const dropped = wgan.curve.filter((c) => !(-c.lossD > 0)).length;
  const saturated = saturatedFrom(gan.curve);
  const shown = saturated === null ? gan.curve : gan.curve.filter((c) => c.iteration <= Math.max(50, saturated + 20));
  return stackPanels(`Training curves on digits [${sub.digits.join(', ')}]`, [
    lineChart({
      series: [
        { name: '−L_D = E[D(x)] − E[D(G(z))]', points: wgan.curve.map((c) => ({ x: c.iteration, y: -c.lossD })) },
      ],
      xLabel: 'generator iteration',
      yLabel: 'critic estimate (log)',
      title: `WGAN: weight clipping, ${wgan.nCritic} critic steps per generator step`,
      subtitle:
        `mean over each iteration's critic ` +
        `steps${dropped ? ` · ${dropped} non-positive value${dropped > 1 ? 's' : ''} not drawn` : ''}`,
      logY: true,
      points: wgan.curve.length <= 200,
      height: 180,
    }),
    lineChart({
      series: [
        { name: 'L_D (BCE)', points: shown.map((c) => ({ x: c.iteration, y: Math.max(FLOOR, c.lossD) })) },
        {
          name: '−L_G = −E[log(1 − D(G(z)))]',
          points: shown.map((c) => ({ x: c.iteration, y: Math.max(FLOOR, -c.lossG) })),
        },
      ],
      xLabel: 'generator iteration',
      yLabel: 'loss (log)',
      title: 'Standard GAN: sigmoid D, BCE, saturating generator loss',
      subtitle:
        saturated === null
          ? `values below ${FLOOR} drawn at ${FLOOR}`
          : `both losses are exactly 0 (float32) from iteration ${saturated} to ${gan.iterations}: ` +
            `D is saturated and log(1 − D(G(z))) gives G no gradient · zeros drawn at ${FLOOR}`,
      logY: true,
      points: shown.length <= 120,
      height: 180,
    }),
  ]);
}

function modesFigure(sub: SubsetResult, config: GanVsWganConfig): Spec {
  const classifier = sub.classifier;
  const labels = classifier.digits.map(String);
  const shares = (h: ModeHistogram | null) => labels.map((d) => h?.shares[d] ?? 0);
  return barChart({
    labels,
    series: [
      { name: 'real (test split)', values: shares(sub.realHistogram) },
      { name: 'WGAN', values: shares(sub.runs.wgan.histogram) },
      { name: 'standard GAN', values: shares(sub.runs.gan.histogram) },
    ],
    xLabel: 'digit predicted by the classifier',
    yLabel: 'share of samples',
    title: `Mode coverage on digits [${sub.digits.join(', ')}]`,
    subtitle: `${config.histogramSamples} generated samples per method · ${classifier.kind === 'cached' ? "the evaluate stage's MNIST classifier" : 'a small MNIST classifier trained here'} (accuracy ${(100 * classifier.testAccuracy).toFixed(1)}% on the subset's test images)`,
  });
}
