/**
 * Cross-check of an evaluation against the PyTorch anchor's formulas: regenerates the very samples that
 * evaluate scored (same checkpoint, same latent stream), has bench/anchor_crosscheck.py score them with
 * the same classifier weights but the anchor's code (numpy float64 forward, log(p + 1e-12), np.cov,
 * scipy.linalg.sqrtm), and prints both side by side.
 *
 *   npx tsx packages/evaluate/bench/crosscheck.ts artifacts/eval/<run>
 *
 * Needs Debian's python with numpy and scipy (/usr/bin/python3; override with PYTHON=...).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifactPaths, formatTable, readArtifact, writeFloat32 } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import {
  checkpointNetworks,
  evaluateSchema,
  generate,
  readCheckpoint,
  resolveCheckpoint,
  reportSchema,
  sampleLatents,
  artifactDir,
} from '../src/index.js';

const evalDir = resolve(process.argv[2] ?? artifactPaths.eval('default'));
const artifact = await readArtifact(evalDir, { stage: 'evaluate' });
const config = evaluateSchema.parse(artifact.manifest.config);
const report = reportSchema.parse(JSON.parse(readFileSync(join(evalDir, 'report.json'), 'utf8')));
await initBackend(config.backend, { quiet: true });
const runDir = config.runDir ? artifactDir(config.runDir, '--run-dir') : artifactPaths.run(config.run);
const ckpt = await readCheckpoint(await resolveCheckpoint(runDir, report.run.checkpoint));
const { generator, critic } = checkpointNetworks(ckpt);
const images = await generate(
  generator,
  sampleLatents(config.seed, config.samples, generator.spec.inputSize),
  config.samples,
);
generator.dispose();
critic.dispose();

const tmp = mkdtempSync(join(tmpdir(), 'crosscheck-'));
const file = join(tmp, 'fake.f32');
await writeFloat32(file, images);
const dataDir = artifactDir(config.data ?? ckpt.config.data, '--data');
const script = join(dirname(fileURLToPath(import.meta.url)), 'anchor_crosscheck.py');
const t0 = performance.now();
const out = execFileSync(
  process.env.PYTHON ?? '/usr/bin/python3',
  [
    script,
    'score',
    '--classifier',
    artifactDir(report.evaluation.classifier, '--classifier'),
    '--data',
    dataDir,
    '--images',
    file,
  ],
  { encoding: 'utf8' },
);
rmSync(tmp, { recursive: true, force: true });
const py = JSON.parse(out.trim().split('\n').pop() as string) as Record<string, number | number[]>;

const rows: [string, number, number][] = [
  ['IS fake', report.inceptionScore.fake, py.IS_fake as number],
  ['IS real test', report.inceptionScore.realTest, py.IS_real_test as number],
  ['FD fake vs test', report.frechet.fakeVsTest, py.FD_fake_vs_test as number],
  ['FD train vs test', report.frechet.trainVsTest, py.FD_train_vs_test as number],
];
process.stdout.write(
  `${formatTable(
    ['figure', 'evaluate (tfjs + ml-matrix)', 'anchor formulas (numpy + scipy)', 'relative difference'],
    rows.map(([name, ours, theirs]) => [
      name,
      ours.toFixed(6),
      theirs.toFixed(6),
      (Math.abs(ours - theirs) / Math.abs(theirs)).toExponential(2),
    ]),
  )}\nclass histogram: evaluate ${JSON.stringify(report.classHistogram.counts)}\n                 anchor   ${JSON.stringify(py.class_hist_fake)}\n(python ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
);
