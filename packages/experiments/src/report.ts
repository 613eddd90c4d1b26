import { formatTable } from '@wgan/core';
import type { GanVsWganResult } from './gan-vs-wgan.js';
import type { RingResult } from './ring.js';
import type { WDistanceResult } from './wdistance.js';

/** The terminal summaries the CLI prints when an experiment is done (the same numbers as result.json). */

export function ringSummary(r: RingResult): string {
  const rows = (['clip', 'gp'] as const).flatMap((m) =>
    r.main[m].snapshots.map((s) => [
      m,
      s.epoch,
      s.metrics.meanRadialError.toFixed(3),
      `${(100 * s.metrics.fractionNearRing).toFixed(1)}%`,
      `${Math.round(36 * s.metrics.angularCoverage)}/36`,
      `${Math.round(36 * s.metrics.ringCoverage)}/36`,
    ]),
  );
  const parts = [
    `ring (${r.seconds.toFixed(0)} s, ${r.cpuSeconds.toFixed(0)} CPU-s, ${r.backend}) → ${r.dir}`,
    formatTable(['method', 'epoch', 'mean |‖x‖−1|', 'within 0.3', 'angle bins', 'near-ring bins'], rows),
  ];
  if (r.sensitivity) {
    parts.push(
      formatTable(
        ['method', 'lr', 'c / λ', 'radial error', '± seed std', 'within 0.3', 'near-ring bins', 'successes'],
        r.cells.map((c) => [
          c.method,
          String(c.lr),
          String(c.param),
          Number.isFinite(c.meanRadialError) ? c.meanRadialError.toFixed(3) : 'diverged',
          Number.isFinite(c.stdRadialError) ? c.stdRadialError.toFixed(3) : '–',
          `${(100 * c.meanNearRing).toFixed(1)}%`,
          `${(36 * c.meanRingCoverage).toFixed(1)}/36`,
          `${c.successes}/${c.runs.length}`,
        ]),
      ),
      r.sensitivity.statement,
    );
  }
  return parts.join('\n\n');
}

export function wdistanceSummary(r: WDistanceResult): string {
  return [
    `wdistance (${r.seconds.toFixed(0)} s, ${r.cpuSeconds.toFixed(0)} CPU-s, ${r.backend}) → ${r.dir}`,
    formatTable(
      ['θ', 'estimate'],
      r.thetas.map((t, i) => [t.toFixed(2), r.estimates[i].toFixed(4)]),
    ),
    `κ = ${r.kappa.toFixed(4)}, Pearson r with |θ| = ${r.pearsonR.toFixed(5)}`,
  ].join('\n\n');
}

export function ganVsWganSummary(r: GanVsWganResult): string {
  const rows = r.subsets.flatMap((s) =>
    (['wgan', 'gan'] as const).map((m) => {
      const run = s.runs[m];
      const h = run.histogram;
      return [
        `[${s.digits.join(',')}]`,
        m,
        `${run.iterations}×${run.nCritic}`,
        run.seconds.toFixed(0),
        run.finite ? 'yes' : 'NO',
        h
          ? Object.entries(h.shares)
              .filter(([, v]) => v > 0)
              .map(([d, v]) => `${d}: ${(100 * v).toFixed(1)}%`)
              .join(' ')
          : '–',
        h ? h.modesCovered.join(',') || 'none' : '–',
      ];
    }),
  );
  const classifiers = r.subsets.map(
    (s) =>
      `[${s.digits.join(',')}]: ${s.classifier.kind} classifier, ${(100 * s.classifier.testAccuracy).toFixed(1)}% right on the subset's test images; real test images classified as ${Object.entries(
        s.realHistogram.shares,
      )
        .filter(([, v]) => v >= 0.005)
        .map(([d, v]) => `${d}: ${(100 * v).toFixed(1)}%`)
        .join(' ')}`,
  );
  return [
    `gan-vs-wgan (${r.seconds.toFixed(0)} s, ${r.cpuSeconds.toFixed(0)} CPU-s, ${r.backend}) → ${r.dir}`,
    formatTable(['digits', 'method', 'iters×steps', 'seconds', 'finite', 'classified as', 'modes ≥ 10%'], rows),
    ...classifiers,
  ].join('\n\n');
}
