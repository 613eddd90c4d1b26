import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeGray } from '@wgan/core';
import {
  barChart,
  heatmap,
  histogram,
  lineChart,
  renderPng,
  renderSvg,
  scatter,
  stackPanels,
  svgSize,
  svgToPng,
  type Spec,
} from './plots.js';
import { movingAverage } from './series.js';

/** The text nodes of an SVG, unescaped. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
  );
}

function legends(svg: string): string[] {
  return [...svg.matchAll(/aria-label="([^"]*legend[^"]*)"/g)].map((m) => m[1]);
}

const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => ({ x: i + 1, y: f(i) }));

describe('svgToPng', () => {
  it('rasterises to a 1-channel grayscale PNG of the requested width with the right pixels', async () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="6"><rect width="10" ' +
      'height="6" fill="white"/><rect width="5" height="6" fill="black"/></svg>';
    expect(svgSize(svg)).toEqual({ width: 10, height: 6 });
    const png = await svgToPng(svg, { width: 20 });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.channels, meta.space, meta.width, meta.height]).toEqual(['png', 1, 'b-w', 20, 12]);
    const img = await decodeGray(png);
    expect(img.pixels[5 * 20 + 2]).toBe(0); // left half black
    expect(img.pixels[5 * 20 + 17]).toBe(255); // right half white
  });

  it('flattens transparency onto white', async () => {
    const png = await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>');
    const img = await decodeGray(png);
    expect([...img.pixels]).toEqual(new Array(16).fill(255));
  });
});

describe('lineChart', () => {
  const spec = lineChart({
    series: [
      { name: 'L_D', points: ramp(20, (i) => -i) },
      { name: 'L_G', points: ramp(20, (i) => i / 2) },
    ],
    xLabel: 'generator iteration',
    yLabel: 'loss (critic output units)',
    title: 'Training losses',
  });

  it('draws title, axis titles and one legend naming every series, as a grayscale PNG of the asked size', async () => {
    const { svg, png } = await renderPng(spec, { width: 900 });
    const t = texts(svg);
    for (const s of ['Training losses', 'generator iteration', 'loss (critic output units)', 'L_D', 'L_G', 'series'])
      expect(t).toContain(s);
    expect(legends(svg)).toHaveLength(1);
    const meta = await sharp(png).metadata();
    const size = svgSize(svg);
    expect([meta.channels, meta.space, meta.width, meta.height]).toEqual([
      1,
      'b-w',
      900,
      Math.round((size.height * 900) / size.width),
    ]);
    // Something was drawn: the plot is not blank white.
    const img = await decodeGray(png);
    expect(img.pixels.filter((p) => p < 64).length).toBeGreaterThan(500);
  });

  it('tells series apart without colour: distinct gray and dash pattern per series', async () => {
    const svg = await renderSvg(spec);
    const lines = [
      ...svg.matchAll(
        /aria-roledescription="line mark" d="[^"]*" stroke="(#[0-9a-f]+)"[^>]*stroke-dasharray="([^"]*)"/g,
      ),
    ];
    expect(lines).toHaveLength(2);
    const strokes = new Set(lines.map((m) => m[1]));
    expect(new Set(lines.map((m) => m[2])).size).toBe(2);
    expect(strokes.size).toBe(2);
    expect(svg).toMatch(/stroke-dasharray="7,3"/);
  });

  it('smooths: raw layer faint, moving average bold, a single legend, the window in the subtitle', async () => {
    const ys = Array.from({ length: 200 }, (_, i) => Math.sin(i) + i / 100);
    const s = lineChart({
      series: [{ name: 'Ŵ₁', points: ys.map((y, i) => ({ x: i, y })) }],
      xLabel: 'iteration',
      yLabel: 'Ŵ₁',
      title: 'W',
      smooth: 10,
    }) as unknown as {
      layer: { data: { values: { y: number }[] }; mark: { opacity?: number } }[];
      title: { subtitle: string };
    };
    expect(s.layer).toHaveLength(2);
    expect(s.layer[0].mark.opacity).toBeLessThan(0.5);
    expect(s.layer[0].data.values.map((v) => v.y)).toEqual(ys);
    expect(s.layer[1].data.values.map((v) => v.y)).toEqual(movingAverage(ys, 10));
    expect(s.title.subtitle).toMatch(/moving average over 10 points/);
    const svg = await renderSvg(s as unknown as Spec);
    expect(legends(svg)).toHaveLength(1);
    expect(texts(svg)).toContain('Ŵ₁');
  });

  it('leaves non-positive values out of a log axis and rejects duplicate names', () => {
    const s = lineChart({
      series: [
        {
          name: 'a',
          points: [
            { x: 1, y: 0 },
            { x: 2, y: 10 },
            { x: 3, y: -1 },
          ],
        },
      ],
      xLabel: 'x',
      yLabel: 'y',
      title: 't',
      logY: true,
    }) as unknown as { layer: { data: { values: unknown[] } }[] };
    expect(s.layer[0].data.values).toMatchObject([{ series: 'a', x: 2, y: 10 }]);
    expect(s.layer[0].data.values).toHaveLength(1);
    expect(() =>
      lineChart({
        series: [
          { name: 'a', points: [] },
          { name: 'a', points: [] },
        ],
        xLabel: 'x',
        yLabel: 'y',
        title: 't',
      }),
    ).toThrow(/twice/);
  });
});

describe('histogram, scatter, heatmap, bar chart', () => {
  it('histogram: counts sum to the number of values; legend names the data and the reference line', async () => {
    const values = Array.from({ length: 256 }, (_, i) => 1 + Math.sin(i) * 0.3);
    const spec = histogram({
      values,
      name: 'gradient norms',
      bins: 16,
      xLabel: 'gradient norm ‖∇D(x̂)‖₂',
      title: 'Gradient norms',
      rules: [{ x: 1, name: 'target 1' }],
    });
    const rows = (spec as unknown as { layer: { data: { values: { count: number }[] } }[] }).layer[0].data.values;
    expect(rows).toHaveLength(16);
    expect(rows.reduce((a, r) => a + r.count, 0)).toBe(256);
    const { svg, png } = await renderPng(spec);
    for (const s of ['Gradient norms', 'gradient norm ‖∇D(x̂)‖₂', 'count', 'gradient norms', 'target 1'])
      expect(texts(svg)).toContain(s);
    expect((await sharp(png).metadata()).channels).toBe(1);
  });

  it('scatter: a categorical legend entry per group; equal axes share one span', async () => {
    const ring = (r: number) =>
      Array.from({ length: 50 }, (_, i) => ({ x: r * Math.cos(i), y: r * Math.sin(i) * 0.5 }));
    const spec = scatter({
      groups: [
        { name: 'real', points: ring(1) },
        { name: 'generated', points: ring(1.2) },
      ],
      xLabel: 'x₁',
      yLabel: 'x₂',
      title: 'ring',
      legendTitle: 'samples',
      equalAxes: true,
    });
    const enc = (spec as unknown as { encoding: Record<string, { scale: { domain: number[] } }> }).encoding;
    const span = (d: number[]) => d[1] - d[0];
    expect(span(enc.x.scale.domain)).toBeCloseTo(span(enc.y.scale.domain), 12);
    const svg = await renderSvg(spec);
    for (const s of ['real', 'generated', 'samples', 'x₁', 'x₂']) expect(texts(svg)).toContain(s);
  });

  it('heatmap: writes every value in its cell, "–" for a missing one, and titles the value legend', async () => {
    const spec = heatmap({
      rows: ['1e-4', '2e-4'],
      cols: [1, 5],
      values: [
        [1.5, 2],
        [null, 4.25],
      ],
      rowLabel: 'learning rate',
      colLabel: 'n_critic',
      title: 'FD by setting',
      valueLabel: 'FD (classifier features)',
    });
    const t = texts(await renderSvg(spec));
    for (const s of ['1.5', '2', '–', '4.25', 'learning rate', 'n_critic', 'FD (classifier features)', 'FD by setting'])
      expect(t).toContain(s);
    expect(() =>
      heatmap({
        rows: ['a'],
        cols: ['b', 'c'],
        values: [[1]],
        rowLabel: 'r',
        colLabel: 'c',
        title: 't',
        valueLabel: 'v',
      }),
    ).toThrow(/1 rows × 2 columns/);
  });

  it('bar chart: grouped series with a legend and a reference line; mismatched lengths are refused', async () => {
    const labels = Array.from({ length: 10 }, (_, k) => k);
    const spec = barChart({
      labels,
      series: [
        { name: 'generated', values: labels.map(() => 0.1) },
        { name: 'real test', values: labels.map(() => 0.1) },
      ],
      xLabel: 'digit',
      yLabel: 'fraction of images',
      title: 'Classes',
      reference: { y: 0.1, name: 'uniform' },
    });
    const t = texts(await renderSvg(spec));
    for (const s of ['generated', 'real test', 'uniform', 'digit', 'fraction of images', '9']) expect(t).toContain(s);
    expect(() => barChart({ labels: [1, 2], values: [1], xLabel: 'x', yLabel: 'y', title: 't' })).toThrow(
      /1 values for 2 labels/,
    );
  });

  it("stacked panels keep each panel's axis titles and legend", async () => {
    const a = lineChart({
      series: [{ name: 'IS', points: ramp(3, (i) => i) }],
      xLabel: 'checkpoint',
      yLabel: 'inception score',
      title: 'IS',
      points: true,
    });
    const b = lineChart({
      series: [{ name: 'FD', points: ramp(3, (i) => 9 - i) }],
      xLabel: 'checkpoint',
      yLabel: 'Fréchet distance',
      title: 'FD',
      points: true,
    });
    const svg = await renderSvg(stackPanels('Evaluation', [a, b]));
    for (const s of ['Evaluation', 'inception score', 'Fréchet distance', 'IS', 'FD']) expect(texts(svg)).toContain(s);
    expect(legends(svg)).toHaveLength(2);
  });
});
