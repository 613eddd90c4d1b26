#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { join } from 'node:path';
import { createLogger, formatTable, resolveConfig, runCli } from '@wgan/core';
import { exportPaths, exportSchema, parseCheckpoint } from './config.js';
import { exportCheckpoint, runExportsDir } from './export.js';

const program = new Command()
  .name('export')
  .description(
    'a train checkpoint → generator.onnx (and critic.onnx), checked; onnxruntime and tfjs each held to a float32 ' +
      'rounding bound of a float64 evaluation of the checkpoint',
  )
  .option('--run <name>', 'run name: reads artifacts/runs/<name>/ (default "default")')
  .option('--checkpoint <iter>', 'iteration to export, or "latest" (default)')
  .option('--critic', 'also export the critic (critic.onnx)')
  .option('--backend <name>', 'tfjs backend of the parity reference: wasm | cpu')
  .option('--parity-samples <n>', 'latent vectors in the parity check (default 256)', Number)
  .option('--run-dir <dir>', 'run folder inside the artifacts root (default runs/<run>)')
  .option('--out <dir>', 'output folder inside the artifacts root (default export/<run>/<checkpoint>)')
  .option('--config <file>', 'JSON config file (flags override it)')
  .option('--dry-run', 'print the resolved config and what would be read and written')
  .option('--verbose', 'print the stack of a failure')
  .showHelpAfterError();

await runCli(async () => {
  const opts = program.parse().opts();
  const config = resolveConfig(exportSchema, {
    file: opts.config,
    overrides: {
      run: opts.run,
      checkpoint: opts.checkpoint === undefined ? undefined : parseCheckpoint(opts.checkpoint),
      critic: opts.critic,
      backend: opts.backend,
      paritySamples: opts.paritySamples,
      runDir: opts.runDir,
      out: opts.out,
    },
  });
  const paths = exportPaths(config, { strict: true }); // names and paths are checked before anything is read or written
  if (opts.dryRun) {
    const writes = paths.out ?? join(runExportsDir(paths.run), '<checkpoint>');
    process.stdout.write(
      `${JSON.stringify({ config, reads: `${paths.runDir}/checkpoints/${config.checkpoint}`, writes }, null, 2)}\n`,
    );
    return;
  }
  const logger = createLogger({ name: 'export' });
  const t0 = performance.now();
  const { artifact, meta } = await exportCheckpoint(config, { logger });
  const e = (v: number) => v.toExponential(2);
  const rows = Object.entries(meta.models).map(([name, m]) => [
    name,
    m.file,
    `${m.inputs[0].name} [${m.inputs[0].shape}]`,
    `${m.outputs[0].name} [${m.outputs[0].shape}]`,
    `${e(m.parity.onnxruntime.maxAbsError)} / ${e(m.parity.onnxruntime.maxRelError)}`,
    `${e(m.parity.tfjs.maxAbsError)} / ${e(m.parity.tfjs.maxRelError)}`,
    e(m.parity.maxBound),
    (m.sizeBytes / 1e6).toFixed(2),
  ]);
  const tfjs = `tfjs (${meta.parity.backend}) − f64 abs / rel`;
  const header = ['model', 'file', 'input', 'output', 'onnx − f64 abs / rel', tfjs, 'bound (max)', 'size MB'];
  process.stdout.write(`${formatTable(header, rows)}\n`);
  logger.info('wrote artifact', {
    dir: artifact.dir,
    checker: meta.checker.status,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
  });
});
