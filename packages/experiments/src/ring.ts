import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { artifactPaths, formatTable, Rng, writeArtifact, type Logger } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { heatmap, lineChart, scatter, stackPanels, type Spec } from '@wgan/render';
import { denseStack, type IterationStats, type NetworkSpec } from '@wgan/train';
import type { RingConfig } from './config.js';
import { panelGrid, writeJson, writePng } from './figures.js';
import { GanSession } from './gan-session.js';
import { ringMetrics, sampleRing, type RingMetrics } from './ring-data.js';
import { cpuSecondsSince, mean, round, std } from './stats.js';
import pkg from '../package.json' with { type: 'json' };

/**
 * LAB 3 (seed 003), exercise 1: a WGAN learns the noisy unit circle from 2-D Gaussian noise, once with
 * weight clipping (Q4–Q5) and once with the gradient penalty (Q7), both through train's GAN step; then
 * Q6's question — is it sensitive to hyper-parameters? — answered with a grid over lr × c and lr × λ,
 * three seeds per cell.
 */
export type RingMethod = 'clip' | 'gp';

export const RING_STAGE = 'experiments-ring';

/** Q3: G 2 → 128 → 64 → 2 and D 2 → 128 → 64 → 1, ReLU, linear outputs, PyTorch's nn.Linear init. */
export function ringSpecs(config: Pick<RingConfig, 'latentDim' | 'hidden'>): {
  generator: NetworkSpec;
  critic: NetworkSpec;
} {
  const relu = { type: 'relu' } as const;
  return {
    generator: {
      role: 'generator',
      inputSize: config.latentDim,
      outputSize: 2,
      layers: denseStack([config.latentDim, ...config.hidden, 2], relu, null),
      init: { scheme: 'torch-default' },
    },
    critic: {
      role: 'critic',
      inputSize: 2,
      outputSize: 1,
      layers: denseStack([2, ...config.hidden, 1], relu, null),
      init: { scheme: 'torch-default' },
    },
  };
}

export interface RingRunSpec {
  method: RingMethod;
  lr: number;
  /** c for clip, λ for gp. */
  param: number;
  seed: number;
}

export interface RingSnapshot {
  epoch: number;
  iteration: number;
  metrics: Omit<RingMetrics, 'binCounts'>;
  /** The generated points [evalSamples, 2] (figures only; not written to JSON). */
  points: Float32Array;
}

export interface RingRun extends RingRunSpec {
  snapshots: RingSnapshot[];
  /** Per generator iteration: the critic's Ŵ = E[D(x)] − E[D(G(z))] on its last batch, and L_D. */
  curve: { iteration: number; gap: number; lossD: number }[];
  msPerIter: number;
}

/** Generator iterations after `epoch` passes over the data: each iteration consumes nCritic batches. */
export function iterationsAtEpoch(epoch: number, batchesPerEpoch: number, nCritic: number): number {
  return Math.round((epoch * batchesPerEpoch) / nCritic);
}

/**
 * Trains one ring WGAN and measures the generated points at the given epochs (0 = before training).
 * LAB 3's loop takes a generator step after critic batch i when i % n_critic == 0; train's iteration is
 * n_critic critic steps then one generator step — the same 1 : n_critic ratio, one batch out of phase.
 */
export async function trainRing(
  config: RingConfig,
  data: Float32Array,
  run: RingRunSpec,
  snapshotEpochs: number[],
): Promise<RingRun> {
  const adam = { type: 'adam' as const, lr: run.lr, beta1: config.beta1, beta2: config.beta2, eps: 1e-8 };
  const session = await GanSession.create({
    ...ringSpecs(config),
    data,
    loss: run.method,
    lambda: run.method === 'gp' ? run.param : 0,
    clipValue: run.method === 'clip' ? run.param : 0,
    nCritic: config.nCritic,
    batchSize: config.batchSize,
    optimizerG: adam,
    optimizerD: adam,
    seed: run.seed,
  });
  const snapshots: RingSnapshot[] = [];
  const curve: RingRun['curve'] = [];
  const onStats = (iteration: number, s: IterationStats) =>
    curve.push({ iteration, gap: s.dReal - s.dFake, lossD: s.lossD });
  let trainingMs = 0;
  try {
    for (const epoch of [...snapshotEpochs].sort((a, b) => a - b)) {
      const target = iterationsAtEpoch(epoch, session.batchesPerEpoch, config.nCritic);
      const t0 = performance.now();
      await session.train(target - session.iterations, { onStats });
      trainingMs += performance.now() - t0;
      const points = await session.sample(config.evalSamples); // the same z at every snapshot
      const { binCounts: _bins, ...metrics } = ringMetrics(points, { radius: config.radius });
      snapshots.push({ epoch, iteration: session.iterations, metrics, points });
    }
    return { ...run, snapshots, curve, msPerIter: session.iterations ? trainingMs / session.iterations : 0 };
  } finally {
    session.dispose();
  }
}

export interface GridCell {
  method: RingMethod;
  lr: number;
  param: number;
  runs: (RingRunSpec & Omit<RingMetrics, 'binCounts'> & { success: boolean })[];
  meanRadialError: number;
  stdRadialError: number;
  meanNearRing: number;
  meanAngularCoverage: number;
  meanRingCoverage: number;
  successes: number;
}

export interface MethodSensitivity {
  method: RingMethod;
  param: 'clipValue' | 'lambda';
  cells: number;
  runs: number;
  successes: number;
  successRate: number;
  /** Runs whose generator produced non-finite points. */
  diverged: number;
  /**
   * Std across cells of the cell-mean share of points within 0.3 of the ring (bounded, so a diverged run counts as 0,
   * not ∞).
   */
  nearRingStdAcrossCells: number;
  nearRingMin: number;
  nearRingMax: number;
  /** Of the cell means (over seeds) of the radial error (Infinity where a run diverged). */
  radialErrorMin: number;
  radialErrorMax: number;
  /** Mean over cells of the seed-to-seed std of the share within 0.3. */
  nearRingSeedStd: number;
  /** The cells with the largest and the smallest share within 0.3. */
  best: { lr: number; param: number; nearRing: number };
  worst: { lr: number; param: number; nearRing: number };
}

export interface Sensitivity {
  methods: Record<RingMethod, MethodSensitivity>;
  /** The method both measures call less sensitive, or 'mixed' when they disagree. */
  lessSensitive: RingMethod | 'mixed';
  statement: string;
}

export function isSuccess(m: Omit<RingMetrics, 'binCounts'>, s: RingConfig['success']): boolean {
  return (
    m.meanRadialError <= s.maxRadialError && m.fractionNearRing >= s.minNearRing && m.ringCoverage >= s.minRingCoverage
  );
}

/** Groups grid runs into cells (method, lr, param) with their seed means. */
export function gridCells(runs: GridCell['runs']): GridCell[] {
  const cells = new Map<string, GridCell['runs']>();
  for (const r of runs) {
    const key = `${r.method}|${r.lr}|${r.param}`;
    cells.set(key, [...(cells.get(key) ?? []), r]);
  }
  return [...cells.values()].map((rs) => ({
    method: rs[0].method,
    lr: rs[0].lr,
    param: rs[0].param,
    runs: rs,
    meanRadialError: mean(rs.map((r) => r.meanRadialError)),
    stdRadialError: std(rs.map((r) => r.meanRadialError)),
    meanNearRing: mean(rs.map((r) => r.fractionNearRing)),
    meanAngularCoverage: mean(rs.map((r) => r.angularCoverage)),
    meanRingCoverage: mean(rs.map((r) => r.ringCoverage)),
    successes: rs.filter((r) => r.success).length,
  }));
}

/**
 * Q6 from the numbers: a method is less sensitive when its cells differ less — the std across its cells
 * of the seed-mean share of points within 0.3 of the ring (bounded in [0, 1], so one diverged run cannot
 * make the spread infinite) — and more of its runs find the ring. When the two measures disagree the
 * verdict is 'mixed' and the statement gives both.
 */
export function sensitivity(cells: GridCell[]): Sensitivity {
  const of = (method: RingMethod): MethodSensitivity => {
    const cs = cells.filter((c) => c.method === method);
    const near = cs.map((c) => c.meanNearRing);
    const errors = cs.map((c) => c.meanRadialError);
    const runs = cs.reduce((s, c) => s + c.runs.length, 0);
    const successes = cs.reduce((s, c) => s + c.successes, 0);
    return {
      method,
      param: method === 'clip' ? 'clipValue' : 'lambda',
      cells: cs.length,
      runs,
      successes,
      successRate: runs ? successes / runs : NaN,
      diverged: cs.reduce((s, c) => s + c.runs.filter((r) => !Number.isFinite(r.meanRadialError)).length, 0),
      nearRingStdAcrossCells: std(near),
      nearRingMin: Math.min(...near),
      nearRingMax: Math.max(...near),
      radialErrorMin: Math.min(...errors),
      radialErrorMax: Math.max(...errors),
      nearRingSeedStd: mean(cs.map((c) => std(c.runs.map((r) => r.fractionNearRing)))),
      best: pick(cs, (a, b) => b.meanNearRing - a.meanNearRing),
      worst: pick(cs, (a, b) => a.meanNearRing - b.meanNearRing),
    };
  };
  const clip = of('clip');
  const gp = of('gp');
  const bySpread: RingMethod = gp.nearRingStdAcrossCells < clip.nearRingStdAcrossCells ? 'gp' : 'clip';
  const bySuccess: RingMethod | null =
    gp.successRate === clip.successRate ? null : gp.successRate > clip.successRate ? 'gp' : 'clip';
  const lessSensitive = bySuccess === null || bySuccess === bySpread ? bySpread : 'mixed';
  const name = { clip: 'Weight clipping', gp: 'Gradient penalty' };
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const err = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'diverged');
  const symbol = { clip: 'c', gp: 'λ' };
  const cell = (m: MethodSensitivity, c: MethodSensitivity['best']) =>
    `lr ${c.lr}, ${symbol[m.method]} ${c.param}: ${pct(c.nearRing)}`;
  const describe = (m: MethodSensitivity) =>
    `${name[m.method]}: cell means of the share within 0.3 of the ring ${pct(m.nearRingMin)}–${pct(m.nearRingMax)} (std across its ${m.cells} cells ${m.nearRingStdAcrossCells.toFixed(3)}; best ${cell(m, m.best)}, worst ${cell(m, m.worst)}), radial error ${err(m.radialErrorMin)}–${err(m.radialErrorMax)}, seed-to-seed std of the share ${m.nearRingSeedStd.toFixed(3)}, ${m.successes}/${m.runs} runs find the ring${m.diverged ? `, ${m.diverged} diverged` : ''}`;
  const head =
    lessSensitive === 'mixed'
      ? 'Mixed: the spread across cells and the success count disagree'
      : `${lessSensitive === 'gp' ? 'The gradient penalty' : 'Weight clipping'} is less sensitive`;
  return { methods: { clip, gp }, lessSensitive, statement: `${head}. ${describe(gp)}. ${describe(clip)}.` };
}

function pick(cells: GridCell[], order: (a: GridCell, b: GridCell) => number): MethodSensitivity['best'] {
  const c = [...cells].sort(order)[0];
  return { lr: c.lr, param: c.param, nearRing: c.meanNearRing };
}

export interface RingResult {
  dir: string;
  main: Record<RingMethod, RingRun>;
  cells: GridCell[];
  sensitivity: Sensitivity | null;
  seconds: number;
  cpuSeconds: number;
  backend: string;
}

const METRIC_LABELS = {
  meanRadialError: 'mean |‖x‖ − 1|',
  fractionNearRing: 'share within 0.3 of the ring',
  angularCoverage: 'angle bins with points (of 36)',
  ringCoverage: 'angle bins with points near the ring',
} as const;

/** LAB 3, the whole experiment: two main runs, the grid, figures, result.json. */
export async function runRing(config: RingConfig, options: { logger: Logger; out?: string }): Promise<RingResult> {
  const { logger } = options;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const backend = await initBackend(config.backend, { quiet: true });
  logger.info('ring: backend', { name: backend.name, device: backend.device });
  const data = sampleRing(config.points, Rng.fromSeed(config.seed).fork(), {
    radius: config.radius,
    noise: config.noise,
  });

  const snapshotEpochs: number[] = [];
  for (let e = 0; e < config.epochs; e += config.snapshotEvery) snapshotEpochs.push(e);
  snapshotEpochs.push(config.epochs);
  const main = {} as Record<RingMethod, RingRun>;
  for (const method of ['clip', 'gp'] as const) {
    const param = method === 'clip' ? config.clip.clipValue : config.gp.lambda;
    const lr = method === 'clip' ? config.clip.lr : config.gp.lr;
    main[method] = await trainRing(config, data, { method, lr, param, seed: config.seed }, snapshotEpochs);
    const last = main[method].snapshots.at(-1)!.metrics;
    logger.info(`ring: ${method} trained`, {
      epochs: config.epochs,
      lr,
      [method === 'clip' ? 'c' : 'lambda']: param,
      radialError: round(last.meanRadialError),
      nearRing: last.fractionNearRing,
      coverage: last.angularCoverage,
      ringCoverage: last.ringCoverage,
      msPerIter: round(main[method].msPerIter, 1),
    });
  }

  let cells: GridCell[] = [];
  let sens: Sensitivity | null = null;
  if (!config.skipGrid) {
    const { grid } = config;
    const specs: RingRunSpec[] = [];
    for (const method of ['clip', 'gp'] as const) {
      for (const lr of grid.lrs)
        for (const param of method === 'clip' ? grid.clipValues : grid.lambdas)
          for (const seed of grid.seeds) specs.push({ method, lr, param, seed });
    }
    const runs: GridCell['runs'] = [];
    for (const [k, spec] of specs.entries()) {
      const t = performance.now();
      const r = await trainRing(config, data, spec, [grid.epochs]);
      const m = r.snapshots[0].metrics;
      runs.push({ ...spec, ...m, success: isSuccess(m, config.success) });
      logger.info(`ring grid ${k + 1}/${specs.length}`, {
        method: spec.method,
        lr: spec.lr,
        param: spec.param,
        seed: spec.seed,
        radialError: round(m.meanRadialError),
        nearRing: m.fractionNearRing,
        ringCoverage: m.ringCoverage,
        seconds: round((performance.now() - t) / 1000, 1),
      });
    }
    cells = gridCells(runs);
    sens = sensitivity(cells);
    logger.info('ring: sensitivity', { verdict: sens.lessSensitive });
  }

  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu0);
  const dir = options.out ?? artifactPaths.experiments('ring');
  await writeArtifact(
    dir,
    {
      stage: RING_STAGE,
      packageVersion: pkg.version,
      config,
      meta: { backend: backend.name, seconds: round(seconds, 1), cpuSeconds: round(cpuSeconds, 1) },
    },
    async (tmp) => {
      const figures: string[] = [];
      for (const method of ['clip', 'gp'] as const)
        figures.push(await writePng(tmp, `ring-${method}.png`, scatterFigure(main[method], data, config)));
      figures.push(await writePng(tmp, 'ring-metrics.png', metricsFigure(main)));
      figures.push(await writePng(tmp, 'ring-critic.png', criticFigure(main)));
      if (sens) {
        figures.push(await writePng(tmp, 'sensitivity.png', sensitivityFigure(cells, config)));
        await writeFile(join(tmp, 'sensitivity.md'), sensitivityMarkdown(cells, sens, config));
      }
      await writeJson(join(tmp, 'result.json'), {
        experiment: 'ring',
        seed: 'LAB 3 (seed 003), exercise 1',
        backend: backend.name,
        seconds: round(seconds, 1),
        cpuSeconds: round(cpuSeconds, 1),
        main: Object.fromEntries((['clip', 'gp'] as const).map((m) => [m, runSummary(main[m])])),
        sensitivity: sens,
        grid: cells.map(({ runs, ...c }) => ({ ...c, runs: runs.map((r) => ({ ...r })) })),
        figures,
      });
    },
  );
  return { dir, main, cells, sensitivity: sens, seconds, cpuSeconds, backend: backend.name };
}

function runSummary(r: RingRun) {
  return {
    lr: r.lr,
    [r.method === 'clip' ? 'clipValue' : 'lambda']: r.param,
    seed: r.seed,
    msPerIter: round(r.msPerIter, 2),
    snapshots: r.snapshots.map((s) => ({
      epoch: s.epoch,
      iteration: s.iteration,
      ...Object.fromEntries(Object.entries(s.metrics).map(([k, v]) => [k, round(v)])),
    })),
  };
}

function toPoints(xy: Float32Array, limit = Infinity): { x: number; y: number }[] {
  const n = Math.min(limit, xy.length / 2);
  return Array.from({ length: n }, (_, i) => ({ x: xy[2 * i], y: xy[2 * i + 1] }));
}

/** The lab's figure: real (light crosses) vs generated points at epochs 0, 10, 20, … */
function scatterFigure(run: RingRun, data: Float32Array, config: RingConfig): Spec {
  const real = toPoints(data, 1000);
  const panels = run.snapshots.map((s) =>
    scatter({
      groups: [
        { name: 'generated', points: toPoints(s.points) },
        { name: 'real', points: real },
      ],
      xLabel: 'x₁',
      yLabel: 'x₂',
      title: `epoch ${s.epoch} (iteration ${s.iteration})`,
      subtitle:
        `|‖x‖−1| ${s.metrics.meanRadialError.toFixed(3)} · near ` +
        `${(100 * s.metrics.fractionNearRing).toFixed(0)}% · bins ` +
        `${Math.round(36 * s.metrics.angularCoverage)}/36 (near ring ${Math.round(36 * s.metrics.ringCoverage)})`,
      legendTitle: 'points',
      equalAxes: true,
      width: 240,
      pointSize: 8,
      opacity: 0.55,
    }),
  );
  const what = run.method === 'clip' ? `weight clipping c = ${run.param}` : `gradient penalty λ = ${run.param}`;
  return panelGrid(
    `Ring WGAN with ${what}: real vs generated`,
    panels,
    panels.length === 4 ? 2 : 3,
    `LAB 3 · Adam lr ${run.lr}, β = (${config.beta1}, ${config.beta2}), n_critic ${config.nCritic}, ` +
      `batch ${config.batchSize} · ${config.evalSamples} generated points from the same z at every epoch`,
  );
}

function metricsFigure(main: Record<RingMethod, RingRun>): Spec {
  const series = (key: keyof typeof METRIC_LABELS) =>
    (['clip', 'gp'] as const).map((m) => ({
      name: m === 'clip' ? 'weight clipping' : 'gradient penalty',
      points: main[m].snapshots.map((s) => ({ x: s.epoch, y: s.metrics[key] })),
    }));
  const panel = (key: keyof typeof METRIC_LABELS, title: string) =>
    lineChart({
      series: series(key),
      xLabel: 'epoch',
      yLabel: METRIC_LABELS[key],
      title,
      points: true,
      legendTitle: 'method',
      height: 170,
    });
  return stackPanels('Ring metrics of the generated points over training', [
    panel('meanRadialError', 'Radial error (the real data: 0.080)'),
    panel('fractionNearRing', 'Within 0.3 of the ring'),
    panel('angularCoverage', 'Angular coverage (36 bins)'),
    panel('ringCoverage', 'Angular coverage by points near the ring'),
  ]);
}

function criticFigure(main: Record<RingMethod, RingRun>): Spec {
  return stackPanels(
    'What the ring critics measure',
    (['clip', 'gp'] as const).map((m) =>
      lineChart({
        series: [
          { name: 'Ŵ = E[D(x)] − E[D(G(z))]', points: main[m].curve.map((c) => ({ x: c.iteration, y: c.gap })) },
        ],
        xLabel: 'generator iteration',
        yLabel: 'critic estimate',
        title: m === 'clip' ? 'Weight clipping' : 'Gradient penalty',
        smooth: 'auto',
        height: 170,
      }),
    ),
  );
}

function sensitivityFigure(cells: GridCell[], config: RingConfig): Spec {
  const { grid } = config;
  const table = (method: RingMethod, value: (c: GridCell) => number) => {
    const params = method === 'clip' ? grid.clipValues : grid.lambdas;
    return grid.lrs.map((lr) =>
      params.map((p) => {
        const c = cells.find((x) => x.method === method && x.lr === lr && x.param === p);
        return c ? value(c) : null;
      }),
    );
  };
  const seeds = grid.seeds.length;
  const panel = (method: RingMethod, what: 'near' | 'success') =>
    heatmap({
      rows: grid.lrs,
      cols: method === 'clip' ? grid.clipValues : grid.lambdas,
      values: table(method, what === 'near' ? (c) => c.meanNearRing : (c) => c.successes),
      rowLabel: 'learning rate',
      colLabel: method === 'clip' ? 'clip value c' : 'penalty weight λ',
      title:
        `${method === 'clip' ? 'Weight clipping' : 'Gradient penalty'}: ` +
        `${what === 'near' ? 'points near the ring' : 'runs that find the ring'}`,
      subtitle:
        what === 'near'
          ? `share within 0.3 of the ring, mean over ${seeds} seeds`
          : `of ${seeds} seeds: error ≤ ${config.success.maxRadialError}, ≥ ` +
            `${100 * config.success.minNearRing}% near, ≥ ${100 * config.success.minRingCoverage}% of angle bins`,
      valueLabel: what === 'near' ? 'share near' : 'runs',
      format: what === 'near' ? '.2f' : 'd',
      cellSize: 56,
    });
  return panelGrid(
    `Q6: sensitivity to hyper-parameters after ${grid.epochs} epochs`,
    [panel('clip', 'near'), panel('gp', 'near'), panel('clip', 'success'), panel('gp', 'success')],
    2,
    `Adam β = (${config.beta1}, ${config.beta2}), n_critic ` +
      `${config.nCritic}, batch ${config.batchSize}; darker = larger`,
  );
}

/** The sensitivity table (one row per cell) and the verdict, as Markdown. */
export function sensitivityMarkdown(cells: GridCell[], sens: Sensitivity, config: RingConfig): string {
  const header = [
    'method',
    'lr',
    'c / λ',
    'radial error (mean ± std)',
    'near ring',
    'angle bins',
    'near-ring bins',
    'successes',
  ];
  const rows = cells.map((c) => [
    c.method,
    String(c.lr),
    String(c.param),
    Number.isFinite(c.meanRadialError)
      ? `${c.meanRadialError.toFixed(3)} ± ${c.stdRadialError.toFixed(3)}`
      : 'diverged',
    `${(100 * c.meanNearRing).toFixed(1)}%`,
    `${(36 * c.meanAngularCoverage).toFixed(1)}/36`,
    `${(36 * c.meanRingCoverage).toFixed(1)}/36`,
    `${c.successes}/${c.runs.length}`,
  ]);
  const md = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  return `# Ring WGAN: hyper-parameter sensitivity (LAB 3, Q6)\n\n${config.grid.epochs} epochs per run, seeds ${config.grid.seeds.join(', ')}; Adam β = (${config.beta1}, ${config.beta2}), n_critic ${config.nCritic}, batch ${config.batchSize}.\n\n${md}\n\n**${sens.statement}**\n\n\`\`\`\n${formatTable(
    ['method', 'runs', 'find the ring', 'diverged', 'within 0.3: min', 'max', 'std across cells', 'seed std'],
    (['clip', 'gp'] as const).map((m) => {
      const s = sens.methods[m];
      return [
        m,
        s.runs,
        s.successes,
        s.diverged,
        s.nearRingMin.toFixed(3),
        s.nearRingMax.toFixed(3),
        s.nearRingStdAcrossCells.toFixed(3),
        s.nearRingSeedStd.toFixed(3),
      ];
    }),
  )}\n\`\`\`\n`;
}

export const RING_CELL_STAGE = 'experiments-ring-cell';

export interface RingCellResult {
  experiment: 'ring-cell';
  method: RingMethod;
  lr: number;
  /** c for clip, λ for gp. */
  param: number;
  /** Training seed of the run; the data is the ring config's `seed` (the same points as the grid's). */
  seed: number;
  epochs: number;
  iterations: number;
  metrics: Omit<RingMetrics, 'binCounts'>;
  /** The grid's success rule (config.success): radial error, share within 0.3 and near-ring coverage. */
  findsRing: boolean;
  msPerIter: number;
  seconds: number;
  backend: string;
}

/**
 * One cell × seed of the sensitivity grid as its own artifact (`ring-cell`): the same data (the config's
 * seed), networks, schedule and metrics as a grid run of `runRing`, for `@wgan/study` to run one job per
 * (cell, seed) and aggregate with intervals. Writes result.json into `out`.
 */
export async function runRingCell(
  config: RingConfig,
  run: RingRunSpec,
  options: { logger: Logger; out: string; record?: unknown },
): Promise<RingCellResult> {
  const t0 = performance.now();
  const backend = await initBackend(config.backend, { quiet: true });
  const data = sampleRing(config.points, Rng.fromSeed(config.seed).fork(), {
    radius: config.radius,
    noise: config.noise,
  });
  const epochs = config.grid.epochs;
  const trained = await trainRing(config, data, run, [epochs]);
  const snapshot = trained.snapshots[0];
  const result: RingCellResult = {
    experiment: 'ring-cell',
    ...run,
    epochs,
    iterations: snapshot.iteration,
    metrics: snapshot.metrics,
    findsRing: isSuccess(snapshot.metrics, config.success),
    msPerIter: round(trained.msPerIter, 2),
    seconds: round((performance.now() - t0) / 1000, 2),
    backend: backend.name,
  };
  options.logger.info('ring cell', {
    method: run.method,
    lr: run.lr,
    param: run.param,
    seed: run.seed,
    radialError: round(snapshot.metrics.meanRadialError),
    nearRing: snapshot.metrics.fractionNearRing,
    findsRing: result.findsRing,
  });
  await writeArtifact(
    options.out,
    {
      stage: RING_CELL_STAGE,
      packageVersion: pkg.version,
      config: { ...config, run },
      meta: { backend: backend.name, ...(options.record === undefined ? {} : { record: options.record }) },
    },
    async (tmp) => writeJson(join(tmp, 'result.json'), result),
  );
  return result;
}
