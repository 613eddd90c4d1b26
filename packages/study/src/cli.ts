#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { artifactsRoot, formatTable, PipelineError, runCli } from '@wgan/core';
import { defaultConcurrency, runLocal } from './local.js';
import { connectionFor, QUEUE_NAME, startWorker, submitStudy } from './queue.js';
import { reportMarkdown, saveSpec, specFromPathOrName, writeReport } from './report.js';
import { expandRuns, readStudySpec } from './spec.js';

/**
 * study: grid sweeps × training seeds of train → evaluate as idempotent jobs, on this machine (`run`) or
 * on any number of BullMQ workers sharing one artifacts root (`submit`, `worker`); `report` aggregates.
 */
const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new PipelineError(`"${v}" is not a positive integer`, 'option', 'give a whole number ≥ 1');
  return n;
};

const program = new Command()
  .name('study')
  .description('sweeps and seeds of the pipeline as jobs; reports with 95% t-intervals → artifacts/studies/<name>/')
  .showHelpAfterError();

program
  .command('run <spec>')
  .description('every run of the study on this machine, a bounded number at once, then the report')
  .option('--concurrency <n>', 'runs at once (default cores ÷ threads per run)', positive)
  .option('--no-progress', 'plain log lines instead of the live display')
  .option('--dry-run', 'list the runs and write nothing')
  .action(async (specPath: string, o) => {
    const spec = await readStudySpec(specPath);
    if (o.dryRun) {
      const rows = expandRuns(spec).map((p) => [p.name, p.cell, p.seed]);
      process.stdout.write(`${formatTable(['run', 'cell', 'seed'], rows)}\n`);
      return;
    }
    const root = artifactsRoot();
    await saveSpec(spec, root);
    const concurrency = o.concurrency ?? defaultConcurrency(spec);
    const results = await runLocal(spec, {
      root,
      evaluate: spec.evaluate,
      concurrency,
      progress: o.progress ? undefined : false,
    });
    const { dir, report } = await writeReport(spec, root);
    process.stdout.write(`${reportMarkdown(report)}\n→ ${dir}/report.md\n`);
    if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
  });

program
  .command('submit <spec>')
  .description('queue the study on Redis: one job per run, a parent job that writes the report when they finish')
  .requiredOption('--redis <url>', 'Redis URL, e.g. redis://host:6379')
  .option('--queue <name>', 'BullMQ queue name', QUEUE_NAME)
  .action(async (specPath: string, o) => {
    const spec = await readStudySpec(specPath);
    await saveSpec(spec, artifactsRoot());
    const r = await submitStudy(spec, connectionFor(o.redis), o.queue);
    process.stdout.write(
      `${spec.name}: ${r.runs} runs (${r.alreadyQueued} already queued), report job ${r.parentId}\n`,
    );
  });

program
  .command('worker')
  .description(
    'take study jobs from Redis until stopped (Ctrl-C); artifacts go to $WGAN_ARTIFACTS, shared by every worker',
  )
  .requiredOption('--redis <url>', 'Redis URL, e.g. redis://host:6379')
  .option('--queue <name>', 'BullMQ queue name', QUEUE_NAME)
  .option('--concurrency <n>', 'jobs at once on this worker', positive, 1)
  .option(
    '--lock-ms <n>',
    "BullMQ job lock: a dead worker's job returns to the queue after this long",
    positive,
    30_000,
  )
  .action(async (o) => {
    const worker = startWorker({
      root: artifactsRoot(),
      connection: connectionFor(o.redis),
      queueName: o.queue,
      concurrency: o.concurrency,
      lockDuration: o.lockMs,
    });
    process.stderr.write(`worker: ${o.redis}, artifacts ${artifactsRoot()}, ${o.concurrency} at once\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.stderr.write('worker: closing after the current jobs\n');
        void worker.close().then(resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });

program
  .command('report <name-or-spec>')
  .description('aggregate the finished runs of a study: artifacts/studies/<name>/report/')
  .action(async (value: string) => {
    const spec = await specFromPathOrName(value, artifactsRoot());
    const { dir, report } = await writeReport(spec, artifactsRoot());
    process.stdout.write(`${reportMarkdown(report)}\n→ ${dir}/report.md\n`);
  });

await runCli(async () => {
  await program.parseAsync();
});
