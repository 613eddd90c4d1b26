/**
 * data-prep throughput: parse + verify + normalise + shard + hash the 60k MNIST training set (and the
 * 10k test set) from the npm package, into a temporary folder. Prints images/s and peak RSS.
 *   npx nx run data-prep:bench      (or: npx tsx packages/data-prep/bench/throughput.ts [repeats])
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPrepSchema, prepareDataset } from '../src/index.js';

const repeats = Number(process.argv[2] ?? 3);
const dir = await mkdtemp(join(tmpdir(), 'data-prep-bench-'));
const seconds: number[] = [];
let images = 0;
try {
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const { stats } = await prepareDataset({ ...dataPrepSchema.parse({}), out: join(dir, `run-${r}`) });
    seconds.push((performance.now() - t0) / 1000);
    images = stats.E1.train.total + stats.E1.test.total;
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
seconds.sort((a, b) => a - b);
const median = seconds[Math.floor(seconds.length / 2)];
const peakRssMb = process.resourceUsage().maxRSS / 1024;
const result = {
  images,
  repeats,
  medianSeconds: Number(median.toFixed(3)),
  imagesPerSecond: Math.round(images / median),
  peakRssMb: Math.round(peakRssMb),
};
console.log(
  `data-prep: ${images} images (60k train + 10k test) in ${median.toFixed(2)} s (median of ${repeats}) → ${result.imagesPerSecond} images/s, peak RSS ${result.peakRssMb} MB`,
);
console.log(JSON.stringify(result));
