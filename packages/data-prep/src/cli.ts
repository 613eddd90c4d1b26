#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { createLogger, resolveConfig, runCli } from '@wgan/core';
import { dataPrepSchema, parseDigits } from './config.js';
import { dataPrepOut, prepareDataset } from './prepare.js';
import { formatStats } from './report.js';
import { DATASETS } from './datasets.js';

const program = new Command()
  .name('data-prep')
  .description('MNIST / Fashion-MNIST IDX files → verified float32 shards in [-1, 1], with E1/E2 statistics')
  .option('--dataset <name>', 'mnist | fashion')
  .option('--digits <list>', 'keep only these classes, e.g. 3 or 0,3')
  .option('--source <dir>', 'folder with the four IDX files, raw or .gz (env MNIST_DIR)')
  .option('--download', 'download from the public mirrors (md5-checked)')
  .option('--seed <n>', 'seed of the data order used for E2', Number)
  .option('--out <dir>', 'output folder inside the artifacts root (default data/<dataset id>)')
  .option('--config <file>', 'JSON config file (flags override it)')
  .option('--dry-run', 'print the resolved config and the output folder, write nothing')
  .option('--verbose', 'print the stack of a failure')
  .showHelpAfterError();

await runCli(async () => {
  const opts = program.parse().opts();
  const config = resolveConfig(dataPrepSchema, {
    file: opts.config,
    overrides: {
      dataset: opts.dataset,
      digits: opts.digits === undefined ? undefined : parseDigits(opts.digits),
      source: opts.source,
      download: opts.download,
      seed: opts.seed,
      out: opts.out,
    },
  });
  const out = dataPrepOut(config, true); // checked before anything is read or written
  if (opts.dryRun) {
    process.stdout.write(`${JSON.stringify({ config, writes: out }, null, 2)}\n`);
    return;
  }
  const logger = createLogger({ name: 'data-prep' });
  const t0 = performance.now();
  const { artifact, stats } = await prepareDataset(config, { logger });
  process.stdout.write(`${formatStats(stats, DATASETS[config.dataset].classes)}\n`);
  logger.info('wrote artifact', { dir: artifact.dir, seconds: Number(((performance.now() - t0) / 1000).toFixed(2)) });
});
