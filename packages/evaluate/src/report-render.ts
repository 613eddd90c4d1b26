import type { Report } from './report-schema.js';

/**
 * report.md and report.html from one list of tables, so the two never disagree. Numbers are rounded to
 * 3 decimals (the seed's rule; E7's mean |w| keeps 4, as the seed's own example does). The HTML is
 * self-contained: styles inline, every figure a data-URI PNG.
 */
export interface Table {
  title: string;
  header: string[];
  rows: string[][];
  /** A sentence under the table. */
  caption?: string;
}

export interface Figure {
  id: string;
  /** Its file in the artifact, relative (report.md links it). */
  file: string;
  title: string;
  png: Uint8Array;
  caption?: string;
}

export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return 'N/A';
  return x.toFixed(digits);
}

const tuple = (...xs: string[]) => `(${xs.join(', ')})`;

/** A p-value for people: 3 significant digits, or an upper bound when tiny. */
export function formatP(p: number): string {
  return p < 1e-4 ? 'p < 1e-4' : `p = ${p.toPrecision(3)}`;
}

export function reportTables(r: Report): Table[] {
  const na = (key: string) => `N/A — ${r.notes[key] ?? 'not applicable'}`;
  const quality: Table = {
    title: 'Sample quality (MNIST classifier)',
    header: ['metric', 'generated', 'real reference'],
    rows: [
      [
        `inception score (${r.inceptionScore.samples.toLocaleString('en-US')} samples)`,
        fmt(r.inceptionScore.fake),
        `${fmt(r.inceptionScore.realTest)} (test set, ceiling)`,
      ],
      [
        'Fréchet distance to test (penultimate features)',
        fmt(r.frechet.fakeVsTest),
        `${fmt(r.frechet.trainVsTest)} (train vs test, floor)`,
      ],
      [
        'χ² of the class histogram to uniform (9 dof)',
        `${fmt(r.classHistogram.chiSquare)} (${formatP(r.classHistogram.pValue)})`,
        `${fmt(r.classHistogram.realTestChiSquare)} (test set)`,
      ],
      [
        'classifier test accuracy',
        fmt(r.classifier.testAccuracy, 4),
        `${r.classifier.meetsTarget ? 'meets' : 'BELOW'} the 0.98 target ` +
          `(${r.classifier.epochs} epochs, ${fmt(r.classifier.seconds, 0)} s)`,
      ],
    ],
  };
  const histogram: Table = {
    title: 'Predicted class histogram',
    header: ['', ...r.classHistogram.counts.map((_, k) => String(k))],
    rows: [
      ['generated', ...r.classHistogram.counts.map(String)],
      ['real test', ...r.classHistogram.realTestCounts.map(String)],
    ],
  };
  const e = r;
  const answers: Table = {
    title: 'Seed answers (OPPE WGAN, E1–E10)',
    header: ['', 'quantity', 'answer'],
    rows: [
      ['E1', '(Total, Δ, Imbalance %)', tuple(String(e.E1.total), String(e.E1.delta), `${fmt(e.E1.imbalancePct)}%`)],
      [
        'E2',
        `(μ, σ, min, max, p) of the first batch (B = ${e.E2.batchSize})`,
        tuple(fmt(e.E2.mean), fmt(e.E2.std), fmt(e.E2.min), fmt(e.E2.max), fmt(e.E2.fracAbsLeHalf)),
      ],
      ['E3', '(n_G, n_D, r, MB)', tuple(String(e.E3.nG), String(e.E3.nD), fmt(e.E3.ratio), fmt(e.E3.sizeMb))],
      [
        'E4',
        `(L̄_D, Δ_D, Δ_G) of one ${e.E4?.nCritic ?? e.E4?.lossD?.length ?? 5} + 1 cycle`,
        e.E4 ? tuple(fmt(e.E4.lossDMean), fmt(e.E4.deltaD), fmt(e.E4.deltaG)) : na('E4'),
      ],
      [
        'E5',
        e.E5 ? `(E[D(x)], E[D(G(z))], Ŵ₁), B = ${e.E5.batchSize}` : '(E[D(x)], E[D(G(z))], Ŵ₁)',
        e.E5 ? tuple(fmt(e.E5.dReal), fmt(e.E5.dFake), fmt(e.E5.wassersteinGap)) : na('E5'),
      ],
      [
        'E6',
        e.E6 ? `(ḡ, s_g, GP), N = ${e.E6.n}, λ = ${e.E6.lambda}` : '(ḡ, s_g, GP)',
        e.E6 ? tuple(fmt(e.E6.gradNormMean), fmt(e.E6.gradNormStd), fmt(e.E6.gradientPenalty)) : na('E6'),
      ],
      [
        'E7',
        e.E7 ? `(f, mean |w|, r_max), c = ${e.E7.clipValue}` : '(f, mean |w|, r_max)',
        e.E7 ? tuple(fmt(e.E7.fracAtBound), fmt(e.E7.meanAbsWeight, 4), fmt(e.E7.maxAbsRatio)) : na('E7'),
      ],
      [
        'E8',
        e.E8 ? `(d₁₂, d₂₃), t = ${e.E8.iterations.slice(0, 3).join(' / ')}` : '(d₁₂, d₂₃)',
        e.E8 ? tuple(fmt(e.E8.d12), fmt(e.E8.d23)) : na('E8'),
      ],
      [
        'E9',
        `r over z_${e.E9.latentIndex} ∈ [${fmt(e.E9.values[0], 0)}, ` +
          `${fmt(e.E9.values[e.E9.values.length - 1], 0)}] (${e.E9.values.length} values)`,
        e.E9.r === null ? 'N/A — constant mean intensity' : fmt(e.E9.r),
      ],
      [
        'E10',
        e.E10 ? `a over K = ${e.E10.pairs} held-out pairs` : 'a over K held-out pairs',
        e.E10 ? `${fmt(e.E10.accuracy, 4)} (${e.E10.correct}/${e.E10.pairs})` : na('E10'),
      ],
    ],
  };
  const tables = [quality, histogram, answers];
  if (e.E8 && e.E8.drifts.length > 2) {
    tables.push({
      title: 'E8: drift between every pair of snapshots',
      header: ['from', 'to', 'd'],
      rows: e.E8.drifts.map((d) => [String(d.from), String(d.to), fmt(d.d)]),
    });
  }
  if (r.checkpoints?.length) {
    tables.push({
      title: 'Checkpoints',
      header: ['iteration', 'inception score', 'Fréchet distance', 'Ŵ₁ (held-out)', ''],
      rows: r.checkpoints.map((c) => [
        String(c.iteration),
        fmt(c.inceptionScore),
        fmt(c.frechet),
        fmt(c.wassersteinGap),
        c.checkpoint === r.bestCheckpoint?.checkpoint ? 'best' : '',
      ]),
      caption: r.bestCheckpoint
        ? `Best checkpoint: ${r.bestCheckpoint.checkpoint} (${r.bestCheckpoint.criterion}).`
        : undefined,
    });
  }
  if (r.comparison?.length) {
    const others = r.comparison.filter((c) => !c.sameClassifier);
    tables.push({
      title: 'Comparison with other runs',
      header: [
        'run',
        'model',
        'loss',
        'iteration',
        'IS',
        'FD',
        'χ²',
        ...r.classHistogram.counts.map((_, k) => String(k)),
      ],
      rows: r.comparison.map((c) => [
        `${c.run}${c.sameClassifier ? '' : ' †'}`,
        c.model,
        c.loss,
        String(c.iteration),
        fmt(c.inceptionScore),
        fmt(c.frechet),
        fmt(c.chiSquare),
        ...c.counts.map(String),
      ]),
      caption:
        `IS = exp(E_x KL(p(y|x) ‖ p(y))) (seed 002), FD to the test set on the classifier's features, χ² of the ` +
        `predicted-class counts (0–9) to uniform; ${r.comparison[0].samples.toLocaleString('en-US')} samples each.` +
        (others.length
          ? ` † scored with another classifier (${[...new Set(others.map((c) => `${c.classifier}, accuracy ${fmt(c.classifierAccuracy, 4)}`))].join('; ')}): not comparable.`
          : ' Every row was scored with the same classifier.'),
    });
  }
  return tables;
}

function title(r: Report): string {
  return `Evaluation of run "${r.run.name}", checkpoint ${r.run.checkpoint} (iteration ${r.run.iterations})`;
}

function subtitle(r: Report): string {
  return (
    `${r.run.model} generator, loss ${r.run.loss}, trained with ${r.run.trainer ?? r.run.backend}; ` +
    `evaluated ${r.evaluation.createdAt} on ${r.evaluation.backend}, seed ` +
    `${r.evaluation.seed}, ${r.evaluation.samples.toLocaleString('en-US')} samples.`
  );
}

function formatTimings(r: Report): string {
  return Object.entries(r.timings)
    .map(([k, v]) => `${k.replace(/Seconds$/, '')} ${v.toFixed(1)} s`)
    .join(' · ');
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function renderMarkdown(r: Report, figures: Figure[] = []): string {
  const out: string[] = [`# ${title(r)}`, '', subtitle(r), ''];
  for (const f of figures)
    out.push(`![${f.title}](${f.file})`, '', `*${f.title}${f.caption ? `: ${f.caption}` : ''}.*`, '');
  for (const t of reportTables(r)) {
    out.push(
      `## ${t.title}`,
      '',
      `| ${t.header.map(mdEscape).join(' | ')} |`,
      `|${t.header.map(() => '---').join('|')}|`,
    );
    for (const row of t.rows) out.push(`| ${row.map(mdEscape).join(' | ')} |`);
    if (t.caption) out.push('', t.caption);
    out.push('');
  }
  const notes = Object.entries(r.notes);
  if (notes.length) {
    out.push('## Notes', '');
    for (const [k, v] of notes) out.push(`- **${k}**: ${v}`);
    out.push('');
  }
  out.push('## Timings', '', formatTimings(r), '');
  return out.join('\n');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function dataUriPng(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#111}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.sub{color:#555;margin-top:0}table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top}
td{font-variant-numeric:tabular-nums}th{background:#f4f4f4}
figure{display:inline-block;margin:.5rem 1.5rem .5rem 0;vertical-align:top}
figure img{image-rendering:pixelated;border:1px solid #ccc;max-width:100%}
figcaption{color:#555;font-size:.85rem;max-width:420px}
ul.notes li{margin:.2rem 0}.caption{color:#555}`;

export function renderHtml(r: Report, figures: Figure[] = []): string {
  const parts: string[] = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${esc(title(r))}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${esc(title(r))}</h1>`,
    `<p class="sub">${esc(subtitle(r))}</p>`,
  ];
  if (figures.length) {
    for (const f of figures) {
      parts.push(
        `<figure id="fig-${esc(f.id)}"><img alt="${esc(f.title)}" src="${dataUriPng(f.png)}"><figcaption><b>${esc(f.title)}</b>${f.caption ? `. ${esc(f.caption)}` : ''}</figcaption></figure>`,
      );
    }
  }
  for (const t of reportTables(r)) {
    parts.push(
      `<h2>${esc(t.title)}</h2><table><thead><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>`,
    );
    for (const row of t.rows) parts.push(`<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
    parts.push('</tbody></table>');
    if (t.caption) parts.push(`<p class="caption">${esc(t.caption)}</p>`);
  }
  const notes = Object.entries(r.notes);
  if (notes.length) {
    parts.push('<h2>Notes</h2><ul class="notes">');
    for (const [k, v] of notes) parts.push(`<li><b>${esc(k)}</b>: ${esc(v)}</li>`);
    parts.push('</ul>');
  }
  parts.push(`<h2>Timings</h2><p>${esc(formatTimings(r))}</p>`);
  parts.push('</body></html>', '');
  return parts.join('\n');
}
