import sharp from 'sharp';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { autoWindow, decimate, extent, histogramBins, smoothPoints, type Point } from './series.js';

/**
 * Plots as data: each function returns a vega-lite spec (plain JSON, so callers can inspect or tweak it),
 * `renderSvg` draws a spec headlessly (vega View with renderer "none" → SVG string) and `svgToPng`
 * rasterises the SVG with sharp into an 8-bit grayscale PNG. Every plot has a title, axis titles and a
 * legend; series are told apart without colour (gray level + dash pattern + point shape), because the
 * figures are written in grayscale.
 */

export type Spec = TopLevelSpec;
export type { Point };

export interface Series {
  name: string;
  points: Point[];
}

/** Gray levels, dash patterns and point shapes given to series 0, 1, 2, … (cycled). */
export const SERIES_GRAYS = ['#000000', '#7a7a7a', '#404040', '#a8a8a8', '#5c5c5c', '#202020', '#909090', '#c0c0c0'];
/**
 * Ten distinguishable colours (Tableau 10) for plots whose groups are too many for gray levels, e.g. the ten digit
 * classes.
 */
export const CLASS_COLOURS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
export const SERIES_DASHES: number[][] = [
  [],
  [7, 3],
  [2, 2],
  [9, 3, 2, 3],
  [14, 4],
  [3, 5],
  [10, 2, 2, 2, 2, 2],
  [1, 5],
];
export const SERIES_SHAPES = [
  'circle',
  'square',
  'triangle-up',
  'diamond',
  'cross',
  'triangle-down',
  'triangle-right',
  'triangle-left',
  'wedge',
  'stroke',
];

const FONT = 'DejaVu Sans, Liberation Sans, Helvetica, Arial, sans-serif';

/** House style shared by every spec. */
export const PLOT_CONFIG = {
  background: 'white',
  font: FONT,
  padding: 8,
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#444444', anchor: 'start', frame: 'group' },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    gridColor: '#e4e4e4',
    domainColor: '#333333',
    tickColor: '#333333',
    labelColor: '#222222',
    titleColor: '#000000',
  },
  legend: { labelFontSize: 11, titleFontSize: 12, symbolStrokeWidth: 2, labelLimit: 260, titleLimit: 320 },
  view: { stroke: '#bbbbbb' },
} as const;

function cycle<T>(list: readonly T[], n: number): T[] {
  return Array.from({ length: n }, (_, i) => list[i % list.length]);
}

function uniqueNames(names: string[], what: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n))
      throw new RangeError(`${what}: series name "${n}" appears twice; names must be unique (they label the legend)`);
    seen.add(n);
  }
}

function titleOf(title: string, subtitle?: string): { text: string; subtitle?: string } {
  return subtitle ? { text: title, subtitle } : { text: title };
}

export interface LineChartOptions {
  series: Series[];
  xLabel: string;
  yLabel: string;
  title: string;
  subtitle?: string;
  /** Logarithmic y axis; points with y ≤ 0 cannot be drawn on it and are left out. */
  logY?: boolean;
  /**
   * Moving-average smoothing for noisy curves: the raw line is drawn faint and the centred moving
   * average over `smooth` points bold. 'auto' picks ~2% of the series (none under 50 points).
   */
  smooth?: number | 'auto';
  /** Point markers (for short series such as evaluation checkpoints). */
  points?: boolean;
  /** Title of the legend (default "series"). */
  legendTitle?: string;
  /** Most points drawn per series (min/max thinning above it; default 3000). */
  maxPoints?: number;
  width?: number;
  height?: number;
  /** d3 format of the x axis labels (e.g. "~s" for 20k). */
  xFormat?: string;
}

/** The smoothing window actually used by `lineChart` for a series of `length` points. */
export function smoothingWindow(smooth: LineChartOptions['smooth'], length: number): number {
  if (smooth === undefined) return 1;
  if (smooth === 'auto') return autoWindow(length);
  if (!Number.isInteger(smooth) || smooth < 1)
    throw new RangeError(`lineChart: smooth must be a positive integer or "auto", got ${smooth}`);
  return smooth;
}

/**
 * Line chart of several series over a shared x axis, with a legend naming each. With smoothing, each
 * series is drawn twice: raw (faint, thin) and its moving average (bold, dashed per series).
 */
export function lineChart(options: LineChartOptions): Spec {
  const { series, xLabel, yLabel } = options;
  if (series.length === 0) throw new RangeError('lineChart: no series to draw');
  const names = series.map((s) => s.name);
  uniqueNames(names, 'lineChart');
  const maxPoints = options.maxPoints ?? 3000;
  const keep = (p: Point) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!options.logY || p.y > 0);
  const raw: { series: string; rawSeries: string; x: number; y: number }[] = [];
  const smooth: { series: string; x: number; y: number }[] = [];
  let windowUsed = 1;
  for (const s of series) {
    const sorted = s.points.filter((p) => Number.isFinite(p.x)).sort((a, b) => a.x - b.x);
    const window = smoothingWindow(options.smooth, sorted.length);
    windowUsed = Math.max(windowUsed, window);
    for (const p of decimate(sorted.filter(keep), maxPoints))
      raw.push({ series: s.name, rawSeries: s.name, x: p.x, y: p.y });
    if (window > 1)
      for (const p of decimate(smoothPoints(sorted, window).filter(keep), maxPoints, 'stride'))
        smooth.push({ series: s.name, x: p.x, y: p.y });
  }
  const smoothed = smooth.length > 0;
  const legendTitle = options.legendTitle ?? 'series';
  const x = {
    field: 'x',
    type: 'quantitative',
    title: xLabel,
    scale: { zero: false, nice: false, ...(options.points ? { padding: 10 } : {}) },
    ...(options.xFormat ? { axis: { format: options.xFormat } } : {}),
  };
  const y = {
    field: 'y',
    type: 'quantitative',
    title: yLabel,
    scale: options.logY ? { type: 'log' } : { zero: false },
  };
  const color = {
    field: 'series',
    type: 'nominal',
    title: legendTitle,
    sort: names,
    scale: { domain: names, range: cycle(SERIES_GRAYS, names.length) },
  };
  const strokeDash = {
    field: 'series',
    type: 'nominal',
    title: legendTitle,
    sort: names,
    scale: { domain: names, range: cycle(SERIES_DASHES, names.length) },
  };
  const shape = {
    field: 'series',
    type: 'nominal',
    title: legendTitle,
    sort: names,
    scale: { domain: names, range: cycle(SERIES_SHAPES, names.length) },
  };
  const main = {
    data: { values: smoothed ? smooth : raw },
    mark: {
      type: 'line',
      strokeWidth: smoothed ? 2.2 : 1.6,
      ...(options.points ? { point: { filled: true, size: 40 } } : {}),
    },
    encoding: { x, y, color, strokeDash, ...(options.points ? { shape } : {}) },
  };
  const layers: unknown[] = [];
  // The raw layer colours by `stroke` on its own field (own scale, no legend: vega-lite merges legends
  // of one field), so the single legend shows the bold lines' style.
  if (smoothed)
    layers.push({
      data: { values: raw },
      mark: { type: 'line', strokeWidth: 1, opacity: 0.22 },
      encoding: { x, y, stroke: { ...color, field: 'rawSeries', legend: null } },
    });
  layers.push(main);
  const note = smoothed ? `bold: centred moving average over ${windowUsed} points; faint: raw` : undefined;
  const subtitle = [options.subtitle, note].filter(Boolean).join(' · ') || undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titleOf(options.title, subtitle),
    width: options.width ?? 560,
    height: options.height ?? 260,
    layer: layers,
    config: PLOT_CONFIG,
  } as unknown as Spec;
}

export interface HistogramGroup {
  name: string;
  values: readonly number[];
}

export interface HistogramOptions {
  /** One set of values (named by `name`), or several `groups` overlaid on shared bins. */
  values?: readonly number[];
  name?: string;
  groups?: HistogramGroup[];
  bins?: number;
  /** Bin range (default: min..max over all groups). */
  range?: [number, number];
  xLabel: string;
  yLabel?: string;
  title: string;
  subtitle?: string;
  /** Vertical reference lines, e.g. the gradient penalty's target norm 1. */
  rules?: { x: number; name: string }[];
  width?: number;
  height?: number;
}

/** Histogram(s) of values on equal-width bins shared by all groups; counts on the y axis. */
export function histogram(options: HistogramOptions): Spec {
  const groups: HistogramGroup[] =
    options.groups ?? (options.values ? [{ name: options.name ?? 'values', values: options.values }] : []);
  if (groups.length === 0) throw new RangeError('histogram: give `values` or `groups`');
  uniqueNames(
    groups.map((g) => g.name),
    'histogram',
  );
  const bins = options.bins ?? 30;
  const all = groups.flatMap((g) => g.values.filter(Number.isFinite));
  if (all.length === 0) throw new RangeError('histogram: no finite values to count');
  const range = options.range ?? extent(all);
  const names = groups.map((g) => g.name);
  const rows = groups.flatMap((g) =>
    histogramBins(g.values, bins, range).map((b) => ({ group: g.name, x0: b.x0, x1: b.x1, count: b.count })),
  );
  const fills = groups.length === 1 ? ['#6e6e6e'] : cycle(SERIES_GRAYS, names.length);
  const layers: unknown[] = [
    {
      data: { values: rows },
      mark: {
        type: 'bar',
        opacity: groups.length === 1 ? 1 : 0.55,
        stroke: '#000000',
        strokeWidth: 0.5,
        binSpacing: 0,
      },
      encoding: {
        x: { field: 'x0', type: 'quantitative', title: options.xLabel, scale: { zero: false, nice: false } },
        x2: { field: 'x1' },
        y: {
          field: 'count',
          type: 'quantitative',
          title: options.yLabel ?? 'count',
          stack: null,
          scale: { zero: true },
        },
        y2: { datum: 0 },
        fill: {
          field: 'group',
          type: 'nominal',
          title: groups.length === 1 ? 'data' : 'group',
          sort: names,
          scale: { domain: names, range: fills },
        },
      },
    },
  ];
  if (options.rules?.length) {
    const ruleNames = options.rules.map((r) => r.name);
    uniqueNames(ruleNames, 'histogram rules');
    layers.push({
      data: { values: options.rules.map((r) => ({ rule: r.name, x: r.x })) },
      mark: { type: 'rule', strokeWidth: 2, color: '#000000' },
      encoding: {
        x: { field: 'x', type: 'quantitative' },
        strokeDash: {
          field: 'rule',
          type: 'nominal',
          title: 'reference',
          sort: ruleNames,
          scale: { domain: ruleNames, range: cycle(SERIES_DASHES.slice(1), ruleNames.length) },
        },
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titleOf(options.title, options.subtitle ?? `${all.length} values, ${bins} bins`),
    width: options.width ?? 560,
    height: options.height ?? 260,
    layer: layers,
    resolve: { scale: { x: 'shared' } },
    config: PLOT_CONFIG,
  } as unknown as Spec;
}

export interface ScatterOptions {
  groups: { name: string; points: Point[] }[];
  xLabel: string;
  yLabel: string;
  title: string;
  subtitle?: string;
  /** Title of the categorical legend (e.g. "digit", "samples"). */
  legendTitle?: string;
  /** Same units on both axes with one shared domain (e.g. the 2-D ring). */
  equalAxes?: boolean;
  pointSize?: number;
  opacity?: number;
  width?: number;
  height?: number;
  /**
   * Colour each group from CLASS_COLOURS with filled circles (render with `colour: true`); default: gray levels and
   * shapes.
   */
  colour?: boolean;
}

/**
 * Scatter plot of named groups (real vs generated, or latent codes by class): each group has its own
 * gray level and point shape, listed in a categorical legend.
 */
export function scatter(options: ScatterOptions): Spec {
  const { groups } = options;
  if (groups.length === 0) throw new RangeError('scatter: no groups to draw');
  const names = groups.map((g) => g.name);
  uniqueNames(names, 'scatter');
  const rows = groups.flatMap((g) =>
    g.points
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
      .map((p) => ({ group: g.name, x: p.x, y: p.y })),
  );
  let xScale: Record<string, unknown> = { zero: false };
  let yScale: Record<string, unknown> = { zero: false };
  const width = options.width ?? (options.equalAxes ? 420 : 520);
  let height = options.height ?? (options.equalAxes ? width : 320);
  if (options.equalAxes && rows.length > 0) {
    const [xl, xh] = extent(rows.map((r) => r.x));
    const [yl, yh] = extent(rows.map((r) => r.y));
    const half = (Math.max(xh - xl, yh - yl) / 2) * 1.05 || 1;
    const cx = (xl + xh) / 2;
    const cy = (yl + yh) / 2;
    xScale = { domain: [cx - half, cx + half], nice: false };
    yScale = { domain: [cy - half, cy + half], nice: false };
    height = width;
  }
  const legend = options.legendTitle ?? 'group';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titleOf(options.title, options.subtitle),
    width,
    height,
    data: { values: rows },
    mark: { type: 'point', filled: true, size: options.pointSize ?? 18, opacity: options.opacity ?? 0.7 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: options.xLabel, scale: xScale },
      y: { field: 'y', type: 'quantitative', title: options.yLabel, scale: yScale },
      color: {
        field: 'group',
        type: 'nominal',
        title: legend,
        sort: names,
        scale: { domain: names, range: cycle(options.colour ? CLASS_COLOURS : SERIES_GRAYS, names.length) },
      },
      shape: {
        field: 'group',
        type: 'nominal',
        title: legend,
        sort: names,
        scale: {
          domain: names,
          range: options.colour ? cycle(['circle'], names.length) : cycle(SERIES_SHAPES, names.length),
        },
      },
    },
    config: PLOT_CONFIG,
  } as unknown as Spec;
}

export interface HeatmapOptions {
  rows: (string | number)[];
  cols: (string | number)[];
  /** values[r][c]; null = no measurement (cell left blank, marked "–"). */
  values: (number | null)[][];
  rowLabel: string;
  colLabel: string;
  title: string;
  subtitle?: string;
  /** Legend title: what the numbers are, with unit. */
  valueLabel: string;
  /** d3 format of the numbers written in the cells (default ".3~f"; "" = no numbers). */
  format?: string;
  cellSize?: number;
}

/** Table of numbers as gray cells (darker = larger) with the value written in each cell. */
export function heatmap(options: HeatmapOptions): Spec {
  const { rows, cols, values } = options;
  if (values.length !== rows.length || values.some((r) => r.length !== cols.length)) {
    throw new RangeError(`heatmap: values must be ${rows.length} rows × ${cols.length} columns`);
  }
  const rowNames = rows.map(String);
  const colNames = cols.map(String);
  const cells = rowNames.flatMap((r, i) =>
    colNames.map((c, j) => {
      const v = values[i][j];
      return { row: r, col: c, value: v !== null && Number.isFinite(v) ? v : null };
    }),
  );
  const present = cells.map((c) => c.value).filter((v): v is number => v !== null);
  const [lo, hi] = present.length ? extent(present) : [0, 1];
  const mid = (lo + hi) / 2;
  const cell = options.cellSize ?? 44;
  const format = options.format ?? '.3~f';
  const x = { field: 'col', type: 'ordinal', title: options.colLabel, sort: colNames, axis: { labelAngle: 0 } };
  const y = { field: 'row', type: 'ordinal', title: options.rowLabel, sort: rowNames };
  const layers: unknown[] = [
    {
      mark: { type: 'rect', stroke: '#ffffff', strokeWidth: 1 },
      encoding: {
        x,
        y,
        color: {
          field: 'value',
          type: 'quantitative',
          title: options.valueLabel,
          scale: { scheme: 'greys', domain: lo === hi ? [lo - 1, hi + 1] : [lo, hi] },
        },
      },
    },
  ];
  if (format !== '') {
    layers.push({
      transform: [{ calculate: `datum.value === null ? '–' : format(datum.value, '${format}')`, as: 'label' }],
      mark: { type: 'text', fontSize: 11 },
      encoding: {
        x,
        y,
        text: { field: 'label', type: 'nominal' },
        color: {
          condition: { test: `datum.value !== null && datum.value > ${mid}`, value: '#ffffff' },
          value: '#000000',
        },
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titleOf(options.title, options.subtitle),
    width: cell * colNames.length,
    height: cell * rowNames.length,
    data: { values: cells },
    layer: layers,
    config: PLOT_CONFIG,
  } as unknown as Spec;
}

export interface BarChartOptions {
  labels: (string | number)[];
  /** One series (named by `name`) or several `series` drawn as grouped bars. */
  values?: number[];
  name?: string;
  series?: { name: string; values: number[] }[];
  xLabel: string;
  yLabel: string;
  title: string;
  subtitle?: string;
  /** A horizontal reference line (e.g. the uniform class frequency 0.1). */
  reference?: { y: number; name: string };
  width?: number;
  height?: number;
}

/** Bar chart over categories (class histograms), grouped when several series are given. */
export function barChart(options: BarChartOptions): Spec {
  const series =
    options.series ?? (options.values ? [{ name: options.name ?? options.yLabel, values: options.values }] : []);
  if (series.length === 0) throw new RangeError('barChart: give `values` or `series`');
  const labels = options.labels.map(String);
  for (const s of series)
    if (s.values.length !== labels.length)
      throw new RangeError(`barChart: series "${s.name}" has ${s.values.length} values for ${labels.length} labels`);
  const names = series.map((s) => s.name);
  uniqueNames(names, 'barChart');
  const rows = series.flatMap((s) => labels.map((label, i) => ({ series: s.name, label, value: s.values[i] })));
  const fills = series.length === 1 ? ['#6e6e6e'] : cycle(SERIES_GRAYS, names.length);
  const x = { field: 'label', type: 'ordinal', title: options.xLabel, sort: labels, axis: { labelAngle: 0 } };
  const layers: unknown[] = [
    {
      data: { values: rows },
      mark: { type: 'bar', stroke: '#000000', strokeWidth: 0.5 },
      encoding: {
        x,
        ...(series.length > 1 ? { xOffset: { field: 'series', type: 'nominal', sort: names } } : {}),
        y: { field: 'value', type: 'quantitative', title: options.yLabel },
        fill: {
          field: 'series',
          type: 'nominal',
          title: 'series',
          sort: names,
          scale: { domain: names, range: fills },
        },
      },
    },
  ];
  if (options.reference) {
    layers.push({
      data: { values: [{ rule: options.reference.name, y: options.reference.y }] },
      mark: { type: 'rule', strokeWidth: 1.5, color: '#000000' },
      encoding: {
        y: { field: 'y', type: 'quantitative' },
        strokeDash: {
          field: 'rule',
          type: 'nominal',
          title: 'reference',
          scale: { domain: [options.reference.name], range: [[6, 3]] },
        },
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titleOf(options.title, options.subtitle),
    width: options.width ?? Math.max(320, labels.length * (series.length > 1 ? 22 * series.length + 10 : 36)),
    height: options.height ?? 240,
    layer: layers,
    config: PLOT_CONFIG,
  } as unknown as Spec;
}

/** Channels whose scales and legends each panel keeps to itself (else vega-lite merges them). */
const PANEL_LEGEND_CHANNELS = ['color', 'stroke', 'fill', 'strokeDash', 'shape', 'opacity', 'size'];

/**
 * Panels stacked vertically under one title (e.g. IS, FD and Ŵ₁ over checkpoints, each with its own
 * y axis and legend). Takes specs made by the functions above.
 */
export function stackPanels(title: string, panels: Spec[], subtitle?: string): Spec {
  if (panels.length === 0) throw new RangeError('stackPanels: no panels');
  const strip = (s: Spec) => {
    const { $schema: _schema, config: _config, ...rest } = s as unknown as Record<string, unknown>;
    return rest;
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { ...titleOf(title, subtitle), fontSize: 16, offset: 14 },
    vconcat: panels.map(strip),
    spacing: 28,
    resolve: {
      scale: Object.fromEntries(['x', 'y', ...PANEL_LEGEND_CHANNELS].map((c) => [c, 'independent'])),
      legend: Object.fromEntries(PANEL_LEGEND_CHANNELS.map((c) => [c, 'independent'])),
    },
    config: PLOT_CONFIG,
  } as unknown as Spec;
}

/** Draws a vega-lite spec headlessly and returns the SVG text. */
export async function renderSvg(spec: Spec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The width and height an SVG declares on its root element (vega writes both in px). */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\bwidth="([\d.]+)"/.exec(root)?.[1]);
  const height = Number(/\bheight="([\d.]+)"/.exec(root)?.[1]);
  if (!(width > 0 && height > 0)) throw new RangeError('svgSize: the SVG root has no numeric width/height');
  return { width, height };
}

export interface PngOptions {
  /** Output width in px (height follows the aspect ratio). Default: the SVG's own width × `scale`. */
  width?: number;
  /** Used when `width` is not given (default 1). */
  scale?: number;
  /** Keep colour (3-channel PNG) instead of the default 1-channel grayscale. */
  colour?: boolean;
}

/**
 * Rasterises an SVG with sharp (librsvg) at the resolution that gives the requested width (vectors are
 * redrawn, not upscaled), flattens it on white and encodes a 1-channel 8-bit grayscale PNG.
 */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<Buffer> {
  const size = svgSize(svg);
  const width = Math.round(options.width ?? size.width * (options.scale ?? 1));
  if (!(width > 0)) throw new RangeError(`svgToPng: width must be positive, got ${width}`);
  const height = Math.max(1, Math.round((size.height * width) / size.width));
  const density = (72 * width) / size.width;
  const image = sharp(Buffer.from(svg), { density })
    .resize(width, height, { fit: 'fill' })
    .flatten({ background: '#ffffff' });
  return (options.colour ? image.toColourspace('srgb') : image.toColourspace('b-w')).png().toBuffer();
}

/** Spec → grayscale PNG in one call; returns the SVG too (for tests and for `.svg` copies). */
export async function renderPng(spec: Spec, options: PngOptions = {}): Promise<{ svg: string; png: Buffer }> {
  const svg = await renderSvg(spec);
  return { svg, png: await svgToPng(svg, options) };
}
