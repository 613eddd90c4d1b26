import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import {
  acquireArtifactLock,
  artifactName,
  artifactPath,
  artifactPaths,
  artifactsRoot,
  createLogger,
  encodePng,
  gridImage,
  MANIFEST_FILE,
  parentRef,
  PipelineError,
  readArtifact,
  readFloat32,
  writeArtifact,
  type Artifact,
  type Logger,
  type ParentRef,
} from '@wgan/core';
import type { RenderConfig } from './config.js';
import { classHistogram, evalCurves, gradNormHistogram, lossCurves, wassersteinCurves, type Built } from './figures.js';
import { sampleGrid, snapshotStrip, traversalStrip } from './grids.js';
import {
  fileInside,
  findGradNorms,
  listSnapshots,
  parseEvalReport,
  readImages,
  readJsonIfPresent,
  readMetrics,
  spread,
  type EvalReport,
  type Metrics,
} from './inputs.js';
import { renderPng } from './plots.js';
import {
  latentScatter,
  readLabels,
  readManifold,
  reconstructionsPng,
  readVaeRun,
  vaeCurves,
  VAE_FIGURE_FILES,
  type VaeRunFiles,
} from './vae-figures.js';
import pkg from '../package.json' with { type: 'json' };

export const STAGE = 'render';

/** One written figure, as listed in index.json. */
export interface FigureEntry {
  file: string;
  kind: 'grid' | 'strip' | 'plot';
  title: string;
  /** Input files it was drawn from (relative to the artifacts root when inside it). */
  sources: string[];
  note?: string;
  /** Plot SVG kept beside the PNG (with `svg: true`). */
  svg?: string;
}

export interface SkippedFigure {
  file: string;
  reason: string;
}

export interface RenderIndex {
  run: string;
  runDir: string;
  evalDir: string | null;
  figures: FigureEntry[];
  skipped: SkippedFigure[];
}

export interface RenderPlan {
  runDir: string;
  evalDir: string;
  outDir: string;
}

export function planRender(config: RenderConfig, options: { strict?: boolean } = {}): RenderPlan {
  // A folder given by the CLI resolves inside the artifacts root; code may also pass an absolute path.
  const folder = (path: string, flag: string) =>
    !options.strict && isAbsolute(path) ? path : artifactPath(path, flag);
  const run = artifactName(config.run, '--run');
  return {
    runDir: config.runDir !== undefined ? folder(config.runDir, '--run-dir') : artifactPaths.run(run, '--run'),
    evalDir: config.evalDir !== undefined ? folder(config.evalDir, '--eval-dir') : artifactPaths.eval(run, '--run'),
    outDir: config.out !== undefined ? folder(config.out, '--out') : artifactPaths.render(run, '--run'),
  };
}

/** The figures render writes, in index order (a missing input skips its figure). */
export const FIGURE_FILES = [
  'grid-8x8.png',
  'grid-10x10.png',
  'snapshots-strip.png',
  'traversal.png',
  'curves-losses.png',
  'curves-wasserstein.png',
  'grad-norm-hist.png',
  'eval-curves.png',
  'class-histogram.png',
  ...VAE_FIGURE_FILES,
] as const;

function display(path: string): string {
  const rel = relative(artifactsRoot(), path);
  return rel && !rel.startsWith('..') ? rel.split(sep).join('/') : path;
}

/** The artifact at `dir` as a parent reference if it has a manifest (verified); else undefined. */
async function parentIfComplete(
  dir: string,
  what: string,
  remake: string,
  logger: Logger,
): Promise<{ artifact: Artifact; ref: ParentRef } | undefined> {
  if (!existsSync(join(dir, MANIFEST_FILE))) {
    logger.info(`${what} has no manifest.json (not finished?): drawing it without recording it as a parent`, {
      dir: display(dir),
    });
    return undefined;
  }
  const artifact = await readArtifact(dir, { remake });
  return { artifact, ref: parentRef(artifact, artifactsRoot()) };
}

/**
 * Draws every figure of a run: reads artifacts/runs/<run>/ (and artifacts/eval/<run>/ when present) and
 * writes artifacts/render/<run>/ as an artifact whose parents are the run's and the evaluation's
 * manifests (when they have one). A figure whose input is absent is skipped with a log line and listed
 * under `skipped` in index.json; damaged input is an error.
 */
export async function renderRun(
  config: RenderConfig,
  options: { logger?: Logger } = {},
): Promise<{ artifact: Artifact; index: RenderIndex }> {
  const logger = options.logger ?? createLogger({ name: STAGE });
  const plan = planRender(config);
  const lock = acquireArtifactLock(plan.outDir, {
    stage: STAGE,
    logger,
    flag: config.out !== undefined ? '--out' : '--run',
  });
  try {
    return await renderInto(plan, config, logger);
  } finally {
    lock.release();
  }
}

async function renderInto(
  plan: RenderPlan,
  config: RenderConfig,
  logger: Logger,
): Promise<{ artifact: Artifact; index: RenderIndex }> {
  const { runDir, evalDir } = plan;
  if (!existsSync(runDir)) {
    throw new PipelineError(
      'run folder not found',
      runDir,
      `train a run first (\`npx tsx packages/train/src/cli.ts\`), or give its folder with --run-dir`,
    );
  }

  // The output is built in a temporary folder and swapped in at the end (writeArtifact), so a damaged
  // input stops the stage with the previous figures still in place.
  const parents: ParentRef[] = [];
  const runParent = await parentIfComplete(runDir, 'train run', 'npx nx run train:pipeline', logger);
  if (runParent) parents.push(runParent.ref);
  const metricsPath = join(runDir, 'metrics.jsonl');
  const metrics: Metrics | undefined = await readMetrics(metricsPath);
  if (metrics?.replaced)
    logger.info('metrics.jsonl re-logs iterations (resumed run): kept the later line of each', {
      replacedLines: metrics.replaced,
    });
  if (metrics?.droppedPartialLine)
    logger.warn('metrics.jsonl ends in a partial line (run killed mid-write): left it out');
  const snapshots = await listSnapshots(runDir);
  const trainStatsPath = join(runDir, 'train-stats.json');
  const trainStats = await readJsonIfPresent(trainStatsPath);
  const gradNorms = findGradNorms(trainStats);
  // a VAE run (train --model vae): its own figures, no critic ones
  const vaeRun = await readVaeRun(runDir, trainStats, metrics?.records);

  let report: EvalReport | undefined;
  const reportPath = join(evalDir, 'report.json');
  if (existsSync(reportPath)) {
    const evalParent = await parentIfComplete(evalDir, 'evaluate', 'npx nx run evaluate:pipeline', logger);
    if (evalParent) parents.push(evalParent.ref);
    report = parseEvalReport(await readJsonIfPresent(reportPath));
  }

  const figures: FigureEntry[] = [];
  const skipped: SkippedFigure[] = [];
  const skip = (file: string, reason: string) => {
    skipped.push({ file, reason });
    logger.info(`skip ${file}: ${reason}`);
  };

  let index!: RenderIndex;
  const artifact = await writeArtifact(
    plan.outDir,
    { stage: STAGE, packageVersion: pkg.version, config, parents },
    async (tmp) => {
      const t0 = performance.now();
      let mark = t0;
      const add = async (entry: FigureEntry, png: Buffer, svg?: string) => {
        await writeFile(join(tmp, entry.file), png);
        if (svg !== undefined && config.svg) {
          entry.svg = entry.file.replace(/\.png$/, '.svg');
          await writeFile(join(tmp, entry.svg), svg);
        }
        figures.push(entry);
        const now = performance.now();
        logger.info(`wrote ${entry.file}`, { sizeKb: Math.round(png.byteLength / 1024), ms: Math.round(now - mark) });
        mark = now;
      };
      const plot = async (file: string, title: string, built: Built, sources: string[], colour = false) => {
        if ('skip' in built) {
          skip(file, built.skip);
          mark = performance.now();
          return;
        }
        const { svg, png } = await renderPng(built.spec, { scale: config.plotScale, colour });
        await add({ file, kind: 'plot', title, sources, ...(built.note ? { note: built.note } : {}) }, png, svg);
      };

      // Fixed-noise grids and the strip over training.
      if (snapshots.length === 0) {
        skip('grid-8x8.png', 'the run has no snapshots/iter-*.f32');
        skip('snapshots-strip.png', 'the run has no snapshots/iter-*.f32');
      } else {
        const final = snapshots[snapshots.length - 1];
        const { images, count } = await readImages(final.path);
        if (count < 64) skip('grid-8x8.png', `the final snapshot holds ${count} images, an 8×8 grid needs 64`);
        else
          await add(
            {
              file: 'grid-8x8.png',
              kind: 'grid',
              title: `G(z_fixed) at iteration ${final.iteration}`,
              sources: [display(final.path)],
            },
            await sampleGrid(images, 8, { scale: config.tileScale }),
          );
        const rows = spread(snapshots, config.stripRows);
        const loaded = [];
        for (const s of rows) loaded.push({ iteration: s.iteration, images: (await readImages(s.path)).images });
        const png = await snapshotStrip(loaded, config.stripPerRow, {
          scale: config.tileScale,
          title: `G(z_fixed) over training (first ${config.stripPerRow} fixed latent vectors)`,
        });
        await add(
          {
            file: 'snapshots-strip.png',
            kind: 'strip',
            title: 'fixed-noise snapshots over training',
            sources: rows.map((s) => display(s.path)),
            note: `${rows.length} of ${snapshots.length} snapshots`,
          },
          png,
        );
      }

      // Evaluation samples and traversal.
      if (report) {
        if (!report.samples) skip('grid-10x10.png', 'report.json has no samples entry');
        else {
          const path = fileInside(evalDir, report.samples.file);
          if (!path) skip('grid-10x10.png', `samples file "${report.samples.file}" is outside the eval folder`);
          else if (!existsSync(path)) skip('grid-10x10.png', `samples file ${display(path)} is missing`);
          else {
            const { images, count } = await readImages(path);
            if (count < 100) skip('grid-10x10.png', `${count} samples, a 10×10 grid needs 100`);
            else
              await add(
                {
                  file: 'grid-10x10.png',
                  kind: 'grid',
                  title: 'generated samples (evaluation)',
                  sources: [display(path)],
                },
                await sampleGrid(images, 10, { scale: config.tileScale }),
              );
          }
        }
        if (!report.traversal) skip('traversal.png', 'report.json has no traversal entry');
        else {
          const t = report.traversal;
          const path = fileInside(evalDir, t.file);
          if (!path) skip('traversal.png', `traversal file "${t.file}" is outside the eval folder`);
          else if (!existsSync(path)) skip('traversal.png', `traversal file ${display(path)} is missing`);
          else {
            const { images, count } = await readImages(path);
            if (count % t.values.length !== 0)
              throw new PipelineError(
                `holds ${count} images, not a multiple of the ${t.values.length} traversal values`,
                path,
                'the report and its traversal file disagree: rerun the evaluate stage',
              );
            await add(
              {
                file: 'traversal.png',
                kind: 'strip',
                title: `latent traversal of z[${t.index ?? '?'}]`,
                sources: [display(path)],
              },
              await traversalStrip(images, t.values, {
                scale: config.tileScale,
                ...(t.index !== undefined ? { index: t.index } : {}),
              }),
            );
          }
        }
      } else {
        skip('grid-10x10.png', `no evaluation report (${display(reportPath)})`);
        skip('traversal.png', `no evaluation report (${display(reportPath)})`);
      }

      // Training curves.
      if (vaeRun) {
        for (const f of ['curves-losses.png', 'curves-wasserstein.png', 'grad-norm-hist.png'])
          skip(f, 'a VAE run has no critic (see vae-curves.png)');
        await plot(
          'vae-curves.png',
          'negative ELBO, reconstruction term and KL',
          vaeCurves(metrics?.records ?? [], vaeRun.epochs, config.smooth),
          [display(metricsPath), display(trainStatsPath)],
        );
        await drawVaeImages(vaeRun, { add, plot, skip, tileScale: config.tileScale, display });
      } else if (!metrics || metrics.records.length === 0) {
        for (const f of ['curves-losses.png', 'curves-wasserstein.png'])
          skip(f, metrics ? 'metrics.jsonl is empty' : 'the run has no metrics.jsonl');
      } else {
        await plot('curves-losses.png', 'training losses L_D and L_G', lossCurves(metrics.records, config.smooth), [
          display(metricsPath),
        ]);
        await plot(
          'curves-wasserstein.png',
          'Wasserstein estimate, critic outputs and regulariser',
          wassersteinCurves(metrics.records, config.smooth),
          [display(metricsPath)],
        );
      }
      if (!vaeRun)
        await plot(
          'grad-norm-hist.png',
          'histogram of critic gradient norms',
          gradNormHistogram(metrics?.records ?? [], gradNorms, config.histogramBins),
          [display(gradNorms ? trainStatsPath : metricsPath)],
        );

      if (report) {
        await plot('eval-curves.png', 'IS / FD / Ŵ₁ over checkpoints', evalCurves(report), [display(reportPath)]);
        await plot('class-histogram.png', 'class histogram of generated images', classHistogram(report), [
          display(reportPath),
        ]);
      } else {
        skip('eval-curves.png', `no evaluation report (${display(reportPath)})`);
        skip('class-histogram.png', `no evaluation report (${display(reportPath)})`);
      }

      figures.sort(
        (a, b) =>
          FIGURE_FILES.indexOf(a.file as (typeof FIGURE_FILES)[number]) -
          FIGURE_FILES.indexOf(b.file as (typeof FIGURE_FILES)[number]),
      );
      index = { run: config.run, runDir: display(runDir), evalDir: report ? display(evalDir) : null, figures, skipped };
      await writeFile(join(tmp, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
      return {
        figures: figures.map((f) => f.file),
        skipped: skipped.map((s) => s.file),
        ms: Math.round(performance.now() - t0),
      };
    },
  );
  return { artifact, index };
}

/** reconstructions.png, latent-scatter.png and manifold.png from the newest epoch's files of a VAE run. */
async function drawVaeImages(
  v: VaeRunFiles,
  o: {
    add: (entry: FigureEntry, png: Buffer) => Promise<void>;
    plot: (file: string, title: string, built: Built, sources: string[], colour?: boolean) => Promise<void>;
    skip: (file: string, reason: string) => void;
    tileScale: number;
    display: (path: string) => string;
  },
): Promise<void> {
  if (v.reconstructions && v.testBatch) {
    const png = await reconstructionsPng(
      await readFloat32(v.testBatch),
      await readFloat32(v.reconstructions.path),
      8,
      o.tileScale,
    );
    await o.add(
      {
        file: 'reconstructions.png',
        kind: 'grid',
        title: `test images (odd rows) and their reconstructions (even rows), epoch ${v.reconstructions.epoch}`,
        sources: [o.display(v.testBatch), o.display(v.reconstructions.path)],
      },
      png,
    );
  } else o.skip('reconstructions.png', 'vae/ has no test-batch.f32 and reconstructions-epoch-*.f32');
  if (v.latentMeans && v.labels) {
    await o.plot(
      'latent-scatter.png',
      'test-set latent means by class',
      latentScatter(await readFloat32(v.latentMeans.path), await readLabels(v.labels), v.latentMeans.epoch),
      [o.display(v.latentMeans.path), o.display(v.labels)],
      true,
    );
  } else o.skip('latent-scatter.png', 'no vae/latent-means-epoch-*.f32 (written for d_z = 2 only)');
  if (v.manifold) {
    const { images, side } = await readManifold(v.manifold.path);
    await o.add(
      {
        file: 'manifold.png',
        kind: 'grid',
        title: `decoded ${side} × ${side} manifold of the 2-D latent space, epoch ${v.manifold.epoch}`,
        sources: [o.display(v.manifold.path)],
      },
      await encodePng(gridImage(images, side * side, { cols: side, pad: 0, scale: 1 })),
    );
  } else o.skip('manifold.png', 'no vae/manifold-epoch-*.f32 (written for d_z = 2 only)');
}
