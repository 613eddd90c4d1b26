#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { createLogger, resolveConfig, runCli } from '@wgan/core';
import { parseSmooth, renderSchema } from './config.js';
import { FIGURE_FILES, planRender, renderRun } from './render-run.js';

const program = new Command()
  .name('render')
  .description('A run (and its evaluation) → grids, strips and grayscale PNG plots in artifacts/render/<run>/')
  .option('--run <name>', 'run name: reads artifacts/runs/<name> and artifacts/eval/<name> (default "default")')
  .option('--run-dir <dir>', 'run folder inside the artifacts root (default runs/<run>)')
  .option('--eval-dir <dir>', 'evaluation folder inside the artifacts root (default eval/<run>)')
  .option('--out <dir>', 'output folder inside the artifacts root (default render/<run>)')
  .option('--tile-scale <n>', 'upscale of each 28×28 tile in grids and strips', Number)
  .option('--plot-scale <x>', 'PNG pixels per SVG pixel of the plots', Number)
  .option('--strip-rows <n>', 'most snapshot rows in snapshots-strip.png', Number)
  .option('--strip-per-row <n>', 'images per snapshot row', Number)
  .option('--smooth <n|auto>', 'moving-average window of the training curves, in iterations', parseSmooth)
  .option('--histogram-bins <n>', 'bins of the gradient-norm histogram', Number)
  .option('--svg', 'also keep each plot as SVG')
  .option('--config <file>', 'JSON config file (flags override it)')
  .option('--dry-run', 'print the resolved config and the folders it would read and write, write nothing')
  .option('--verbose', 'print the stack of a failure')
  .showHelpAfterError();

await runCli(async () => {
  const opts = program.parse().opts();
  const config = resolveConfig(renderSchema, {
    file: opts.config,
    overrides: {
      run: opts.run,
      runDir: opts.runDir,
      evalDir: opts.evalDir,
      out: opts.out,
      tileScale: opts.tileScale,
      plotScale: opts.plotScale,
      stripRows: opts.stripRows,
      stripPerRow: opts.stripPerRow,
      smooth: opts.smooth,
      histogramBins: opts.histogramBins,
      svg: opts.svg,
    },
  });
  const plan = planRender(config, { strict: true }); // names and folders checked before anything is read
  if (opts.dryRun) {
    process.stdout.write(
      `${JSON.stringify({ config, reads: { run: plan.runDir, eval: plan.evalDir }, writes: plan.outDir, figures: [...FIGURE_FILES, 'index.json'] }, null, 2)}\n`,
    );
    return;
  }
  const logger = createLogger({ name: 'render' });
  const t0 = performance.now();
  const { artifact, index } = await renderRun(config, { logger });
  for (const f of index.figures) process.stdout.write(`${f.file.padEnd(24)} ${f.title}\n`);
  for (const s of index.skipped) process.stdout.write(`${s.file.padEnd(24)} skipped: ${s.reason}\n`);
  logger.info('wrote artifact', {
    dir: artifact.dir,
    figures: index.figures.length,
    skipped: index.skipped.length,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
  });
});
