import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { folderInside, PipelineError, writeArtifact, writeFileAtomic } from '@wgan/core';
import type { RunMetrics, RunResult } from './executor.js';
import { drawFigures } from './figures.js';
import { expandRuns, parseStudySpec, readStudySpec, type FlagValue, type StudySpec } from './spec.js';
import {
  bootstrapSpread,
  fisherExact,
  oneWayAnova,
  percentileInterval,
  seededUniform,
  spreadOfMeans,
  summarize,
  welchTest,
  wilsonInterval,
  type AnovaResult,
  type Summary,
  type WelchResult,
} from './stats.js';

/**
 * `study report`: artifacts/studies/<name>/report/ from the runs' result files: per cell and metric the
 * mean, std and 95% t-interval over seeds; cells ranked on the primary metric (FD when evaluated, else
 * training time) with Welch's test between every pair; failed and missing runs listed, never dropped.
 */

export const METRICS: { key: keyof RunMetrics; label: string; better: 'lower' | 'higher' }[] = [
  { key: 'inceptionScore', label: 'IS', better: 'higher' },
  { key: 'frechet', label: 'FD', better: 'lower' },
  { key: 'e10', label: 'E10', better: 'higher' },
  { key: 'wasserstein', label: 'Ŵ₁', better: 'lower' },
  // ring cells (experiments ring-cell)
  { key: 'nearRing', label: 'within 0.3', better: 'higher' },
  { key: 'radialError', label: 'radial error', better: 'lower' },
  { key: 'angularCoverage', label: 'angle bins', better: 'higher' },
  { key: 'ringCoverage', label: 'near-ring bins', better: 'higher' },
  { key: 'findsRing', label: 'finds ring', better: 'higher' },
  { key: 'trainSeconds', label: 'train s', better: 'lower' },
];

/** The metric cells are ranked on: FD when evaluated, the share within 0.3 for ring cells, else training time. */
function primaryMetricOf(cells: CellSummary[]): keyof RunMetrics {
  for (const key of ['frechet', 'nearRing'] as const) if (cells.some((c) => c.metrics[key])) return key;
  return 'trainSeconds';
}

/** Up to this many cells the markdown lists every pair's Welch test on every metric (report.json always has them). */
const PAIR_TABLE_MAX_CELLS = 6;

/** Bootstrap replicates behind the spread intervals (seeded: the same results give the same report). */
const BOOTSTRAP_REPLICATES = 4000;

export interface CellSummary {
  cell: string;
  grid: string;
  axes: Record<string, FlagValue>;
  runs: { run: string; seed: number; status: RunResult['status'] | 'missing'; error?: string }[];
  metrics: Partial<Record<keyof RunMetrics, Summary>>;
}

export interface Comparison {
  a: string;
  b: string;
  /** mean(a) − mean(b) */
  difference: number;
  welch: WelchResult | null;
  significant: boolean;
  /** Welch's test on every metric both cells have (the primary one included). */
  byMetric?: Partial<Record<keyof RunMetrics, { difference: number; welch: WelchResult | null; significant: boolean }>>;
}

/**
 * How much a grid's setting moves the primary metric: the spread across its cells of the cell means (over
 * seeds) with a bootstrap 95% interval (seeds resampled within each cell), a one-way ANOVA of "every cell
 * has the same mean", the seed-to-seed std within cells, and for ring grids how many runs find the ring.
 */
export interface GridSensitivity {
  grid: string;
  metric: keyof RunMetrics;
  cells: number;
  runs: number;
  meanOfCells: number;
  minCell: { cell: string; mean: number };
  maxCell: { cell: string; mean: number };
  spreadAcrossCells: number;
  spreadCi95: [number, number];
  anova: AnovaResult | null;
  /** Mean over cells of the within-cell (seed-to-seed) sample std. */
  seedStd: number;
  /** Ring grids: runs that find the ring, with the Wilson 95% interval of the share. */
  findsRing?: { successes: number; runs: number; ci95: [number, number] | null };
}

/** Two grids' sensitivities side by side: the difference in spread (bootstrap interval) and in successes (Fisher). */
export interface GridComparison {
  a: string;
  b: string;
  metric: keyof RunMetrics;
  /** spread(a) − spread(b) */
  spreadDifference: number;
  spreadDifferenceCi95: [number, number];
  /** The interval excludes 0. */
  spreadSignificant: boolean;
  findsRing?: { a: number; b: number; runs: [number, number]; fisherP: number; significant: boolean };
}

export interface StudyReport {
  schemaVersion: 1;
  study: string;
  description?: string;
  seeds: number[];
  createdAt: string;
  counts: { runs: number; done: number; failed: number; missing: number };
  primaryMetric: keyof RunMetrics;
  cells: CellSummary[];
  /** Cells best first on the primary metric (cells without a value last). */
  ranking: string[];
  /** Welch's two-sided test on the primary metric for every pair of cells, α = 0.05. */
  comparisons: Comparison[];
  /** Per grid of ≥ 2 cells: how much its setting moves the primary metric. */
  sensitivity?: GridSensitivity[];
  /** Every pair of those grids. */
  gridComparisons?: GridComparison[];
  runs: (RunResult | { run: string; cell: string; seed: number; status: 'missing' })[];
}

async function readResult(path: string): Promise<RunResult | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as RunResult;
  } catch {
    return null;
  }
}

/** Builds the report from the results on disk (pure apart from the reads). */
export async function buildReport(spec: StudySpec, root: string): Promise<StudyReport> {
  const plans = expandRuns(spec);
  const resultsDir = join(folderInside(root, 'study name', 'studies', spec.name), 'results');
  const results = await Promise.all(plans.map((p) => readResult(join(resultsDir, `${p.name}.json`))));
  return summarizeStudy(
    spec,
    plans.map((p, i) => results[i] ?? { run: p.name, cell: p.cell, seed: p.seed, status: 'missing' as const }),
  );
}

export function summarizeStudy(spec: StudySpec, runs: StudyReport['runs']): StudyReport {
  const plans = expandRuns(spec);
  const byRun = new Map(runs.map((r) => [r.run, r]));
  const cells = new Map<string, CellSummary>();
  const values = new Map<string, Partial<Record<keyof RunMetrics, number[]>>>();
  for (const p of plans) {
    if (!cells.has(p.cell)) {
      cells.set(p.cell, { cell: p.cell, grid: p.grid, axes: p.axes, runs: [], metrics: {} });
      values.set(p.cell, {});
    }
    const r = byRun.get(p.name);
    const status = r?.status ?? 'missing';
    cells
      .get(p.cell)!
      .runs.push({ run: p.name, seed: p.seed, status, ...(r && 'error' in r && r.error ? { error: r.error } : {}) });
    if (r && r.status === 'done') {
      const v = values.get(p.cell)!;
      for (const m of METRICS) {
        const x = r.metrics[m.key];
        if (typeof x === 'number' && Number.isFinite(x)) (v[m.key] ??= []).push(x);
      }
    }
  }
  for (const [cell, summary] of cells) {
    for (const [key, xs] of Object.entries(values.get(cell)!))
      summary.metrics[key as keyof RunMetrics] = summarize(xs as number[]);
  }
  const primary = primaryMetricOf([...cells.values()]);
  const better = METRICS.find((m) => m.key === primary)!.better;
  const ranking = [...cells.values()]
    .sort((a, b) => {
      const x = a.metrics[primary]?.mean ?? Number.NaN;
      const y = b.metrics[primary]?.mean ?? Number.NaN;
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
      return better === 'lower' ? x - y : y - x;
    })
    .map((c) => c.cell);
  const comparisons: Comparison[] = [];
  for (let i = 0; i < ranking.length; i++) {
    for (let j = i + 1; j < ranking.length; j++) {
      const a = values.get(ranking[i])![primary] ?? [];
      const b = values.get(ranking[j])![primary] ?? [];
      if (!a.length || !b.length) continue;
      const welch = welchTest(a, b);
      const significant = welch !== null && welch.p < 0.05;
      const byMetric: Comparison['byMetric'] = {};
      for (const m of METRICS) {
        const xa = values.get(ranking[i])![m.key] ?? [];
        const xb = values.get(ranking[j])![m.key] ?? [];
        if (!xa.length || !xb.length) continue;
        const w = welchTest(xa, xb);
        byMetric[m.key] = { difference: mean(xa) - mean(xb), welch: w, significant: w !== null && w.p < 0.05 };
      }
      comparisons.push({ a: ranking[i], b: ranking[j], difference: mean(a) - mean(b), welch, significant, byMetric });
    }
  }
  const { sensitivity, gridComparisons } = gridSensitivity([...cells.values()], values, primary);
  const count = (s: string) => runs.filter((r) => r.status === s).length;
  return {
    schemaVersion: 1,
    study: spec.name,
    ...(spec.description ? { description: spec.description } : {}),
    seeds: spec.seeds,
    createdAt: new Date().toISOString(),
    counts: { runs: plans.length, done: count('done'), failed: count('failed'), missing: count('missing') },
    primaryMetric: primary,
    cells: [...cells.values()],
    ranking,
    comparisons,
    ...(sensitivity.length ? { sensitivity, gridComparisons } : {}),
    runs,
  };
}

const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

function gridSensitivity(
  cells: CellSummary[],
  values: Map<string, Partial<Record<keyof RunMetrics, number[]>>>,
  metric: keyof RunMetrics,
): { sensitivity: GridSensitivity[]; gridComparisons: GridComparison[] } {
  const grids = [...new Set(cells.map((c) => c.grid))];
  const groupsOf = (grid: string) =>
    cells.filter((c) => c.grid === grid).map((c) => ({ cell: c.cell, xs: values.get(c.cell)?.[metric] ?? [] }));
  const sensitivity: GridSensitivity[] = [];
  const replicates = new Map<string, number[]>();
  grids.forEach((grid, index) => {
    const groups = groupsOf(grid).filter((g) => g.xs.length);
    if (groups.length < 2) return;
    const xs = groups.map((g) => g.xs);
    const boot = bootstrapSpread(xs, BOOTSTRAP_REPLICATES, seededUniform(1 + index));
    replicates.set(grid, boot);
    const means = groups.map((g) => ({ cell: g.cell, mean: mean(g.xs) }));
    const sorted = [...means].sort((p, q) => p.mean - q.mean);
    const within = xs.filter((g) => g.length > 1).map((g) => summarize(g).std ?? 0);
    const entry: GridSensitivity = {
      grid,
      metric,
      cells: groups.length,
      runs: xs.reduce((s, g) => s + g.length, 0),
      meanOfCells: mean(means.map((m) => m.mean)),
      minCell: sorted[0],
      maxCell: sorted[sorted.length - 1],
      spreadAcrossCells: spreadOfMeans(xs),
      spreadCi95: percentileInterval(boot),
      anova: oneWayAnova(xs),
      seedStd: within.length ? mean(within) : 0,
    };
    const finds = cells.filter((c) => c.grid === grid).flatMap((c) => values.get(c.cell)?.findsRing ?? []);
    if (finds.length) {
      const successes = finds.filter((v) => v === 1).length;
      entry.findsRing = { successes, runs: finds.length, ci95: wilsonInterval(successes, finds.length) };
    }
    sensitivity.push(entry);
  });
  const gridComparisons: GridComparison[] = [];
  for (let i = 0; i < sensitivity.length; i++) {
    for (let j = i + 1; j < sensitivity.length; j++) {
      const a = sensitivity[i];
      const b = sensitivity[j];
      const ra = replicates.get(a.grid)!;
      const rb = replicates.get(b.grid)!;
      // independent resamples of the two grids, paired by replicate index
      const ci = percentileInterval(ra.map((v, k) => v - rb[k]));
      const cmp: GridComparison = {
        a: a.grid,
        b: b.grid,
        metric,
        spreadDifference: a.spreadAcrossCells - b.spreadAcrossCells,
        spreadDifferenceCi95: ci,
        spreadSignificant: ci[0] > 0 || ci[1] < 0,
      };
      if (a.findsRing && b.findsRing) {
        const p = fisherExact(a.findsRing.successes, a.findsRing.runs, b.findsRing.successes, b.findsRing.runs);
        cmp.findsRing = {
          a: a.findsRing.successes,
          b: b.findsRing.successes,
          runs: [a.findsRing.runs, b.findsRing.runs],
          fisherP: p,
          significant: p < 0.05,
        };
      }
      gridComparisons.push(cmp);
    }
  }
  return { sensitivity, gridComparisons };
}

function num(x: number | null | undefined, digits = 3): string {
  if (x == null || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : x.toFixed(digits);
}

function cellText(s: Summary | undefined): string {
  if (!s || s.n === 0) return '—';
  if (s.ci95 === null) return `${num(s.mean)} (n=1)`;
  return `${num(s.mean)} ± ${num(s.std)} [${num(s.ci95[0])}, ${num(s.ci95[1])}]`;
}

/** Markdown: the cell table (mean ± std [95% CI], n), the ranking with significance, failed runs. */
export function reportMarkdown(report: StudyReport): string {
  const shown = METRICS.filter((m) => report.cells.some((c) => c.metrics[m.key]?.n));
  const lines = [`# Study ${report.study}`, ''];
  if (report.description) lines.push(report.description, '');
  lines.push(
    `${report.counts.runs} runs (${report.cells.length} cells × ` +
      `${report.seeds.length} seeds: ${report.seeds.join(', ')}): ` +
      `${report.counts.done} done, ${report.counts.failed} failed, ${report.counts.missing} missing.`,
    'Each entry: mean ± sample std [95% Student-t interval of the mean] over the seeds that finished.',
    '',
    `| cell | n | ${shown.map((m) => m.label).join(' | ')} |`,
    `|---|---|${shown.map(() => '---').join('|')}|`,
  );
  for (const c of report.cells) {
    const n = c.runs.filter((r) => r.status === 'done').length;
    lines.push(`| ${c.cell} | ${n}/${c.runs.length} | ${shown.map((m) => cellText(c.metrics[m.key])).join(' | ')} |`);
  }
  const label = METRICS.find((m) => m.key === report.primaryMetric)!.label;
  lines.push('', `## Ranking on ${label}`, '');
  report.ranking.forEach((cell, i) => {
    const next = report.ranking[i + 1];
    const cmp = next ? report.comparisons.find((c) => c.a === cell && c.b === next) : undefined;
    const verdict = cmp?.significant ? ' (significant)' : ' (not significant)';
    const vs = !cmp
      ? ''
      : cmp.welch
        ? ` — vs next: Δ ${num(cmp.difference)}, Welch p = ${num(cmp.welch.p)}${verdict}`
        : ' — vs next: no test (fewer than 2 seeds or no spread)';
    lines.push(`${i + 1}. ${cell}${vs}`);
  });
  if (report.cells.length <= PAIR_TABLE_MAX_CELLS && report.comparisons.some((c) => c.byMetric)) {
    lines.push(
      '',
      '## Differences between cells (Welch, two-sided)',
      '',
      '| a vs b | metric | mean a − mean b [95% Welch interval] | t | df | p | at α = 0.05 |',
      '|---|---|---|---|---|---|---|',
    );
    for (const c of report.comparisons) {
      for (const m of shown) {
        const d = c.byMetric?.[m.key];
        if (!d) continue;
        const w = d.welch;
        const verdict = !w ? 'no test' : d.significant ? 'significant' : 'not significant';
        lines.push(
          `| ${c.a} vs ${c.b} | ${m.label} | ${num(d.difference)}${w ? ` [${num(w.ci95[0])}, ${num(w.ci95[1])}]` : ''} | ${num(w?.t)} | ${num(w?.df, 1)} | ${num(w?.p)} | ${verdict} |`,
        );
      }
    }
  }
  const significant = report.comparisons.filter((c) => c.significant);
  const listed = significant.length ? significant.map((c) => `${c.a} vs ${c.b}`).join('; ') : 'none';
  lines.push(
    '',
    `Significant differences (Welch, α = 0.05, ${report.comparisons.length} pairs, uncorrected): ${listed}.`,
  );
  if (report.sensitivity?.length) {
    const metricLabel = METRICS.find((m) => m.key === report.sensitivity![0].metric)!.label;
    lines.push(
      '',
      `## Sensitivity to the grid's setting (${metricLabel})`,
      '',
      'Spread = std across the grid’s cells of the cell means [bootstrap 95% interval, seeds resampled within cells]; ' +
        'ANOVA p: one-way test that every cell has the same mean; seed std: mean within-cell std.',
      '',
      '| grid | cells | runs | cell means min – max | spread [95%] | ANOVA p | seed std | finds ring [95%] |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const g of report.sensitivity) {
      const finds = g.findsRing
        ? `${g.findsRing.successes}/${g.findsRing.runs} [${num(g.findsRing.ci95?.[0], 2)}, ${num(g.findsRing.ci95?.[1], 2)}]`
        : '—';
      lines.push(
        `| ${g.grid} | ${g.cells} | ${g.runs} | ${num(g.minCell.mean)} – ${num(g.maxCell.mean)} | ` +
          `${num(g.spreadAcrossCells)} [${num(g.spreadCi95[0])}, ${num(g.spreadCi95[1])}] | ${num(g.anova?.p)} | ` +
          `${num(g.seedStd)} | ${finds} |`,
      );
    }
    for (const c of report.gridComparisons ?? []) {
      const finds = c.findsRing
        ? `; finds the ring ${c.findsRing.a}/${c.findsRing.runs[0]} vs ${c.findsRing.b}/${c.findsRing.runs[1]}, Fisher p = ${num(c.findsRing.fisherP)}${c.findsRing.significant ? ' (significant)' : ' (not significant)'}`
        : '';
      lines.push(
        '',
        `${c.a} vs ${c.b}: spread difference ${num(c.spreadDifference)} [${num(c.spreadDifferenceCi95[0])}, ${num(c.spreadDifferenceCi95[1])}]` +
          `${c.spreadSignificant ? ' (significant)' : ' (not significant)'}${finds}.`,
      );
    }
  }
  const bad = report.cells.flatMap((c) =>
    c.runs.filter((r) => r.status !== 'done').map((r) => ({ ...r, cell: c.cell })),
  );
  if (bad.length) {
    lines.push(
      '',
      '## Runs that did not finish',
      '',
      '| run | cell | seed | status | error |',
      '|---|---|---|---|---|',
    );
    for (const r of bad) {
      const error = (r.error ?? '').replace(/\|/g, '\\|').slice(0, 200);
      lines.push(`| ${r.run} | ${r.cell} | ${r.seed} | ${r.status} | ${error} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The markdown's tables as an HTML page (tables become <table>, the rest <p>/<li>). */
export function reportHtml(markdown: string, title: string, images: string[] = []): string {
  const out: string[] = [];
  let table: string[][] = [];
  const flush = () => {
    if (!table.length) return;
    const [head, , ...body] = table;
    out.push(`<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>`);
    for (const row of body) out.push(`<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`);
    out.push('</tbody></table>');
    table = [];
  };
  for (const line of markdown.split('\n')) {
    if (line.startsWith('|')) {
      table.push(
        line
          .slice(1, -1)
          .split(' | ')
          .map((c) => c.trim()),
      );
      continue;
    }
    flush();
    if (line.startsWith('## ')) out.push(`<h2>${escapeHtml(line.slice(3))}</h2>`);
    else if (line.startsWith('# ')) out.push(`<h1>${escapeHtml(line.slice(2))}</h1>`);
    else if (line.trim()) out.push(`<p>${escapeHtml(line)}</p>`);
  }
  flush();
  for (const src of images) out.push(`<p><img src="${escapeHtml(src)}" alt="${escapeHtml(src)}"></p>`);
  const style =
    'body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}' +
    'td,th{border:1px solid #bbb;padding:3px 8px;text-align:left}';
  return (
    `<!doctype html><meta ` +
    `charset="utf-8"><title>${escapeHtml(title)}</title><style>${style}</style>\n${out.join('\n')}\n`
  );
}

/**
 * Writes artifacts/studies/<name>/report/ atomically: report.json, report.md, report.html; the manifest names every
 * run.
 */
export async function writeReport(spec: StudySpec, root: string): Promise<{ dir: string; report: StudyReport }> {
  const report = await buildReport(spec, root);
  const dir = folderInside(root, 'study name', 'studies', spec.name, 'report');
  const markdown = reportMarkdown(report);
  await writeArtifact(
    dir,
    {
      stage: 'study',
      packageVersion: '0.1.0',
      config: spec,
      meta: {
        runs: report.runs.map((r) => ({
          run: r.run,
          cell: r.cell,
          seed: r.seed,
          status: r.status,
          ...('configHash' in r ? { configHash: r.configHash } : {}),
        })),
      },
    },
    async (tmp) => {
      await writeFile(join(tmp, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
      await writeFile(join(tmp, 'report.md'), markdown);
      const figures = await drawFigures(report);
      for (const f of figures) await writeFile(join(tmp, f.file), f.png);
      const images = figures.map((f) => `![${f.file}](${f.file})`).join('\n');
      await writeFile(
        join(tmp, 'report.html'),
        reportHtml(
          markdown,
          `Study ${spec.name}`,
          figures.map((f) => f.file),
        ),
      );
      if (images) await writeFile(join(tmp, 'report.md'), `${markdown}\n${images}\n`);
    },
  );
  return { dir, report };
}

/** Keeps the spec beside the study's results (artifacts/studies/<name>/spec.json), for `study report <name>`. */
export async function saveSpec(spec: StudySpec, root: string): Promise<string> {
  const dir = folderInside(root, 'study name', 'studies', spec.name);
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'spec.json');
  await writeFileAtomic(path, `${JSON.stringify(spec, null, 2)}\n`);
  return path;
}

/** A spec file's path, or the name of a study whose spec was saved under the artifacts root. */
export async function specFromPathOrName(value: string, root: string): Promise<StudySpec> {
  if (existsSync(value)) return readStudySpec(value);
  const path = join(folderInside(root, 'study name', 'studies', value), 'spec.json');
  if (!existsSync(path)) {
    throw new PipelineError(
      `no spec file "${value}" and no study of that name under ${root}`,
      'spec',
      'give a spec file, or the name of a study that was run or submitted with this artifacts root',
    );
  }
  return parseStudySpec(JSON.parse(await readFile(path, 'utf8')), path);
}
