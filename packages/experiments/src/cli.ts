#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import {
  artifactPath,
  artifactPaths,
  createLogger,
  PipelineError,
  resolveConfig,
  runCli,
  withArtifactLock,
  z,
} from '@wgan/core';
import { ganVsWganSchema, ringSchema, wdistanceSchema } from './config.js';
import { runGanVsWgan } from './gan-vs-wgan.js';
import { ganVsWganSummary, ringSummary, wdistanceSummary } from './report.js';
import { runRing, runRingCell } from './ring.js';
import { runWDistance } from './wdistance.js';

const num = (v: string) => Number(v);
const logger = createLogger({ name: 'experiments' });
const print = (text: string): void => void process.stdout.write(`${text}\n`);
const dryRun = (config: unknown, name: string, out?: string) =>
  print(JSON.stringify({ config, writes: resultFolder(name, out) }, null, 2));

/** The experiment's result folder: --out inside the artifacts root, else experiments/<name> (checked first). */
function resultFolder(name: string, out: string | undefined): string {
  return out !== undefined ? artifactPath(out, '--out') : artifactPaths.experiments(name);
}

/** Runs an experiment while holding its result folder's lock (one writer per folder). */
function locked<T>(name: string, out: string | undefined, work: (out: string) => Promise<T>): Promise<T> {
  const dir = resultFolder(name, out);
  return withArtifactLock(
    dir,
    { stage: `experiments ${name}`, logger, flag: out !== undefined ? '--out' : `experiments/${name}` },
    () => work(dir),
  );
}

/** The options every experiment takes: --seed, --backend, --config, --out, --dry-run. */
function experimentCommand(name: string, description: string, seedHelp = 'random seed'): Command {
  return program
    .command(name)
    .description(description)
    .option('--seed <n>', seedHelp, num)
    .option('--backend <name>', 'wasm (default) | cpu | webgpu | tensorflow | auto')
    .option('--config <file>', 'JSON config file (flags override it)')
    .option('--out <dir>', 'write the result folder here (inside the artifacts root) instead of experiments/<name>')
    .option('--dry-run', 'print the resolved config and where results go')
    .option('--verbose', 'print the stack of a failure');
}

const program = new Command()
  .name('experiments')
  .description(
    "The seeds' WGAN experiments, each writing result.json and PNG figures under artifacts/experiments/<name>/",
  )
  .showHelpAfterError();

experimentCommand(
  'ring',
  'LAB 3 (seed 003): 2-D ring, weight clipping vs gradient penalty, and the lr × c / lr × λ sensitivity grid',
  'seed of the data and the main runs',
)
  .option('--epochs <n>', 'epochs of the two main runs (default 30)', num)
  .option('--grid-epochs <n>', 'epochs per sensitivity-grid run (default 5)', num)
  .option('--skip-grid', 'only the two main runs')
  .action((o) =>
    runCli(async () => {
      const config = resolveConfig(ringSchema, {
        file: o.config,
        overrides: {
          epochs: o.epochs,
          grid: o.gridEpochs === undefined ? undefined : { epochs: o.gridEpochs },
          skipGrid: o.skipGrid,
          seed: o.seed,
          backend: o.backend,
        },
      });
      if (o.dryRun) return dryRun(config, 'ring', o.out);
      print(ringSummary(await locked('ring', o.out, (out) => runRing(config, { logger, out }))));
    }),
  );

program
  .command('ring-cell')
  .description(
    "one run of the ring's sensitivity grid (one lr × c or lr × λ cell, one training seed) → <out>/result.json",
  )
  .requiredOption('--loss <clip|gp>', 'weight clipping or gradient penalty')
  .requiredOption('--lr <x>', 'Adam learning rate of both networks', num)
  .option('--clip-value <c>', 'clip: the weight bound c', num)
  .option('--lambda <x>', 'gp: the penalty weight λ', num)
  .option('--seed <n>', "training seed (the grid's seeds; the data stays the config's seed)", num)
  .option('--epochs <n>', 'epochs of the run (default the grid epochs, 5)', num)
  .option('--backend <name>', 'wasm (default) | cpu | webgpu | tensorflow | auto')
  .option('--config <file>', 'JSON ring config file (flags override it)')
  .requiredOption('--out <dir>', 'the result folder, inside the artifacts root')
  .option('--record <json>', "JSON kept in the manifest's meta.record (e.g. the study's config of this run)")
  .option('--dry-run', 'print the resolved config and where results go')
  .option('--verbose', 'print the stack of a failure')
  .action((o) =>
    runCli(async () => {
      const method = z.enum(['clip', 'gp']).parse(o.loss, { error: () => '--loss must be clip or gp' });
      const param = method === 'clip' ? o.clipValue : o.lambda;
      if (param === undefined || !Number.isFinite(param) || param < 0)
        throw new PipelineError(
          `--loss ${method} needs ${method === 'clip' ? '--clip-value' : '--lambda'}`,
          method === 'clip' ? '--clip-value' : '--lambda',
          "give the cell's value, e.g. --clip-value 0.1 or --lambda 1",
        );
      if (!Number.isFinite(o.lr) || o.lr <= 0)
        throw new PipelineError(`--lr ${String(o.lr)} is not a positive number`, '--lr', 'e.g. --lr 1e-3');
      const config = resolveConfig(ringSchema, {
        file: o.config,
        overrides: { grid: o.epochs === undefined ? undefined : { epochs: o.epochs }, backend: o.backend },
      });
      const run = { method, lr: o.lr, param, seed: o.seed ?? 1 };
      let record: unknown;
      try {
        record = o.record === undefined ? undefined : JSON.parse(o.record);
      } catch {
        throw new PipelineError('--record is not JSON', '--record', 'give a JSON value, e.g. --record \'{"a":1}\'');
      }
      if (o.dryRun) return print(JSON.stringify({ config, run, writes: resultFolder('ring-cell', o.out) }, null, 2));
      const r = await locked('ring-cell', o.out, (out) => runRingCell(config, run, { logger, out, record }));
      print(
        `ring-cell ${method} lr ${run.lr} ${method === 'clip' ? 'c' : 'λ'} ${param} seed ${run.seed}: ` +
          `radial error ${r.metrics.meanRadialError.toFixed(3)}, within 0.3 ${(100 * r.metrics.fractionNearRing).toFixed(1)}%, ` +
          `angle bins ${Math.round(36 * r.metrics.angularCoverage)}/36, finds the ring: ${r.findsRing ? 'yes' : 'no'}`,
      );
    }),
  );

experimentCommand('wdistance', "seed 004 §1: the critic's κ·W(P_θ, P_0) for 21 θ in [−1, 1], with κ and Pearson r")
  .option('--steps <n>', 'critic steps per θ (default 500)', num)
  .option('--count <n>', 'number of θ values (default 21)', num)
  .action((o) =>
    runCli(async () => {
      const config = resolveConfig(wdistanceSchema, {
        file: o.config,
        overrides: { steps: o.steps, count: o.count, seed: o.seed, backend: o.backend },
      });
      if (o.dryRun) return dryRun(config, 'wdistance', o.out);
      print(wdistanceSummary(await locked('wdistance', o.out, (out) => runWDistance(config, { logger, out }))));
    }),
  );

experimentCommand(
  'gan-vs-wgan',
  'seed 004 §2: WGAN (clipping) vs standard GAN with generic MLPs on MNIST digits [3] and [0, 3]',
)
  .option('--data-order <order>', 'in-order (default) | first-batch (the seed code as printed) | shuffled')
  .option('--classifier <which>', 'auto (default: cached if present) | cached | fallback')
  .action((o) =>
    runCli(async () => {
      const config = resolveConfig(ganVsWganSchema, {
        file: o.config,
        overrides: { dataOrder: o.dataOrder, classifier: o.classifier, seed: o.seed, backend: o.backend },
      });
      if (o.dryRun) return dryRun(config, 'gan-vs-wgan', o.out);
      print(ganVsWganSummary(await locked('gan-vs-wgan', o.out, (out) => runGanVsWgan(config, { logger, out }))));
    }),
  );

program
  .command('all')
  .description('the three experiments one after the other, with their default configs')
  .option('--backend <name>', 'wasm (default) | cpu | webgpu | tensorflow | auto')
  .option('--verbose', 'print the stack of a failure')
  .action((o) =>
    runCli(async () => {
      const overrides = { backend: o.backend };
      const [w, r, g] = [
        resolveConfig(wdistanceSchema, { overrides }),
        resolveConfig(ringSchema, { overrides }),
        resolveConfig(ganVsWganSchema, { overrides }),
      ];
      print(wdistanceSummary(await locked('wdistance', undefined, (out) => runWDistance(w, { logger, out }))));
      print(ringSummary(await locked('ring', undefined, (out) => runRing(r, { logger, out }))));
      print(ganVsWganSummary(await locked('gan-vs-wgan', undefined, (out) => runGanVsWgan(g, { logger, out }))));
    }),
  );

await program.parseAsync();
