import type { EvalReport, MetricRecord } from './inputs.js';
import { barChart, histogram, lineChart, stackPanels, type LineChartOptions, type Series, type Spec } from './plots.js';

/**
 * The run's figures as vega-lite specs, from parsed inputs (no IO here). Each returns undefined when
 * its data holds nothing to draw, with the reason, so the caller can log the skip.
 */

export type Built = { spec: Spec; note?: string } | { skip: string };

const ITERATION = 'generator iteration';

function seriesOf(records: readonly MetricRecord[], name: string, pick: (r: MetricRecord) => number): Series {
  return { name, points: records.map((r) => ({ x: r.iteration, y: pick(r) })).filter((p) => Number.isFinite(p.y)) };
}

const hasPoints = (s: Series) => s.points.length > 0;

/** curves-losses.png: L_D and L_G per generator iteration (raw faint, moving average bold). */
export function lossCurves(records: readonly MetricRecord[], smooth: LineChartOptions['smooth']): Built {
  const series = [
    seriesOf(records, 'L_D (critic)', (r) => r.lossD),
    seriesOf(records, 'L_G (generator)', (r) => r.lossG),
  ].filter(hasPoints);
  if (series.length === 0) return { skip: 'metrics.jsonl has no finite lossD or lossG' };
  return {
    spec: lineChart({
      series,
      xLabel: ITERATION,
      yLabel: 'loss (critic output units)',
      title: 'Training losses',
      legendTitle: 'loss',
      smooth,
      xFormat: '~s',
    }),
  };
}

/**
 * curves-wasserstein.png: the critic's estimate Ŵ₁ = E[D(x)] − E[D(G(z))], the two batch means, and the
 * regulariser: the gradient penalty (GP runs) or the fraction of clipped weights (clip runs).
 */
export function wassersteinCurves(records: readonly MetricRecord[], smooth: LineChartOptions['smooth']): Built {
  const w = seriesOf(records, 'Ŵ₁ = E[D(x)] − E[D(G(z))]', (r) =>
    Number.isFinite(r.wassersteinGap) ? r.wassersteinGap : r.dReal - r.dFake,
  );
  const means = [
    seriesOf(records, 'E[D(x)] (real)', (r) => r.dReal),
    seriesOf(records, 'E[D(G(z))] (generated)', (r) => r.dFake),
  ].filter(hasPoints);
  const gp = seriesOf(records, 'GP = λ·E[(‖∇D(x̂)‖₂ − 1)²]', (r) => r.gp);
  const clip = seriesOf(records, 'fraction of critic weights at ±c', (r) => r.clipFraction);
  const panels: Spec[] = [];
  const common = { xLabel: ITERATION, smooth, xFormat: '~s', height: 200 } as const;
  if (hasPoints(w))
    panels.push(
      lineChart({
        ...common,
        series: [w],
        yLabel: 'Ŵ₁ (critic output units)',
        title: 'Wasserstein estimate (batch)',
        legendTitle: 'estimate',
      }),
    );
  if (means.length)
    panels.push(
      lineChart({
        ...common,
        series: means,
        yLabel: 'mean critic output',
        title: 'Critic outputs (batch means)',
        legendTitle: 'batch',
      }),
    );
  let regulariser = 'none';
  if (gp.points.some((p) => p.y !== 0)) {
    panels.push(
      lineChart({
        ...common,
        series: [gp],
        yLabel: 'gradient penalty',
        title: 'Gradient penalty (mean over the critic steps)',
        legendTitle: 'penalty',
      }),
    );
    regulariser = 'gp';
  } else if (hasPoints(clip)) {
    panels.push(
      lineChart({
        ...common,
        series: [clip],
        yLabel: 'fraction of weights',
        title: 'Weight clipping utilisation',
        legendTitle: 'clipping',
      }),
    );
    regulariser = 'clip';
  }
  if (panels.length === 0)
    return { skip: 'metrics.jsonl has no finite wassersteinGap, dReal/dFake, gp or clipFraction' };
  return {
    spec: stackPanels('Critic: Wasserstein estimate and regulariser', panels),
    note: `regulariser panel: ${regulariser}`,
  };
}

/**
 * grad-norm-hist.png: ‖∇D(x̂)‖₂ against the penalty's target 1. From the N per-interpolate norms when
 * train-stats.json has them, else from the per-iteration means in metrics.jsonl (said in the subtitle).
 */
export function gradNormHistogram(
  records: readonly MetricRecord[],
  norms: { values: number[]; where: string } | undefined,
  bins: number,
): Built {
  if (norms && norms.values.some(Number.isFinite)) {
    const n = norms.values.filter(Number.isFinite).length;
    return {
      spec: histogram({
        values: norms.values,
        name: `N = ${n} interpolates`,
        bins,
        xLabel: 'gradient norm ‖∇D(x̂)‖₂',
        title: 'Critic gradient norms at interpolates',
        subtitle: `train-stats.json ${norms.where}; ${bins} bins`,
        rules: [{ x: 1, name: 'GP target ‖∇‖ = 1' }],
      }),
      note: `from train-stats.json ${norms.where}`,
    };
  }
  const means = records.map((r) => r.gradNormMean).filter(Number.isFinite);
  if (means.length === 0)
    return {
      skip:
        'no gradient norms: train-stats.json has none and metrics.jsonl ' +
        'has no finite gradNormMean (a weight-clipping run?)',
    };
  return {
    spec: histogram({
      values: means,
      name: `iteration means (${means.length})`,
      bins,
      xLabel: 'gradient norm ‖∇D(x̂)‖₂ (batch mean)',
      title: 'Critic gradient norms at interpolates',
      subtitle: `metrics.jsonl gradNormMean, every logged iteration; ${bins} bins`,
      rules: [{ x: 1, name: 'GP target ‖∇‖ = 1' }],
    }),
    note: 'from metrics.jsonl gradNormMean',
  };
}

/**
 * eval-curves.png: IS, FD and Ŵ₁ of the generator at each evaluated checkpoint, with the real-data
 * references (IS of the real test set, FD between train and test) as flat lines.
 */
export function evalCurves(report: EvalReport): Built {
  const cps = report.checkpoints ?? [];
  if (cps.length === 0) return { skip: 'report.json has no checkpoints list' };
  const first = cps[0].iteration;
  const last = cps[cps.length - 1].iteration;
  const flat = (name: string, y: number): Series[] =>
    Number.isFinite(y)
      ? [
          {
            name,
            points: [
              { x: first, y },
              { x: last, y },
            ],
          },
        ]
      : [];
  const pick = (name: string, f: (c: (typeof cps)[number]) => number): Series => ({
    name,
    points: cps.map((c) => ({ x: c.iteration, y: f(c) })).filter((p) => Number.isFinite(p.y)),
  });
  const common = { xLabel: 'checkpoint (generator iteration)', points: true, height: 200, xFormat: '~s' } as const;
  const panels: Spec[] = [];
  const is = pick('generated', (c) => c.inceptionScore);
  if (hasPoints(is))
    panels.push(
      lineChart({
        ...common,
        series: [is, ...flat('real test set', report.inceptionScore?.realTest ?? NaN)],
        yLabel: 'inception score (1…10)',
        title: 'Inception score (MNIST classifier), higher is better',
        legendTitle: 'images',
      }),
    );
  const fd = pick('generated vs test', (c) => c.frechet);
  if (hasPoints(fd))
    panels.push(
      lineChart({
        ...common,
        series: [fd, ...flat('train vs test (floor)', report.frechet?.trainVsTest ?? NaN)],
        yLabel: 'Fréchet distance',
        title: "Fréchet distance in the classifier's feature space, lower is better",
        legendTitle: 'pair',
      }),
    );
  const w = pick('Ŵ₁ on held-out batch', (c) => c.wassersteinGap);
  if (hasPoints(w))
    panels.push(
      lineChart({
        ...common,
        series: [w],
        yLabel: 'Ŵ₁ (critic output units)',
        title: 'Critic Wasserstein estimate',
        legendTitle: 'estimate',
      }),
    );
  if (panels.length === 0)
    return { skip: 'report.json checkpoints carry no finite inceptionScore, frechet or wassersteinGap' };
  return {
    spec: stackPanels('Evaluation over checkpoints', panels, `${cps.length} checkpoint${cps.length === 1 ? '' : 's'}`),
  };
}

/** class-histogram.png: predicted class frequencies of generated images (and of real ones). */
export function classHistogram(report: EvalReport): Built {
  const h = report.classHistogram;
  if (!h) return { skip: 'report.json has no classHistogram' };
  const series = h.series.map((s) => {
    const total = s.values.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    return { name: s.name, values: s.values.map((v) => (total > 0 && Number.isFinite(v) ? v / total : 0)) };
  });
  return {
    spec: barChart({
      labels: h.labels,
      series,
      xLabel: 'class (classifier prediction)',
      yLabel: 'fraction of images',
      title: 'Class histogram',
      reference: { y: 1 / h.labels.length, name: `uniform (1/${h.labels.length})` },
    }),
  };
}
