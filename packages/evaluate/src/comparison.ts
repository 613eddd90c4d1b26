import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { artifactPaths, PipelineError, readArtifact, type Artifact } from '@wgan/core';
import { displayPath } from './classifier-stage.js';
import { reportSchema, type ComparisonRow, type Report } from './report-schema.js';

/**
 * The comparison table (`--compare a,b`): the evaluated run's sample scores next to other runs'
 * evaluations, read from their artifacts/eval/<run>/report.json (verified artifacts, recorded as parents).
 * Inception score, Fréchet distance and the class histogram depend on the classifier that measured them,
 * so each row says whether it was scored with this evaluation's classifier (same artifact and accuracy).
 */
export type ScoredReport = Pick<
  Report,
  'run' | 'evaluation' | 'inceptionScore' | 'frechet' | 'classHistogram' | 'classifier'
>;

export function comparisonRow(r: ScoredReport, reference: ScoredReport, source: string): ComparisonRow {
  return {
    run: r.run.name,
    model: r.run.model,
    loss: r.run.loss,
    iteration: r.run.iterations,
    samples: r.inceptionScore.samples,
    inceptionScore: r.inceptionScore.fake,
    frechet: r.frechet.fakeVsTest,
    chiSquare: r.classHistogram.chiSquare,
    counts: r.classHistogram.counts,
    classifier: r.evaluation.classifier,
    classifierAccuracy: r.classifier.testAccuracy,
    sameClassifier:
      r.evaluation.classifier === reference.evaluation.classifier &&
      r.classifier.testAccuracy === reference.classifier.testAccuracy,
    source,
  };
}

/** The evaluations of `runs` (artifacts/eval/<run>/), verified; a missing or damaged one is an error naming the fix. */
export async function readComparedReports(
  runs: readonly string[],
  flag = '--compare',
): Promise<{ run: string; report: Report; artifact: Artifact; path: string }[]> {
  const out = [];
  for (const run of runs) {
    const dir = artifactPaths.eval(run, flag);
    const path = join(dir, 'report.json');
    if (!existsSync(path))
      throw new PipelineError(
        `no evaluation of run "${run}" to compare with`,
        path,
        `evaluate it first: npx tsx packages/evaluate/src/cli.ts --run ${run}`,
      );
    const artifact = await readArtifact(dir, {
      stage: 'evaluate',
      remake: `npx tsx packages/evaluate/src/cli.ts --run ${run}`,
    });
    const parsed = reportSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PipelineError(
        `report.json of run "${run}" is not this version's: ${issue.path.join('.')}: ${issue.message}`,
        path,
        `re-evaluate it: npx tsx packages/evaluate/src/cli.ts --run ${run}`,
      );
    }
    out.push({ run, report: parsed.data, artifact, path: displayPath(path) });
  }
  return out;
}
