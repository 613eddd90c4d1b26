// Shared by the zx profiles: runs the stages in order through Nx (so each is cached exactly as
// `nx run-many -t pipeline -c <profile>` caches it), times each, and prints where the report is.
import { $, chalk, fs, path } from 'zx';

/**
 * The artifacts root the stages use: $WGAN_ARTIFACTS, else ./artifacts. `onDisk('artifacts/eval/x')` is where
 * the stages put what the scripts (and the stages' flags) call `artifacts/eval/x`.
 */
export const ARTIFACTS_ROOT = process.env.WGAN_ARTIFACTS
  ? path.resolve(process.env.WGAN_ARTIFACTS)
  : path.resolve('artifacts');
export function onDisk(p) {
  return p === 'artifacts' || p.startsWith('artifacts/') ? path.join(ARTIFACTS_ROOT, p.slice('artifacts'.length)) : p;
}

export const STAGES = ['data-prep', 'train', 'export', 'evaluate', 'render'];

/**
 * @param {string} profile  an Nx configuration of every stage's pipeline target (quick | full | fashion | conditional)
 * @param {{ run?: string, stages?: string[] }} [options]
 */
export async function runProfile(profile, options = {}) {
  const run = options.run ?? 'default';
  const stages = options.stages ?? STAGES;
  const timings = [];
  const t0 = Date.now();
  for (const stage of stages) {
    const started = Date.now();
    console.log(chalk.bold(`\n▶ ${stage} (${profile})`));
    // the stages before are cache hits by now (a stage's own dependencies, such as the classifier, still run)
    await $({ stdio: 'inherit' })`npx nx run ${`${stage}:pipeline:${profile}`} --output-style=stream`;
    timings.push({ stage, seconds: (Date.now() - started) / 1000 });
  }
  console.log(chalk.bold(`\nprofile ${profile}: stage timings`));
  for (const { stage, seconds } of timings) console.log(`  ${stage.padEnd(10)} ${seconds.toFixed(1).padStart(8)} s`);
  console.log(`  ${'total'.padEnd(10)} ${((Date.now() - t0) / 1000).toFixed(1).padStart(8)} s`);
  const report = `artifacts/eval/${run}/report.md`;
  if (await fs.pathExists(onDisk(report)))
    console.log(chalk.green(`\nreport: ${report} (and report.html, report.json); figures: artifacts/render/${run}/`));
  return timings;
}
