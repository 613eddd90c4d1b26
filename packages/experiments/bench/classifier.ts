/** Seconds to train the fallback ten-class classifier on MNIST, and its accuracy (needs artifacts/data/mnist). */
import { initBackend } from '@wgan/core/backend';
import { accuracyOn, trainFallbackClassifier } from '../src/classify.js';
import { loadMnist } from '../src/digits.js';
await initBackend('wasm', { quiet: true });
const mnist = await loadMnist();
const t0 = performance.now();
const c = await trainFallbackClassifier(mnist.train, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
console.log(
  `trained in ${((performance.now() - t0) / 1000).toFixed(1)} s; test accuracy ${(100 * (await accuracyOn(c, mnist.test))).toFixed(2)}%`,
);
