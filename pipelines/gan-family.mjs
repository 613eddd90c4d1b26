#!/usr/bin/env zx
// gan-family: seed 002's other GANs with the seed's settings — the vanilla GAN and the least-squares GAN
// (MLPs, 10 epochs) and the DCGAN (5 epochs; the seed allows 3 on a CPU) — and the seed-001 WGAN-GP for
// reference, each trained, exported and evaluated by the stage CLIs, then one comparison table
// (IS, FD, class histogram, E10, iterations, training time).
//
//   npx zx pipelines/gan-family.mjs                      (the same as: npx nx run train:gan-family)
//   npx zx pipelines/gan-family.mjs --dcgan-epochs 3     the seed's CPU allowance
//   npx zx pipelines/gan-family.mjs --dcgan-gp           also the DCGAN networks with the WGAN-GP loss
//   npx zx pipelines/gan-family.mjs --smoke              a few iterations of each (checks the wiring)
//
// Finished runs are kept (a sealed run folder is not retrained; an interrupted one is resumed); pass
// --retrain to start them over. Options: --backend <auto|wasm|webgpu|…>, --samples <n> (evaluation, 10,000).
import { $, argv, chalk, fs } from 'zx';
import { onDisk } from './lib.mjs';

const EPOCH = 468; // ⌊60,000 / 128⌋ iterations of B = 128 per MNIST epoch (train drops the last partial batch)
const smoke = Boolean(argv.smoke);
const backend = argv.backend ?? 'auto';
const dcganEpochs = Number(argv['dcgan-epochs'] ?? 5);
const samples = smoke ? 1000 : Number(argv.samples ?? 10000);
const iterations = (n) => (smoke ? 4 : n);

/** name, train flags; iterations are the seed's epochs (seed 002's run_a_gan: num_epochs 10; DCGAN 5). */
const family = [
  { name: 'gan-vanilla', flags: ['--model', 'gan-mlp', '--loss', 'bce', '--iterations', iterations(10 * EPOCH)] },
  { name: 'gan-lsgan', flags: ['--model', 'gan-mlp', '--loss', 'lsgan', '--iterations', iterations(10 * EPOCH)] },
  { name: 'dcgan', flags: ['--model', 'dcgan', '--loss', 'bce', '--iterations', iterations(dcganEpochs * EPOCH)] },
  // seed 001's WGAN-GP (B = 64, n_critic = 5): 2,000 generator iterations read 10.7 epochs, as the MLP GANs' 10
  { name: 'wgan-gp', flags: ['--model', 'mlp', '--loss', 'gp', '--iterations', iterations(2000)] },
];
// beyond the seed: the DCGAN networks as a WGAN-GP (conv critic, nested-autodiff penalty, n_critic = 5);
// as many generator iterations as read the DCGAN's epochs of critic batches
if (argv['dcgan-gp'])
  family.push({
    name: 'dcgan-wgan-gp',
    flags: [
      '--model',
      'dcgan',
      '--loss',
      'gp',
      '--batch-size',
      64,
      '--iterations',
      iterations(Math.round((dcganEpochs * 60000) / (5 * 64))),
    ],
  });

// a smoke run never touches the real runs' folders
const runs = family.map((r) => ({ ...r, name: smoke ? `${r.name}-smoke` : r.name }));
const comparison = smoke ? 'gan-family-smoke' : 'gan-family';

const timings = [];
const timed = async (label, f) => {
  const started = Date.now();
  console.log(chalk.bold(`\n▶ ${label}`));
  await f();
  timings.push({ label, seconds: (Date.now() - started) / 1000 });
};
const cli = (pkg) => `packages/${pkg}/src/cli.ts`;

if (!(await fs.pathExists(onDisk('artifacts/data/mnist/manifest.json'))))
  await timed('data-prep', () => $({ stdio: 'inherit' })`npx tsx ${cli('data-prep')}`);
// Seed 002 scores its GANs with a classifier trained 20 epochs (its PART II); the IS targets (DCGAN ≥ 8.5)
// are that classifier's numbers, so this profile uses the same recipe (the quick/full profiles keep the
// PyTorch anchor's 5 epochs): artifacts/classifier/mnist-20ep, trained once.
const classifier = smoke ? 'artifacts/classifier/mnist' : 'artifacts/classifier/mnist-20ep';
const classifierEpochs = smoke ? 5 : 20;
if (!(await fs.pathExists(onDisk(`${classifier}/manifest.json`))))
  await timed(
    'classifier',
    () =>
      $({ stdio: 'inherit' })`npx tsx ${cli('evaluate')} classifier --epochs ${classifierEpochs} --out ${classifier}`,
  );

for (const run of runs) {
  const dir = `artifacts/runs/${run.name}`;
  const sealed = await fs.pathExists(onDisk(`${dir}/manifest.json`));
  const started = await fs.pathExists(onDisk(`${dir}/checkpoints/latest`));
  if (sealed && !argv.retrain && !smoke) {
    console.log(chalk.dim(`\n${run.name}: trained (${dir}/manifest.json); --retrain to start over`));
  } else {
    const mode = argv.retrain || smoke || !started ? ['--fresh'] : ['--resume'];
    await timed(
      `train ${run.name}`,
      () =>
        $({
          stdio: 'inherit',
        })`npx tsx ${cli('train')} --name ${run.name} ${run.flags} --backend ${backend} --no-progress ${mode}`,
    );
  }
  await timed(`export ${run.name}`, () => $({ stdio: 'inherit' })`npx tsx ${cli('export')} --run ${run.name} --critic`);
  await timed(
    `evaluate ${run.name}`,
    () =>
      $({
        stdio: 'inherit',
      })`npx tsx ${cli('evaluate')} --run ${run.name} --samples ${samples} --classifier ${classifier}`,
  );
}

await timed(
  'compare',
  () =>
    $({
      stdio: 'inherit',
    })`npx tsx ${cli('evaluate')} compare --runs ${runs.map((r) => r.name).join(',')} --name ${comparison}`,
);

console.log(chalk.bold('\ngan-family: stage timings'));
for (const { label, seconds } of timings) console.log(`  ${label.padEnd(28)} ${seconds.toFixed(1).padStart(9)} s`);
console.log(
  chalk.green(
    `\ncomparison: artifacts/compare/${comparison}/comparison.md (and comparison.json); per run: artifacts/eval/<run>/report.html`,
  ),
);
