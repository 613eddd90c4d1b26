#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { artifactPaths, createLogger, runCli } from '@wgan/core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpoint, resolveCheckpoint } from './checkpoint.js';
import { resolveTrainConfig } from './config.js';
import { resumedConfig } from './resume.js';
import { train } from './loop.js';

const num = (v: string) => Number(v);
const program = new Command()
  .name('train')
  .description(
    'Train a GAN or the VAE on a data-prep artifact — the WGAN (gradient penalty or ' +
      "weight clipping), the vanilla GAN, the LSGAN, the DCGAN, or seed 002's VAE; resumable",
  )
  .option('--name <run>', 'run name → <artifacts root>/runs/<run> (one plain folder name)')
  .option(
    '--data <dir>',
    'data-prep artifact inside the artifacts root: data/<id> or artifacts/data/<id> (default data/mnist)',
  )
  .option(
    '--model <name>',
    'mlp (seed 001 WGAN MLPs, default) | gan-mlp (seed 002 vanilla-GAN MLPs) | dcgan (seed ' +
      '002 DCGAN) | vae (seed 002 VAE: d_z 20, B 128, 9,360 iterations = 20 epochs, Adam 1e-3)',
  )
  .option(
    '--loss <name>',
    'gp (WGAN-GP; default for mlp) | clip (weight clipping) | bce (default ' +
      'for gan-mlp, dcgan) | bce-saturating | lsgan; the VAE trains on its ELBO',
  )
  .option(
    '--log-c-coefficient <c>',
    "VAE: coefficient of Σ log C(λ) in the continuous-Bernoulli likelihood (0 = BCE, the seed's run; 1 = exact)",
    num,
  )
  .option('--latent-dim <n>', 'd_z (mlp: 100, seed 000 allows 64 | 100 | 128; gan-mlp, dcgan: 10; vae: 20)', num)
  .option('--noise <normal|uniform>', 'p(z): N(0, I) (mlp, vae) or U(−1, 1) (gan-mlp, dcgan: seed 002)')
  .option(
    '--generator-hidden <sizes>',
    'MLP generator / VAE decoder widths, comma-separated (mlp: 256,512,1024; gan-mlp: 1024,1024; vae: 400,600,800)',
    (v: string) => v.split(',').map(Number),
  )
  .option(
    '--critic-hidden <sizes>',
    'MLP critic / VAE encoder widths, comma-separated (mlp: 512,256; gan-mlp: 256,256; vae: 512,256,128)',
    (v: string) => v.split(',').map(Number),
  )
  .option(
    '--conditional',
    'class-conditional WGAN-GP MLP: the label (one-hot) joins z and the critic input; the penalty is w.r.t. the image',
  )
  .option('--classes <k>', 'number of classes of a conditional run (default 10)', num)
  .option('--iterations <n>', 'generator iterations', num)
  .option('--batch-size <n>', 'batch size', num)
  .option(
    '--sampling <epoch|replacement>',
    'batches: epoch shuffling (default) or uniform with replacement (the anchor)',
  )
  .option('--n-critic <n>', 'critic steps per generator step', num)
  .option('--lambda <x>', 'gradient penalty weight', num)
  .option('--clip-value <c>', 'weight clipping bound', num)
  .option('--lr <x>', 'learning rate of both optimisers', num)
  .option('--beta1 <x>', 'Adam β₁ of both optimisers', num)
  .option('--beta2 <x>', 'Adam β₂ of both optimisers (seed 002 prints 0.4999, read as 0.999: the default)', num)
  .option('--implementation <name>', 'auto | onnx-cpu | tfjs-manual | tfjs-autodiff | webgpu-fused')
  .option('--threads <n>', 'onnx-cpu: onnxruntime threads (default 0 = every core; the log says how many)', num)
  .option('--onnx-optimizer <path>', 'onnx-cpu: auto | fused (native addon) | graph (in-graph optimiser nodes)')
  .option('--penalty <closed-form|autodiff>', 'with tfjs-autodiff: how ∇D(x̂) is computed')
  .option('--seed <n>', 'random seed', num)
  .option('--backend <name>', 'auto | tensorflow | webgpu | wasm | cpu')
  .option('--log-every <n>', 'iterations between metric read-backs', num)
  .option('--snapshot-every <n>', 'iterations between G(z_fixed) snapshots', num)
  .option('--checkpoint-every <n>', 'iterations between checkpoints', num)
  .option('--config <file>', 'JSON config file (flags override it)')
  .option('--resume', 'continue the run from its latest checkpoint')
  .option('--fresh', 'delete the run folder and start over')
  .option('--no-progress', 'no progress bar')
  .option('--dry-run', 'print the resolved config and what would be written')
  .option('--verbose', 'print the stack of a failure')
  .showHelpAfterError();

await runCli(async () => {
  const o = program.parse().opts();
  const optimizerFlags = Object.fromEntries(
    Object.entries({ lr: o.lr, beta1: o.beta1, beta2: o.beta2 }).filter(([, v]) => v !== undefined),
  );
  const opt = Object.keys(optimizerFlags).length ? optimizerFlags : undefined;
  const config = resolveTrainConfig({
    file: o.config,
    overrides: {
      name: o.name,
      data: o.data,
      model: o.model,
      loss: o.loss,
      logCCoefficient: o.logCCoefficient,
      conditional: o.conditional,
      classes: o.classes,
      latentDim: o.latentDim,
      noise: o.noise,
      generatorHidden: o.generatorHidden,
      criticHidden: o.criticHidden,
      iterations: o.iterations,
      batchSize: o.batchSize,
      sampling: o.sampling,
      nCritic: o.nCritic,
      lambda: o.lambda,
      clipValue: o.clipValue,
      implementation: o.implementation,
      threads: o.threads,
      onnxOptimizer: o.onnxOptimizer,
      penalty: o.penalty,
      seed: o.seed,
      backend: o.backend,
      logEvery: o.logEvery,
      snapshotEvery: o.snapshotEvery,
      checkpointEvery: o.checkpointEvery,
      optimizerG: opt,
      optimizerD: opt,
    },
  });
  if (o.dryRun) {
    // with --resume, the config that will run: the checkpoint's, and the requested settings it does not apply
    const runDir = artifactPaths.run(config.name, '--name');
    const saved =
      o.resume && !o.fresh && existsSync(join(runDir, 'checkpoints', 'latest'))
        ? (await readCheckpoint(await resolveCheckpoint(runDir))).config
        : null;
    const resumed = saved ? resumedConfig(config, saved) : null;
    const plan = resumed
      ? { config: resumed.config, notApplied: resumed.ignored, resumes: runDir }
      : { config, writes: runDir };
    process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    return;
  }
  const logger = createLogger({
    name: 'train',
    file: join(artifactPaths.run(config.name, '--name'), 'train.log.jsonl'),
  });
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nSIGINT: finishing the iteration and writing a checkpoint (Ctrl-C again to kill)\n');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const result = await train(config, {
    logger,
    resume: o.resume,
    fresh: o.fresh,
    signal: abort.signal,
    progress: o.progress,
  });
  if (result.stopped) process.exitCode = 130;
});
