import { formatTable } from '@wgan/core';
import type { DataStats } from './prepare.js';

const r3 = (v: number) => v.toFixed(3);

/** The E1/E2 tables printed after data-prep (3 decimals, as the seed asks). */
export function formatStats(stats: DataStats, classes: string[]): string {
  const e1 = stats.E1.train;
  const perClass = formatTable(
    ['split', ...classes.map((_, i) => String(i)), 'total'],
    (['train', 'test'] as const).map((s) => [s, ...stats.E1[s].counts, stats.E1[s].total]),
  );
  const e1Line = `E1 (train): Total = ${e1.total}, Δ = ${e1.delta}, Imbalance = ${r3(e1.imbalancePct)}%`;
  const e2 = stats.E2;
  const e2Table = formatTable(
    ['E2 (first batch)', 'B', 'μ', 'σ', 'min', 'max', 'p(|x|≤0.5)'],
    [['seed ' + e2.seed, e2.batchSize, r3(e2.mean), r3(e2.std), r3(e2.min), r3(e2.max), r3(e2.fracAbsLeHalf)]],
  );
  return `${stats.dataset}: class counts\n${perClass}\n${e1Line}\n\n${e2Table}`;
}
