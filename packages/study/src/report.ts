import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { folderInside, PipelineError, writeArtifact, writeFileAtomic } from '@wgan/core';
import type { RunMetrics, RunResult } from './executor.js';
import { drawFigures } from './figures.js';
import { expandRuns, parseStudySpec, readStudySpec, type FlagValue, type StudySpec } from './spec.js';
import { summarize, welchTest, type Summary, type WelchResult } from './stats.js';

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
  { key: 'trainSeconds', label: 'train s', better: 'lower' },
];

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
  const primary: keyof RunMetrics = [...cells.values()].some((c) => c.metrics.frechet) ? 'frechet' : 'trainSeconds';
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
      const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
      const significant = welch !== null && welch.p < 0.05;
      comparisons.push({ a: ranking[i], b: ranking[j], difference: mean(a) - mean(b), welch, significant });
    }
  }
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
    runs,
  };
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
  const significant = report.comparisons.filter((c) => c.significant);
  const listed = significant.length ? significant.map((c) => `${c.a} vs ${c.b}`).join('; ') : 'none';
  lines.push(
    '',
    `Significant differences (Welch, α = 0.05, ${report.comparisons.length} pairs, uncorrected): ${listed}.`,
  );
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
