import { isAbsolute, relative, sep } from 'node:path';
import {
  acquireArtifactLock,
  artifactPath,
  artifactPaths,
  createProgress,
  workspaceRoot,
  type Logger,
} from '@wgan/core';
import { initBackend, type BackendInfo } from '@wgan/core/backend';
import { loadDataset, type Dataset } from '@wgan/data-prep';
import { trainClassifier, writeClassifierArtifact, type ClassifierConfig, type ClassifierMeta } from './classifier.js';
import { realReference } from './references.js';

/**
 * A folder path from a config: relative paths resolve inside the artifacts root (`data/mnist`, or the
 * workspace-relative `artifacts/data/mnist`, both following WGAN_ARTIFACTS); an absolute path given by
 * code is taken as it is (the CLIs check theirs with evaluatePaths first: inside the root only).
 */
export function artifactDir(p: string, flag: string): string {
  return isAbsolute(p) ? p : artifactPath(p, flag);
}

/** The inverse for reports: relative to the workspace root when inside it (portable), else absolute. */
export function displayPath(p: string): string {
  const rel = relative(workspaceRoot(), p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : p;
}

/** Where the classifier of a dataset lives: artifacts/classifier/<dataset id>. */
export function classifierDir(datasetId: string, out?: string): string {
  return out ? artifactDir(out, '--out') : artifactPaths.classifier(datasetId, '--dataset');
}

export interface ClassifierStageResult {
  dir: string;
  meta: ClassifierMeta;
  backend: BackendInfo;
}

/**
 * `evaluate classifier`: trains the MNIST classifier on the data artifact, measures its test accuracy
 * and the real-data reference figures (test-set IS, train-vs-test FD), writes artifacts/classifier/<id>/.
 */
export async function buildClassifier(
  config: ClassifierConfig,
  options: { logger?: Logger; progress?: boolean } = {},
): Promise<ClassifierStageResult> {
  const { logger } = options;
  const backend = await initBackend(config.backend, { quiet: true });
  logger?.info('backend', { name: backend.name, device: backend.device });
  const data = await loadDataset(artifactDir(config.data, '--data'));
  const dir = classifierDir(data.meta.datasetId, config.out);
  const lock = acquireArtifactLock(dir, { stage: 'classifier', logger, flag: config.out ? '--out' : '--data' });
  try {
    return await buildClassifierInto(dir, data, backend, config, options);
  } finally {
    lock.release();
  }
}

async function buildClassifierInto(
  dir: string,
  data: Dataset,
  backend: BackendInfo,
  config: ClassifierConfig,
  options: { logger?: Logger; progress?: boolean },
): Promise<ClassifierStageResult> {
  const { logger } = options;
  const stepsPerEpoch = Math.ceil(data.train.count / config.batchSize);
  const total = Math.min(config.maxSteps ?? Infinity, stepsPerEpoch * config.epochs);
  const progress = options.progress === false ? null : createProgress({ total, label: 'classifier', unit: 'batch' });
  const trained = await trainClassifier(data.train, data.test, config, { logger, onStep: (s) => progress?.update(s) });
  progress?.stop();
  const reference = await realReference(trained.classifier, data.test, data.train);
  const meta: ClassifierMeta = {
    dataset: data.meta.datasetId,
    testAccuracy: trained.testAccuracy,
    meetsTarget: trained.testAccuracy >= config.minTestAccuracy,
    minTestAccuracy: config.minTestAccuracy,
    epochs: trained.epochs,
    steps: trained.steps,
    seconds: trained.seconds,
    secondsPerEpoch: trained.history.reduce((s, h) => s + h.seconds, 0) / Math.max(1, trained.history.length),
    backend: `${backend.name} (${backend.device})`,
    reference: {
      inceptionScoreTest: reference.inceptionScoreTest,
      frechetTrainVsTest: reference.frechetTrainVsTest,
      testHistogram: reference.testHistogram,
    },
  };
  if (!meta.meetsTarget)
    logger?.warn('classifier below the target accuracy', {
      testAccuracy: meta.testAccuracy,
      target: config.minTestAccuracy,
      hint: 'train more epochs (--epochs)',
    });
  await writeClassifierArtifact(dir, trained, config, meta, data.artifact);
  trained.classifier.dispose();
  return { dir, meta, backend };
}
