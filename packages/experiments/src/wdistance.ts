import { join } from 'node:path';
import { artifactPaths, Rng, writeArtifact, type Logger } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import { lineChart } from '@wgan/render';
import { createOptimizer, Network, useFastMatMulGradients, wassersteinCriticLoss, type NetworkSpec } from '@wgan/train';
import type { WDistanceConfig } from './config.js';
import { writeJson, writePng } from './figures.js';
import { cpuSecondsSince, linspace, pearson, round, slopeThroughOrigin } from './stats.js';
import pkg from '../package.json' with { type: 'json' };

/**
 * The Wasserstein-distance curve of seed 004 ("The Mathematical Engineering of Deep Learning", §1;
 * WGAN paper, Example 1): for P_θ = (θ, Z) with Z ~ U[0, 1], W(P_θ, P_0) = |θ|, and a critic f_w with
 * weights clipped to [−c, c], trained to maximise E_{P_0}[f] − E_{P_θ}[f], estimates κ·W for an unknown
 * κ > 0. This is a critic-only algorithm (no generator), so it has its own short step below, built from
 * train's network, objective and optimiser.
 */

/** n samples [n, 2] of P_θ = (θ, Z), Z ~ U[0, 1] (seed 004's TestRV). */
export function sampleTestRV(theta: number, n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    out[2 * i] = theta;
    out[2 * i + 1] = rng.uniform();
  }
  return out;
}

/**
 * seed 004's PlottingDiscriminator: 2 → 10 (sigmoid) → 1 (linear); weights ~ N(0, (0.1·c)²), biases 0.
 */
export function plottingCriticSpec(clipValue: number, inputSize = 2, hidden = 10): NetworkSpec {
  return {
    role: 'critic',
    inputSize,
    outputSize: 1,
    layers: [
      { type: 'dense', inputs: inputSize, units: hidden },
      { type: 'sigmoid' },
      { type: 'dense', inputs: hidden, units: 1 },
    ],
    init: { scheme: 'normal', std: 0.1 * clipValue },
  };
}

export interface CriticTraining {
  /** Optimiser steps (seed 004: 500). */
  steps: number;
  /** Samples of each distribution per step (100). */
  batchSize: number;
  /** c: every parameter is clipped to [−c, c] before training and after each step (0.5). */
  clipValue: number;
  /** RMSprop learning rate (1e-3), with PyTorch's defaults α = 0.99, ε = 1e-8. */
  lr: number;
  alpha: number;
  eps: number;
}

export const SEED004_CRITIC_TRAINING: CriticTraining = {
  steps: 500,
  batchSize: 100,
  clipValue: 0.5,
  lr: 1e-3,
  alpha: 0.99,
  eps: 1e-8,
};

/** Clips every parameter of `net` to [−c, c] in place (seed 004's `clip(m, c)` applied to every module). */
export function clipParameters(net: Network, c: number): void {
  for (const v of net.trainable()) tf.tidy(() => v.assign(tf.clipByValue(v, -c, c)));
}

/**
 * Trains `critic` to maximise V = E_a[f(x)] − E_b[f(x)] (seed 004's `wasserstein_discriminator`): each step
 * draws a fresh batch of both distributions, minimises L = −V = E_b[f] − E_a[f] (train's
 * wassersteinCriticLoss with a as "real" and b as "fake") with RMSprop, then clips every parameter.
 * `sampleA(n)`, `sampleB(n)` return [n, d] samples.
 */
export async function trainWassersteinCritic(
  critic: Network,
  sampleA: (n: number) => Float32Array,
  sampleB: (n: number) => Float32Array,
  o: CriticTraining,
): Promise<void> {
  useFastMatMulGradients();
  const d = critic.spec.inputSize;
  const optimizer = createOptimizer({ type: 'rmsprop', lr: o.lr, alpha: o.alpha, eps: o.eps });
  const params = critic.trainableNames().map((name) => ({ name, variable: critic.get(name) }));
  clipParameters(critic, o.clipValue);
  for (let step = 0; step < o.steps; step++) {
    const a = tf.tensor2d(sampleA(o.batchSize), [o.batchSize, d]);
    const b = tf.tensor2d(sampleB(o.batchSize), [o.batchSize, d]);
    const { value, grads } = tf.variableGrads(
      () => wassersteinCriticLoss(critic.apply(a), critic.apply(b)),
      critic.trainable(),
    );
    optimizer.apply(
      params,
      params.map((p) => grads[p.variable.name]),
    );
    tf.dispose([a, b, value, ...Object.values(grads)]);
    clipParameters(critic, o.clipValue);
  }
  optimizer.dispose();
}

/** κ·W estimate E_a[f] − E_b[f] on given samples a, b [n, d] (seed 004's `wasserstein_distance`). */
export async function estimateWasserstein(critic: Network, a: Float32Array, b: Float32Array): Promise<number> {
  const d = critic.spec.inputSize;
  const gap = tf.tidy(() => {
    const fa = critic.apply(tf.tensor2d(a, [a.length / d, d]));
    const fb = critic.apply(tf.tensor2d(b, [b.length / d, d]));
    return tf.sub(tf.mean(fa), tf.mean(fb));
  });
  const [value] = (await gap.data()) as Float32Array;
  gap.dispose();
  return value;
}

export interface WCurveOptions {
  /** Number of θ values, evenly spaced over [thetaMin, thetaMax] (seed 004: 21 over [−1, 1]). */
  count: number;
  thetaMin: number;
  thetaMax: number;
  /** The true parameter (0). */
  trueTheta: number;
  training: CriticTraining;
  /** Samples of each distribution for the final estimate (1,000). */
  evalSamples: number;
  seed: number;
}

export interface WCurve {
  thetas: number[];
  estimates: number[];
  /** Least-squares κ of estimate ≈ κ·|θ − θ_true|. */
  kappa: number;
  /** Pearson r of the estimates with |θ − θ_true|. */
  pearsonR: number;
}

/**
 * κ·W(P_θ, P_true) for each θ: a fresh critic per θ, trained against (P_true, P_θ) as in the seed, then
 * evaluated on fresh samples. Each θ has its own random stream (forked from `seed` in order), so one θ's
 * result does not depend on how many numbers the others drew.
 */
export async function wassersteinCurve(
  o: WCurveOptions,
  onTheta?: (i: number, theta: number, estimate: number) => void,
): Promise<WCurve> {
  const thetas = linspace(o.thetaMin, o.thetaMax, o.count);
  const master = Rng.fromSeed(o.seed);
  const estimates: number[] = [];
  for (const [i, theta] of thetas.entries()) {
    const rng = master.fork();
    const critic = Network.create(plottingCriticSpec(o.training.clipValue), rng, `wcritic-${i}`);
    await trainWassersteinCritic(
      critic,
      (n) => sampleTestRV(o.trueTheta, n, rng),
      (n) => sampleTestRV(theta, n, rng),
      o.training,
    );
    const estimate = await estimateWasserstein(
      critic,
      sampleTestRV(o.trueTheta, o.evalSamples, rng),
      sampleTestRV(theta, o.evalSamples, rng),
    );
    critic.dispose();
    estimates.push(estimate);
    onTheta?.(i, theta, estimate);
  }
  const distances = thetas.map((t) => Math.abs(t - o.trueTheta));
  return {
    thetas,
    estimates,
    kappa: slopeThroughOrigin(distances, estimates),
    pearsonR: pearson(distances, estimates),
  };
}

export const WDISTANCE_STAGE = 'experiments-wdistance';

export interface WDistanceResult extends WCurve {
  dir: string;
  seconds: number;
  cpuSeconds: number;
  backend: string;
}

/** Seed 004 §1, the whole experiment: the curve, κ and r, the figure and result.json. */
export async function runWDistance(
  config: WDistanceConfig,
  options: { logger: Logger; out?: string },
): Promise<WDistanceResult> {
  const { logger } = options;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const backend = await initBackend(config.backend, { quiet: true });
  logger.info('wdistance: backend', { name: backend.name, device: backend.device });
  const training: CriticTraining = {
    steps: config.steps,
    batchSize: config.batchSize,
    clipValue: config.clipValue,
    lr: config.lr,
    alpha: config.alpha,
    eps: config.eps,
  };
  const curve = await wassersteinCurve(
    {
      count: config.count,
      thetaMin: config.thetaMin,
      thetaMax: config.thetaMax,
      trueTheta: config.trueTheta,
      training,
      evalSamples: config.evalSamples,
      seed: config.seed,
    },
    (i, theta, estimate) =>
      logger.info(`wdistance ${i + 1}/${config.count}`, { theta: round(theta, 3), estimate: round(estimate, 5) }),
  );
  const thetas = curve.thetas.map((t) => round(t, 10));
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu0);
  logger.info('wdistance: fitted', {
    kappa: round(curve.kappa),
    pearsonR: round(curve.pearsonR, 5),
    seconds: round(seconds, 1),
    cpuSeconds: round(cpuSeconds, 1),
  });
  const dir = options.out ?? artifactPaths.experiments('wdistance');
  await writeArtifact(
    dir,
    {
      stage: WDISTANCE_STAGE,
      packageVersion: pkg.version,
      config,
      meta: { backend: backend.name, seconds: round(seconds, 1), cpuSeconds: round(cpuSeconds, 1) },
    },
    async (tmp) => {
      const figure = lineChart({
        series: [
          { name: 'estimate E_P0[f] − E_Pθ[f]', points: thetas.map((x, i) => ({ x, y: curve.estimates[i] })) },
          {
            name: `fitted κ·|θ|, κ = ${curve.kappa.toFixed(3)}`,
            points: thetas.map((x) => ({ x, y: curve.kappa * Math.abs(x - config.trueTheta) })),
          },
        ],
        xLabel: 'θ',
        yLabel: 'κ·W(P_θ, P_0)',
        title: "Approximation of the WGAN paper's Figure 1 (Example 1)",
        subtitle:
          `P_θ = (θ, Z), Z ~ U[0, 1]; critic 2→10 sigmoid→1 clipped to ±${config.clipValue}, RMSprop lr ` +
          `${config.lr}, ${config.steps} steps of ${config.batchSize}; Pearson r with |θ| = ${curve.pearsonR.toFixed(4)}`,
        points: true,
        legendTitle: 'series',
      });
      const png = await writePng(tmp, 'wdistance.png', figure);
      await writeJson(join(tmp, 'result.json'), {
        experiment: 'wdistance',
        seed: 'The Mathematical Engineering of Deep Learning (seed 004), §1; WGAN paper Example 1',
        backend: backend.name,
        seconds: round(seconds, 1),
        cpuSeconds: round(cpuSeconds, 1),
        kappa: curve.kappa,
        pearsonR: curve.pearsonR,
        thetas,
        estimates: curve.estimates,
        trueDistance: thetas.map((t) => round(Math.abs(t - config.trueTheta), 10)),
        figures: [png],
      });
    },
  );
  return { ...curve, thetas, dir, seconds, cpuSeconds, backend: backend.name };
}
