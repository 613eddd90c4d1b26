import type { DataSplit } from '@wgan/data-prep';
import type { Classifier } from './classifier.js';
import { featureStats } from './feature-stats.js';
import { frechetDistanceTo, frechetReference, type FrechetReference } from './formulas/frechet.js';
import { inceptionScore } from './formulas/inception.js';
import { chiSquareUniform, classHistogram } from './formulas/histogram.js';

/**
 * The real-data side of every score: the classifier's view of the test split (the inception score's
 * ceiling, the Fréchet reference) and of the first 10,000 training images (train vs test, the Fréchet
 * floor: two samples of the true distribution; the PyTorch anchor uses X[:10000] too).
 */
export interface RealReference {
  testCount: number;
  trainCount: number;
  inceptionScoreTest: number;
  frechetTrainVsTest: number;
  testHistogram: number[];
  testChiSquare: number;
  /** Test features' Gaussian with its Σ^½, to score generated sets against. */
  frechet: FrechetReference;
}

export async function realReference(
  classifier: Classifier,
  test: DataSplit,
  train: DataSplit,
  trainCount = 10_000,
): Promise<RealReference> {
  const d = classifier.featureSize;
  const t = await classifier.classify(test.images, test.count);
  const frechet = frechetReference(await featureStats(t.features as Float32Array, test.count, d));
  const n = Math.min(trainCount, train.count);
  const tr = await classifier.classify(train.images.subarray(0, n * (train.images.length / train.count)), n);
  const trainStats = await featureStats(tr.features as Float32Array, n, d);
  const testHistogram = classHistogram(t.probs);
  return {
    testCount: test.count,
    trainCount: n,
    inceptionScoreTest: inceptionScore(t.probs),
    frechetTrainVsTest: frechetDistanceTo(frechet, trainStats),
    testHistogram,
    testChiSquare: chiSquareUniform(testHistogram).chiSquare,
    frechet,
  };
}
