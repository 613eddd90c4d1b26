import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError, Rng } from '@wgan/core';
import { initBackend, type BackendName } from '@wgan/core/backend';
import { createGanTrainer, type GanImplementation } from '../factory.js';
import { denseStack } from '../models/architectures.js';
import { Network, initialValues } from '../models/network.js';
import type { NetworkSpec } from '../models/spec.js';
import { BatchSampler, drawIterationInputs } from '../sampling.js';
import { netValues, refIteration, refTrainer } from '../testing/reference.js';
import {
  STAT_FIELDS,
  type IterationStats,
  type Trainer,
  type TrainerState,
  type WganStepSettings,
} from '../trainer.js';
import { device } from './webgpu-fused/gpu.test-helpers.js';

/**
 * Every implementation of the WGAN step against the one float64 reference (testing/reference.ts): the
 * same initial weights, the same IterationInputs, k generator iterations, then every statistic of every
 * iteration and every weight compared. Each trainer is built by the factory from one WganStepSettings,
 * as train builds it. The tfjs trainers run on wasm; webgpu-fused on the WebGPU device tfjs found (Mesa
 * llvmpipe where there is no GPU), and is skipped, with the reason printed, where no adapter exists.
 */
interface Row {
  implementation: Exclude<GanImplementation, 'auto'>;
  backend: BackendName;
  available: boolean;
}

const IMPLEMENTATIONS: Row[] = [
  { implementation: 'tfjs-autodiff', backend: 'wasm', available: true },
  { implementation: 'tfjs-manual', backend: 'wasm', available: true },
  { implementation: 'onnx-cpu', backend: 'wasm', available: true },
  { implementation: 'webgpu-fused', backend: 'webgpu', available: device !== null },
];

const dz = 16;
const d = 24;
const nTrain = 96;

interface Case {
  name: string;
  loss: 'gp' | 'clip';
  /** Hidden activation slope of both networks: 0.2 = LeakyReLU(0.2), 0 = ReLU. */
  slope: number;
  criticHidden: number[];
  batchSize: number;
  iterations: number;
  /** Zeroes the critic's output kernel: ∇ₓD(x̂) = 0 on every interpolate of the first critic step. */
  zeroCriticOutput?: boolean;
  /** A fresh trainer takes over from getState() after this many iterations (the sampler goes on mid-epoch). */
  resumeAfter?: number;
  /** The case is only meaningful if the reference's last clip fraction is positive (weights at ±c). */
  expectClipped?: boolean;
  /** A conditional run with K classes: one-hot labels join z and the critic's input (conditional.ts). */
  classes?: number;
  /** tfjs-autodiff's input gradient of the penalty (the others have one way): closed form unless given. */
  penalty?: 'closed-form' | 'autodiff';
}

const CASES: Case[] = [
  { name: 'WGAN-GP, LeakyReLU critic', loss: 'gp', slope: 0.2, criticHidden: [20, 12], batchSize: 16, iterations: 3 },
  { name: 'WGAN-GP, ReLU critic, B = 12', loss: 'gp', slope: 0, criticHidden: [20], batchSize: 12, iterations: 3 },
  {
    name: 'WGAN-GP, ‖∇D(x̂)‖ = 0 on the first critic step',
    loss: 'gp',
    slope: 0.2,
    criticHidden: [20],
    batchSize: 16,
    iterations: 2,
    zeroCriticOutput: true,
  },
  {
    name: 'weight clipping at the bound (RMSprop)',
    loss: 'clip',
    slope: 0.2,
    criticHidden: [20, 12],
    batchSize: 16,
    iterations: 3,
    expectClipped: true,
  },
  {
    name: 'WGAN-GP, resumed mid-epoch',
    loss: 'gp',
    slope: 0.2,
    criticHidden: [20, 12],
    batchSize: 16,
    iterations: 4,
    resumeAfter: 2,
  },
  {
    name: 'conditional WGAN-GP (K = 3), LeakyReLU critic',
    loss: 'gp',
    slope: 0.2,
    criticHidden: [20, 12],
    batchSize: 16,
    iterations: 3,
    classes: 3,
  },
  {
    name: 'conditional WGAN-GP (K = 3), penalty by nested autodiff with respect to the image',
    loss: 'gp',
    slope: 0.2,
    criticHidden: [20, 12],
    batchSize: 16,
    iterations: 2,
    classes: 3,
    penalty: 'autodiff',
  },
  {
    name: 'conditional WGAN-GP (K = 4), ReLU critic, resumed mid-epoch',
    loss: 'gp',
    slope: 0,
    criticHidden: [20],
    batchSize: 16,
    iterations: 4,
    resumeAfter: 2,
    classes: 4,
  },
];

/** Cases an implementation refuses by design, with the error it must give (exit 2 naming --implementation). */
const REFUSED: Partial<Record<Row['implementation'], { applies: (c: Case) => boolean; message: RegExp }>> = {
  'webgpu-fused': { applies: (c) => (c.classes ?? 0) > 0, message: /--implementation webgpu-fused/ },
};

/** Cases a row cannot pass yet, with the fix that makes it pass (removed once that fix is merged). */
/** Cases an implementation is known to get wrong, run as `it.fails` so a fix is noticed; none today. */
const KNOWN_FAILURES: Partial<Record<Row['implementation'], string[]>> = {};

function specs(c: Case): { gen: NetworkSpec; critic: NetworkSpec } {
  const hidden = c.slope === 0 ? ({ type: 'relu' } as const) : ({ type: 'leakyRelu', alpha: c.slope } as const);
  const K = c.classes ?? 0;
  return {
    gen: {
      role: 'generator',
      inputSize: dz + K,
      outputSize: d,
      layers: denseStack([dz + K, 20, d], hidden, { type: 'tanh' }),
      init: { scheme: 'torch-default' },
    },
    critic: {
      role: 'critic',
      inputSize: d + K,
      outputSize: 1,
      layers: denseStack([d + K, ...c.criticHidden, 1], hidden, null),
      init: { scheme: 'torch-default' },
    },
  };
}

function settings(c: Case): WganStepSettings {
  // ε = 1e-3 keeps Adam/RMSprop from amplifying float32 noise in gradients that are zero in exact arithmetic;
  // the clipping case's learning rate is large so that weights reach ±c within a few steps
  const opt =
    c.loss === 'gp'
      ? { type: 'adam' as const, lr: 1e-3, beta1: 0.5, beta2: 0.9, eps: 1e-3 }
      : { type: 'rmsprop' as const, lr: 3e-3, alpha: 0.99, eps: 1e-3 };
  return {
    loss: c.loss,
    lambda: 10,
    clipValue: 0.01,
    nCritic: 5,
    batchSize: c.batchSize,
    optimizerG: opt,
    optimizerD: opt,
    ...(c.classes ? { classes: c.classes } : {}),
  };
}

/** max |got − want| / max |want| per tensor, the worst over tensors, and its name. */
function worstTensorError(
  got: Map<string, Float32Array>,
  want: Map<string, Float64Array>,
): { worst: number; name: string } {
  let worst = 0;
  let name = '';
  for (const [k, w] of want) {
    const g = got.get(k)!;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < w.length; i++) {
      diff = Math.max(diff, Math.abs(g[i] - w[i]));
      scale = Math.max(scale, Math.abs(w[i]));
    }
    const e = diff / Math.max(scale, 1e-12);
    if (!(e <= worst)) {
      worst = e;
      name = k;
    }
  }
  return { worst, name };
}

beforeAll(async () => {
  // the WebGPU device (if any) stays open for webgpu-fused; the tfjs trainers run on wasm
  await initBackend('wasm', { quiet: true });
});

describe.each(IMPLEMENTATIONS)('$implementation against the float64 reference', (row) => {
  const made: { trainer: Trainer; nets: Network[] }[] = [];
  afterAll(() => {
    for (const m of made) {
      m.trainer.dispose();
      for (const n of m.nets) n.dispose();
    }
  });

  async function build(c: Case, s: WganStepSettings, state: TrainerState, images: Float32Array): Promise<Trainer> {
    const { gen, critic } = specs(c);
    const nets = [
      Network.fromValues(gen, state.generator, 'parity-g'),
      Network.fromValues(critic, state.critic, 'parity-d'),
    ];
    const trainer = await createGanTrainer({
      settings: s,
      implementation: row.implementation,
      penalty: c.penalty ?? 'closed-form',
      threads: 1,
      generator: nets[0],
      critic: nets[1],
      images,
      imageCount: nTrain,
      latentDim: dz,
      backend: row.backend,
    });
    made.push({ trainer, nets });
    expect(trainer.implementation).toBe(row.implementation);
    await trainer.setState(state);
    return trainer;
  }

  const known = KNOWN_FAILURES[row.implementation] ?? [];
  const refused = REFUSED[row.implementation];
  for (const c of CASES) {
    if (refused?.applies(c)) {
      // refused before any device is touched, so this runs with or without an adapter
      it(`${c.name}: refused`, async () => {
        const { gen, critic } = specs(c);
        const rng = Rng.fromSeed(41);
        const nets = [
          Network.fromValues(gen, initialValues(gen, rng), 'parity-g'),
          Network.fromValues(critic, initialValues(critic, rng), 'parity-d'),
        ];
        const request = {
          settings: settings(c),
          implementation: row.implementation,
          penalty: 'closed-form' as const,
          generator: nets[0],
          critic: nets[1],
          images: new Float32Array(nTrain * d),
          imageCount: nTrain,
          latentDim: dz,
          backend: row.backend,
        };
        const error = await createGanTrainer(request).then(
          () => null,
          (e: unknown) => e,
        );
        for (const n of nets) n.dispose();
        expect(error).toBeInstanceOf(PipelineError);
        expect((error as PipelineError).exitCode).toBe(2);
        expect((error as Error).message).toMatch(refused.message);
      });
      continue;
    }
    const test = !row.available ? it.skip : known.includes(c.name) ? it.fails : it;
    test(
      c.name,
      async () => {
        const s = settings(c);
        const { gen, critic } = specs(c);
        const rng = Rng.fromSeed(41);
        const images = rng.fillUniform(new Float32Array(nTrain * d), -1, 1);
        // a conditional case's training labels, from their own stream
        const labelRng = Rng.fromSeed(5);
        const trainLabels = c.classes
          ? Uint8Array.from({ length: nTrain }, () => labelRng.below(c.classes as number))
          : null;
        const g0 = initialValues(gen, rng);
        const c0 = initialValues(critic, rng);
        if (c.zeroCriticOutput) c0.get(`${critic.layers.length - 1}.kernel`)!.fill(0);
        const kind = s.optimizerD.type;
        const initial: TrainerState = {
          generator: g0,
          critic: c0,
          generatorOptimizer: { kind, step: 0, slots: [] },
          criticOptimizer: { kind, step: 0, slots: [] },
        };
        const ref = refTrainer(gen, critic, g0, c0);
        let trainer = await build(c, s, initial, images);
        const draw = Rng.fromSeed(7);
        const sampler = new BatchSampler(nTrain, c.batchSize, 3);
        const got: IterationStats[] = [];
        const want: IterationStats[] = [];
        for (let k = 0; k < c.iterations; k++) {
          if (c.resumeAfter === k) {
            got.push(...((await trainer.readStats()) as IterationStats[]));
            const state = await trainer.getState();
            expect(state.criticOptimizer.step).toBe(k * s.nCritic);
            trainer = await build(c, s, state, images);
            // the run goes on mid-epoch: 5 batches of 16 per iteration, 6 per epoch
            expect((k * s.nCritic) % sampler.batchesPerEpoch).not.toBe(0);
          }
          const inputs = drawIterationInputs(
            draw,
            sampler,
            { nCritic: s.nCritic, batchSize: c.batchSize, latentDim: dz },
            trainLabels ? { train: trainLabels, classes: c.classes as number } : null,
          );
          if (c.classes) expect(new Set(inputs.labels!.gen).size).toBeGreaterThan(1);
          trainer.iteration(inputs);
          want.push(refIteration(ref, inputs, images, s));
        }
        got.push(...((await trainer.readStats()) as IterationStats[]));
        expect(got).toHaveLength(c.iterations);
        if (c.zeroCriticOutput) expect(want[0].gp).toBeGreaterThan(0);
        if (c.expectClipped) expect(want[c.iterations - 1].clipFraction).toBeGreaterThan(0);
        // a weight the float64 update takes past ±c can land one float32 ulp inside the bound (not clipped):
        // the clip fraction may differ by that one weight
        const criticCount = [...c0.values()].reduce((n, v) => n + v.length, 0);
        got.forEach((st, k) => {
          for (const f of STAT_FIELDS) {
            const tol = f === 'clipFraction' ? 1.5 / criticCount : 1e-4;
            if (Number.isNaN(want[k][f])) expect(st[f], `${f} at iteration ${k}`).toBeNaN();
            else
              expect(
                Math.abs(st[f] - want[k][f]) / Math.max(1, Math.abs(want[k][f])),
                `${f} at iteration ${k}: ${st[f]} vs ${want[k][f]}`,
              ).toBeLessThanOrEqual(tol);
          }
        });
        const state = await trainer.getState();
        for (const [net, refNet] of [
          ['generator', ref.gen],
          ['critic', ref.critic],
        ] as const) {
          const e = worstTensorError(state[net], netValues(refNet));
          expect(e.worst, `${net} ${e.name}`).toBeLessThanOrEqual(1e-4);
        }
        expect(state.criticOptimizer.step).toBe(c.iterations * s.nCritic);
        expect(state.generatorOptimizer.step).toBe(c.iterations);
      },
      120_000,
    );
  }
});
