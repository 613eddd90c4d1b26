import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  artifactPaths,
  artifactsRoot,
  parentRef,
  PipelineError,
  readArtifact,
  withArtifactLock,
  writeArtifact,
  z,
  type Artifact,
} from '@wgan/core';
import { savedTrainConfig } from '@wgan/train';
import { artifactDir } from './classifier-stage.js';
import { readComparedReports } from './comparison.js';
import { fmt } from './report-render.js';
import type { Report } from './report-schema.js';
import pkg from '../package.json' with { type: 'json' };

/**
 * `evaluate compare`: one table of several evaluated runs side by side — model, loss, iterations and
 * training wall time (from the sealed run's manifest), inception score, Fréchet distance, the class
 * histogram and its χ², and E10 (the critic's ordering accuracy) — with the real test set as the
 * reference row. Reads artifacts/eval/<run>/report.json and artifacts/runs/<run>/manifest.json (both
 * verified); writes artifacts/compare/<name>/ (comparison.md, comparison.json).
 */
export const COMPARE_STAGE = 'evaluate-compare';

const runName = z.string();
export const compareSchema = z
  .object({
    /** The evaluated runs, in table order. */
    runs: z.array(runName).min(1),
    /** The comparison's name: artifacts/compare/<name>. */
    name: runName.default('comparison'),
    /** Output folder (default artifacts/compare/<name>). */
    out: z.string().optional(),
  })
  .strict();
export type CompareConfig = z.output<typeof compareSchema>;

/** What the sealed train artifact says about the run's training. */
const trainMetaSchema = z
  .object({
    iterations: z.number(),
    backend: z.string().optional(),
    device: z.string().optional(),
    implementation: z.string().optional(),
    elapsedMs: z.number(),
    msPerIter: z.number(),
  })
  .loose();
export interface ComparisonTableRow {
  run: string;
  model: string;
  loss: string;
  latentDim: number;
  noise: string;
  batchSize: number | null;
  /** Generator iterations of the evaluated checkpoint, and the epochs of data its critic steps read. */
  iterations: number;
  epochs: number | null;
  trainSeconds: number;
  msPerIter: number;
  trainBackend: string;
  inceptionScore: number;
  frechet: number;
  histogram: number[];
  chiSquare: number;
  /** E10's ordering accuracy, null where the run has no critic answer. */
  e10Accuracy: number | null;
  samplesPng: string;
}

export interface Comparison {
  name: string;
  rows: ComparisonTableRow[];
  reference: {
    inceptionScoreTest: number;
    frechetTrainVsTest: number;
    histogram: number[];
    chiSquare: number;
    samples: number;
    classifier: string;
    classifierAccuracy: number;
  };
}

async function loadRun(run: string): Promise<{ row: ComparisonTableRow; report: Report; parents: Artifact[] }> {
  const [{ report, artifact: evalArtifact }] = await readComparedReports([run], '--runs');
  const runDir = artifactPaths.run(run, '--runs');
  const trainArtifact = await readArtifact(runDir, {
    stage: 'train',
    remake: `train the run to its end (npx tsx packages/train/src/cli.ts --name ${run} --resume)`,
  });
  const meta = trainMetaSchema.safeParse(trainArtifact.manifest.meta);
  if (!meta.success)
    throw new PipelineError(
      'the run manifest has no training time (elapsedMs, msPerIter)',
      join(runDir, 'manifest.json'),
      'retrain the run with the current train stage',
    );
  // train's schema; a value the run's config lacks is shown as unknown (null), not assumed
  const { config, defaulted } = savedTrainConfig(trainArtifact.manifest.config, join(runDir, 'manifest.json'));
  const known = (key: string) => !defaulted.includes(key);
  const row: ComparisonTableRow = {
    run,
    model: report.run.model,
    loss: report.run.loss,
    latentDim: report.run.latentDim,
    noise: report.run.noise ?? config.noise,
    batchSize: known('batchSize') ? config.batchSize : null,
    iterations: report.run.iterations,
    epochs:
      known('batchSize') && known('nCritic')
        ? (report.run.iterations * config.nCritic * config.batchSize) / report.E1.total
        : null,
    trainSeconds: meta.data.elapsedMs / 1000,
    msPerIter: meta.data.msPerIter,
    trainBackend: meta.data.device
      ? `${meta.data.backend} (${meta.data.device})`
      : (meta.data.backend ?? report.run.backend),
    inceptionScore: report.inceptionScore.fake,
    frechet: report.frechet.fakeVsTest,
    histogram: report.classHistogram.counts,
    chiSquare: report.classHistogram.chiSquare,
    e10Accuracy: report.E10 ? report.E10.accuracy : null,
    samplesPng: `../../eval/${run}/${report.files.samplesPng ?? 'samples.png'}`,
  };
  return { row, report, parents: [evalArtifact, trainArtifact] };
}

function minutes(seconds: number): string {
  return seconds < 120 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(1)} min`;
}

/** The comparison as markdown tables (what comparison.md holds and the CLI prints). */
export function comparisonTables(c: Comparison): { title: string; header: string[]; rows: string[][] }[] {
  const main = {
    title: `Comparison "${c.name}"`,
    header: ['run', 'model', 'loss', 'p(z)', 'iterations', 'train time', 'ms/iter', 'IS ↑', 'FD ↓', 'χ² ↓', 'E10 ↑'],
    rows: [
      ...c.rows.map((r) => [
        r.run,
        r.model,
        r.loss,
        `${r.noise === 'uniform' ? 'U(−1, 1)' : 'N(0, I)'}^${r.latentDim}`,
        `${r.iterations}${r.epochs !== null ? ` (${r.epochs.toFixed(1)} ep.)` : ''}`,
        minutes(r.trainSeconds),
        r.msPerIter.toFixed(0),
        fmt(r.inceptionScore),
        fmt(r.frechet),
        fmt(r.chiSquare),
        r.e10Accuracy === null ? 'N/A' : fmt(r.e10Accuracy),
      ]),
      [
        'real test set',
        '',
        '',
        '',
        '',
        '',
        '',
        fmt(c.reference.inceptionScoreTest),
        `${fmt(c.reference.frechetTrainVsTest)} (train)`,
        fmt(c.reference.chiSquare),
        '',
      ],
    ],
  };
  const histogram = {
    title: `Predicted class histogram (${c.reference.samples.toLocaleString('en-US')} samples per run)`,
    header: ['run', ...Array.from({ length: 10 }, (_, k) => String(k))],
    rows: [
      ...c.rows.map((r) => [r.run, ...r.histogram.map(String)]),
      ['real test set', ...c.reference.histogram.map(String)],
    ],
  };
  return [main, histogram];
}

export function comparisonMarkdown(c: Comparison): string {
  const out: string[] = [];
  for (const t of comparisonTables(c)) {
    out.push(
      `## ${t.title}`,
      '',
      `| ${t.header.join(' | ')} |`,
      `|${t.header.map(() => '---').join('|')}|`,
      ...t.rows.map((r) => `| ${r.join(' | ')} |`),
      '',
    );
  }
  out.push(
    `Every run scored by the classifier ${c.reference.classifier} (test accuracy ` +
      `${fmt(c.reference.classifierAccuracy, 4)}). IS: the seed-002 classifier inception score (10 is ` +
      `the ceiling; the real test set's is the reference). FD: Fréchet distance of the classifier's ` +
      `penultimate features to the test set (train vs test is the floor). χ²: the class histogram against ` +
      `uniform (9 dof). E10: how often the critic/discriminator scores a held-out real image above a sample ` +
      `(K pairs). Train time: the run's training wall time, diagnostics and checkpoint writing excluded.`,
    '',
    '## Samples',
    '',
    ...c.rows.flatMap((r) => [`**${r.run}** (${r.model}, ${r.loss})`, '', `![${r.run}](${r.samplesPng})`, '']),
  );
  return out.join('\n');
}

export async function compareRuns(config: CompareConfig): Promise<{ dir: string; comparison: Comparison }> {
  const dir =
    config.out !== undefined ? artifactDir(config.out, '--out') : artifactPaths.compare(config.name, '--name');
  return withArtifactLock(dir, { stage: COMPARE_STAGE, flag: config.out !== undefined ? '--out' : '--name' }, () =>
    compareInto(dir, config),
  );
}

async function compareInto(dir: string, config: CompareConfig): Promise<{ dir: string; comparison: Comparison }> {
  const loaded = [];
  for (const run of config.runs) loaded.push(await loadRun(run));
  const first = loaded[0].report;
  const samples = new Set(loaded.map((l) => l.report.evaluation.samples));
  if (samples.size > 1)
    throw new PipelineError(
      `the runs were scored on different sample counts (${[...samples].join(', ')})`,
      config.runs.join(', '),
      're-evaluate them with the same --samples',
    );
  // IS, FD and the histogram are the classifier's judgement: rows scored by different classifiers do not compare
  const classifiers = new Set(loaded.map((l) => l.report.evaluation.classifier));
  if (classifiers.size > 1)
    throw new PipelineError(
      `the runs were scored by different classifiers ` +
        `(${loaded.map((l) => `${l.row.run}: ${l.report.evaluation.classifier}`).join(', ')})`,
      config.runs.join(', '),
      're-evaluate them with the same --classifier',
    );
  const comparison: Comparison = {
    name: config.name,
    rows: loaded.map((l) => l.row),
    reference: {
      inceptionScoreTest: first.inceptionScore.realTest,
      frechetTrainVsTest: first.frechet.trainVsTest,
      histogram: first.classHistogram.realTestCounts,
      chiSquare: first.classHistogram.realTestChiSquare,
      samples: first.evaluation.samples,
      classifier: first.evaluation.classifier,
      classifierAccuracy: first.classifier.testAccuracy,
    },
  };
  const root = artifactsRoot();
  await writeArtifact(
    dir,
    {
      stage: COMPARE_STAGE,
      packageVersion: pkg.version,
      config,
      parents: loaded.flatMap((l) => l.parents.map((a) => parentRef(a, root))),
      meta: { runs: config.runs },
    },
    async (tmp) => {
      await writeFile(join(tmp, 'comparison.json'), `${JSON.stringify(comparison, null, 2)}\n`);
      await writeFile(join(tmp, 'comparison.md'), `# Model comparison\n\n${comparisonMarkdown(comparison)}`);
    },
  );
  return { dir, comparison };
}
