#!/usr/bin/env zx
// vae: seed 002's VAE (Part I–II) through the same stages as the GANs — data-prep → train --model vae
// (d_z 20, B 128, 20 epochs = 9,360 iterations, Adam 1e-3, continuous-Bernoulli likelihood) → export
// (the decoder as ONNX) → evaluate (IS of 10,000 samples, FD, class histogram; next to the GAN runs
// already evaluated) → render. About an hour on a 2-core CPU (wasm), a few minutes on a GPU.
//   npx zx pipelines/vae.mjs                               (the same as: npx nx run train:vae)
//   npx zx pipelines/vae.mjs --name vae-2d --latent-dim 2   (any train flag passes through; --name names the run)
//   npx zx pipelines/vae.mjs --compare default,clip          (GAN runs for the comparison table; default: every
//                                                             evaluated run under artifacts/eval/ but this one)
import { $, chalk, fs, path } from 'zx';
import { onDisk } from './lib.mjs';

const script = process.argv.findIndex((a) => a.endsWith('vae.mjs'));
const args = process.argv.slice(script + 1);
/** Removes `--flag value` (or `--flag=value`) from args and returns the value. */
function take(flag) {
  const joined = args.findIndex((a) => a.startsWith(`${flag}=`));
  if (joined >= 0) return args.splice(joined, 1)[0].slice(flag.length + 1);
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
}
const run = take('--name') ?? 'vae';
const CLASSIFIER = 'artifacts/classifier/mnist-20ep';
const compareFlag = take('--compare');

const timings = [];
const t0 = Date.now();
async function stage(name, fn) {
  const started = Date.now();
  console.log(chalk.bold(`\n▶ ${name}`));
  await fn();
  timings.push({ stage: name, seconds: (Date.now() - started) / 1000 });
}
const tsx = (cli, ...rest) => $({ stdio: 'inherit' })`npx tsx ${cli} ${rest}`;

await stage('data-prep', async () => {
  if (await fs.pathExists(onDisk('artifacts/data/mnist/manifest.json')))
    console.log('artifacts/data/mnist is there (verified by train when it loads it)');
  else await tsx('packages/data-prep/src/cli.ts');
});
await stage('train', () =>
  tsx('packages/train/src/cli.ts', '--model', 'vae', '--name', run, '--fresh', '--no-progress', ...args),
);
await stage('export', () => tsx('packages/export/src/cli.ts', '--run', run));
if (await fs.pathExists('packages/evaluate/src/cli.ts')) {
  await stage('evaluate', async () => {
    // seed 002 scores its VAE with a classifier trained 20 epochs (PART II; its IS ≥ 9.0 is that
    // classifier's number): the same recipe here, trained once (the quick/full profiles use 5 epochs)
    if (!(await fs.pathExists(onDisk(`${CLASSIFIER}/manifest.json`))))
      await tsx('packages/evaluate/src/cli.ts', 'classifier', '--epochs', '20', '--out', CLASSIFIER);
    // only runs scored by the same classifier compare
    // the report names its classifier relative to the workspace, or absolute under another WGAN_ARTIFACTS
    const sameFolder = (reported, ours) =>
      typeof reported === 'string' && path.resolve(onDisk(reported)) === path.resolve(onDisk(ours));
    const scoredBySame = (r) =>
      fs.existsSync(onDisk(`artifacts/eval/${r}/report.json`)) &&
      sameFolder(fs.readJsonSync(onDisk(`artifacts/eval/${r}/report.json`)).evaluation?.classifier, CLASSIFIER);
    const evaluated = (await fs.pathExists(onDisk('artifacts/eval')))
      ? (await fs.readdir(onDisk('artifacts/eval'))).filter((r) => r !== run && scoredBySame(r))
      : [];
    const compare = compareFlag ?? evaluated.join(',');
    if (!compare)
      console.log(
        chalk.yellow(
          `no other run scored by ${CLASSIFIER} to compare with: run pipelines/gan-family.mjs first, or evaluate a GAN run with --classifier ${CLASSIFIER} and pass --compare`,
        ),
      );
    await tsx(
      'packages/evaluate/src/cli.ts',
      '--run',
      run,
      '--classifier',
      CLASSIFIER,
      ...(compare ? ['--compare', compare] : []),
    );
    // the same runs in the stand-alone comparison (adds iterations and training wall time): artifacts/compare/<run>/
    if (compare)
      await tsx(
        'packages/evaluate/src/cli.ts',
        'compare',
        '--runs',
        [run, ...compare.split(',')].join(','),
        '--name',
        run,
      );
  });
} else {
  console.log(
    chalk.yellow(
      '\nevaluate: packages/evaluate is not in this checkout; skipped (IS, FD and the comparison table need it)',
    ),
  );
}
await stage('render', () => tsx('packages/render/src/cli.ts', '--run', run));

console.log(chalk.bold(`\nvae (${run}): stage timings`));
for (const { stage: s, seconds } of timings) console.log(`  ${s.padEnd(10)} ${seconds.toFixed(1).padStart(8)} s`);
console.log(`  ${'total'.padEnd(10)} ${((Date.now() - t0) / 1000).toFixed(1).padStart(8)} s`);
if (await fs.pathExists(onDisk(`artifacts/eval/${run}/report.md`)))
  console.log(
    chalk.green(`\nreport: artifacts/eval/${run}/report.md (and .html, .json); figures: artifacts/render/${run}/`),
  );
if (await fs.pathExists(onDisk(`artifacts/compare/${run}/comparison.md`)))
  console.log(chalk.green(`comparison: artifacts/compare/${run}/comparison.md`));
