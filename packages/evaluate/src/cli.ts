#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { createLogger, formatTable, resolveConfig, runCli } from '@wgan/core';
import { classifierSchema } from './classifier.js';
import { buildClassifier, classifierDir } from './classifier-stage.js';
import { evaluateRun, evaluateSchema } from './evaluate-run.js';
import { compareRuns, compareSchema, comparisonTables } from './compare.js';
import { fmt, reportTables } from './report-render.js';
import { reportFigures } from './figures.js';
import { runOneCycle } from '@wgan/train';
import { classifierPaths, comparePaths, datasetData, evaluatePaths } from './paths.js';

/**
 * evaluate: scores a trained run (E1–E10, inception score, Fréchet distance, class histogram, checkpoint
 * ranking) into artifacts/eval/<run>/; `evaluate classifier` trains the MNIST classifier it needs once.
 */
const program = new Command()
  .name('evaluate')
  .description(
    'score a trained run: E1–E10, classifier inception score, ' +
      'Fréchet distance, checkpoint ranking → artifacts/eval/<run>/',
  )
  .enablePositionalOptions()
  .option('--run <name>', 'run name: artifacts/runs/<name> (default "default")')
  .option('--run-dir <dir>', 'a run folder inside the artifacts root, e.g. runs/<name>')
  .option('--checkpoint <which>', '"latest", a checkpoint folder name or an iteration (default latest)')
  .option('--all-checkpoints', 'score every checkpoint of the run (IS, FD, Ŵ₁) and name the best')
  .option('--samples <n>', 'generated samples for IS / FD (default 10000)', Number)
  .option('--seed <n>', 'evaluation seed (default 42)', Number)
  .option('--traversal-index <i>', 'E9: latent index to sweep (default 0)', Number)
  .option('--data <dir>', 'data artifact inside the artifacts root (default: the one the run trained on)')
  .option('--classifier <dir>', 'classifier artifact inside the artifacts root (default classifier/<dataset>)')
  .option('--backend <name>', 'auto | tensorflow | webgpu | wasm | cpu')
  .option('--out <dir>', 'output folder inside the artifacts root (default eval/<run>)')
  .option(
    '--compare <runs>',
    'comma-separated runs whose evaluations join this one in a ' +
      'comparison table (e.g. --compare default for a VAE against the GAN)',
    (v: string) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
  )
  .option('--config <file>', 'JSON config file (flags override it)')
  .option('--dry-run', 'print the resolved config and the output folder, write nothing')
  .option('--verbose', 'print the stack of a failure')
  .showHelpAfterError()
  .action(async (opts) => {
    const config = resolveConfig(evaluateSchema, {
      file: opts.config,
      overrides: {
        run: opts.run,
        runDir: opts.runDir,
        checkpoint: opts.checkpoint,
        allCheckpoints: opts.allCheckpoints,
        samples: opts.samples,
        seed: opts.seed,
        traversalIndex: opts.traversalIndex,
        data: opts.data,
        classifier: opts.classifier,
        backend: opts.backend,
        out: opts.out,
        compare: opts.compare,
      },
    });
    evaluatePaths(config);
    if (opts.dryRun) {
      process.stdout.write(
        `${JSON.stringify({ config, writes: config.out ?? `artifacts/eval/${config.run}` }, null, 2)}\n`,
      );
      return;
    }
    const logger = createLogger({ name: 'evaluate' });
    const { report, dir } = await evaluateRun(config, { logger, oneCycle: runOneCycle, figures: reportFigures });
    for (const t of reportTables(report))
      process.stdout.write(`\n${t.title}\n${formatTable(t.header, t.rows)}\n${t.caption ? `${t.caption}\n` : ''}`);
    process.stdout.write(
      `\nIS ${fmt(report.inceptionScore.fake)} (real ${fmt(report.inceptionScore.realTest)}), FD ` +
        `${fmt(report.frechet.fakeVsTest)} (train vs test ${fmt(report.frechet.trainVsTest)}) → ${dir}/report.html\n`,
    );
  });

program
  .command('classifier')
  .description(
    'train the MNIST classifier (seed 002: MLP 784-512-512-10, RMSprop) once → artifacts/classifier/<dataset>/',
  )
  .option('--data <dir>', 'data artifact inside the artifacts root (default data/mnist)')
  .option('--dataset <id>', 'shorthand for --data data/<id> (mnist, fashion, …)')
  .option('--epochs <n>', 'training epochs (default 5, as the PyTorch anchor)', Number)
  .option('--seed <n>', 'seed (default 42)', Number)
  .option('--max-steps <n>', 'stop after n batches (smoke tests)', Number)
  .option('--backend <name>', 'auto | tensorflow | webgpu | wasm | cpu')
  .option('--out <dir>', 'output folder inside the artifacts root (default classifier/<dataset>)')
  .option('--config <file>', 'JSON config file (flags override it)')
  .option('--dry-run', 'print the resolved config and the output folder, write nothing')
  .option('--verbose', 'print the stack of a failure')
  .action(async (opts) => {
    const config = resolveConfig(classifierSchema, {
      file: opts.config,
      overrides: {
        data: opts.data ?? (opts.dataset !== undefined ? datasetData(opts.dataset) : undefined),
        epochs: opts.epochs,
        seed: opts.seed,
        maxSteps: opts.maxSteps,
        backend: opts.backend,
        out: opts.out,
      },
    });
    classifierPaths(config);
    if (opts.dryRun) {
      process.stdout.write(
        `${JSON.stringify({ config, writes: config.out ?? classifierDir('<dataset id>') }, null, 2)}\n`,
      );
      return;
    }
    const logger = createLogger({ name: 'classifier' });
    const { dir, meta } = await buildClassifier(config, { logger });
    process.stdout.write(
      `${formatTable(
        ['classifier', 'test accuracy', 'epochs', 'seconds', 's/epoch', 'IS (test)', 'FD train vs test'],
        [
          [
            meta.dataset,
            meta.testAccuracy.toFixed(4),
            meta.epochs,
            meta.seconds.toFixed(1),
            meta.secondsPerEpoch.toFixed(1),
            fmt(meta.reference?.inceptionScoreTest),
            fmt(meta.reference?.frechetTrainVsTest),
          ],
        ],
      )}\n→ ${dir}\n`,
    );
  });

program
  .command('compare')
  .description(
    'several evaluated runs side by side (IS, FD, class histogram, ' +
      'E10, iterations, training time) → artifacts/compare/<name>/',
  )
  .requiredOption('--runs <names>', 'evaluated runs, comma-separated, in table order', (v: string) =>
    v.split(',').filter(Boolean),
  )
  .option('--name <name>', 'the comparison: artifacts/compare/<name> (default "comparison")')
  .option('--verbose', 'print the stack of a failure')
  .option('--out <dir>', 'output folder inside the artifacts root (default compare/<name>)')
  .action(async (opts) => {
    const config = resolveConfig(compareSchema, { overrides: { runs: opts.runs, name: opts.name, out: opts.out } });
    comparePaths(config);
    const { dir, comparison } = await compareRuns(config);
    for (const t of comparisonTables(comparison))
      process.stdout.write(`\n${t.title}\n${formatTable(t.header, t.rows)}\n`);
    process.stdout.write(`\n→ ${dir}/comparison.md\n`);
  });

await runCli(async () => {
  await program.parseAsync();
});
