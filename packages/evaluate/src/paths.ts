import { artifactName, artifactPath } from '@wgan/core';
import type { ClassifierConfig } from './classifier.js';
import type { CompareConfig } from './compare.js';
import type { EvaluateConfig } from './evaluate-run.js';

/**
 * The names and folders the evaluate CLIs take, checked before anything is read or written: names are
 * one plain folder name (artifactName), folders resolve inside the artifacts root (artifactPath), and
 * each error names its flag (exit 2).
 */
export function evaluatePaths(config: EvaluateConfig): void {
  artifactName(config.run, '--run');
  for (const run of config.compare) artifactName(run, '--compare');
  const folders = {
    '--run-dir': config.runDir,
    '--data': config.data,
    '--classifier': config.classifier,
    '--out': config.out,
  };
  for (const [flag, path] of Object.entries(folders)) if (path !== undefined) artifactPath(path, flag);
}

/** `evaluate classifier`: --data and --out inside the artifacts root. */
export function classifierPaths(config: ClassifierConfig): void {
  artifactPath(config.data, '--data');
  if (config.out !== undefined) artifactPath(config.out, '--out');
}

/** `evaluate compare`: every run and the comparison's name plain names, --out inside the artifacts root. */
export function comparePaths(config: CompareConfig): void {
  for (const run of config.runs) artifactName(run, '--runs');
  artifactName(config.name, '--name');
  if (config.out !== undefined) artifactPath(config.out, '--out');
}

/** `--dataset <id>` of `evaluate classifier`: the data artifact data/<id>. */
export function datasetData(dataset: string): string {
  return `data/${artifactName(dataset, '--dataset')}`;
}
