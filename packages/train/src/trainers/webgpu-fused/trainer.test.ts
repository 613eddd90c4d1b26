import { describe, expect, it } from 'vitest';
import { BatchSampler, drawIterationInputs } from '../../sampling.js';
import { PipelineError, Rng } from '@wgan/core';
import { denseStack } from '../../models/architectures.js';
import { initialValues } from '../../models/network.js';
import type { NetworkSpec } from '../../models/spec.js';
import { STAT_FIELDS, type IterationInputs, type IterationStats, type TrainerState } from '../../trainer.js';
import { WebgpuFusedTrainer, defaultOptimizer, type FusedTrainerOptions } from './trainer.js';
import { device } from './gpu.test-helpers.js';
import {
  forward,
  netValues,
  refIteration,
  refTrainer,
  type RefConfig,
  type RefTrainer,
} from '../../testing/reference.js';

const lrelu = { type: 'leakyRelu', alpha: 0.2 } as const;

interface Model {
  gen: NetworkSpec;
  critic: NetworkSpec;
  dz: number;
  d: number;
}

function model(dz: number, genHidden: number[], d: number, criticHidden: number[]): Model {
  return {
    dz,
    d,
    gen: {
      role: 'generator',
      inputSize: dz,
      outputSize: d,
      layers: denseStack([dz, ...genHidden, d], lrelu, { type: 'tanh' }),
      init: { scheme: 'torch-default' },
    },
    critic: {
      role: 'critic',
      inputSize: d,
      outputSize: 1,
      layers: denseStack([d, ...criticHidden, 1], lrelu, null),
      init: { scheme: 'torch-default' },
    },
  };
}

/** The inputs of one iteration, drawn in the contract's order (trainer.ts). */
function drawInputs(rng: Rng, nC: number, B: number, dz: number, nTrain: number): IterationInputs {
  return drawIterationInputs(rng, new BatchSampler(nTrain, B, rng.nextUint32()), {
    nCritic: nC,
    batchSize: B,
    latentDim: dz,
  });
}

function freshState(m: Model, loss: 'gp' | 'clip', seed: number): TrainerState {
  const kind = loss === 'gp' ? 'adam' : 'rmsprop';
  const rng = Rng.fromSeed(seed);
  return {
    generator: initialValues(m.gen, rng),
    critic: initialValues(m.critic, rng),
    generatorOptimizer: { kind, step: 0, slots: [] },
    criticOptimizer: { kind, step: 0, slots: [] },
  };
}

interface Setup {
  m: Model;
  loss: 'gp' | 'clip';
  B: number;
  nC: number;
  nTrain: number;
  seed: number;
}

async function build(
  s: Setup,
  initial?: TrainerState,
): Promise<{
  trainer: WebgpuFusedTrainer;
  ref: RefTrainer;
  images: Float32Array;
  cfg: RefConfig;
  options: FusedTrainerOptions;
}> {
  const state = initial ?? freshState(s.m, s.loss, s.seed);
  const images = Rng.fromSeed(s.seed + 1).fillUniform(new Float32Array(s.nTrain * s.m.d), -1, 1);
  const opt = defaultOptimizer(s.loss);
  // A larger clipping learning rate so that weights really reach ±c within a few steps.
  const o = s.loss === 'clip' ? { ...opt, lr: 3e-3 } : opt;
  const options: FusedTrainerOptions = {
    device: device!,
    generatorSpec: s.m.gen,
    criticSpec: s.m.critic,
    initial: state,
    trainImages: images,
    loss: s.loss,
    lambda: 10,
    clipValue: 0.01,
    nCritic: s.nC,
    batchSize: s.B,
    optimizerG: o,
    optimizerD: o,
  };
  const trainer = await WebgpuFusedTrainer.create(options);
  const ref = refTrainer(s.m.gen, s.m.critic, state.generator, state.critic);
  return {
    trainer,
    ref,
    images,
    cfg: { loss: s.loss, lambda: 10, clipValue: 0.01, optimizerG: o, optimizerD: o },
    options,
  };
}

/** max |gpu − ref| / max(|ref|) per tensor, worst over tensors (norm-wise relative error). */
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

function expectStatsClose(got: IterationStats, want: IterationStats, tol: number): void {
  for (const f of STAT_FIELDS) {
    if (Number.isNaN(want[f])) {
      expect(got[f], f).toBeNaN();
      continue;
    }
    expect(
      Math.abs(got[f] - want[f]) / Math.max(1, Math.abs(want[f])),
      `${f}: ${got[f]} vs ${want[f]}`,
    ).toBeLessThanOrEqual(tol);
  }
}

async function compareRun(s: Setup, iterations: number): Promise<void> {
  const { trainer, ref, images, cfg } = await build(s);
  try {
    const rng = Rng.fromSeed(s.seed + 2);
    const wantStats: IterationStats[] = [];
    for (let k = 0; k < iterations; k++) {
      const inputs = drawInputs(rng, s.nC, s.B, s.m.dz, s.nTrain);
      trainer.iteration(inputs);
      wantStats.push(refIteration(ref, inputs, images, cfg));
    }
    const stats = await trainer.readStats();
    expect(stats).toHaveLength(iterations);
    stats.forEach((st, k) => expectStatsClose(st, wantStats[k], 1e-4));
    const state = await trainer.getState();
    const g = worstTensorError(state.generator, netValues(ref.gen));
    const c = worstTensorError(state.critic, netValues(ref.critic));
    expect(g.worst, `generator ${g.name}`).toBeLessThanOrEqual(1e-4);
    expect(c.worst, `critic ${c.name}`).toBeLessThanOrEqual(1e-4);
    if (process.env.WGAN_VERBOSE)
      console.log(
        `errors: generator ${g.worst.toExponential(2)} (${g.name}), critic ${c.worst.toExponential(2)} (${c.name})`,
      );
    expect(state.criticOptimizer.step).toBe(iterations * s.nC);
    expect(state.generatorOptimizer.step).toBe(iterations);
    // Optimiser slots: v of the critic's first kernel, against the reference's.
    const v = state.criticOptimizer.slots.find((t) => t.name === '0.kernel/v')!;
    const vRef = ref.criticOpt.v.W[0];
    const vScale = Math.max(...vRef.map(Math.abs));
    expect(Math.max(...v.values.map((x, i) => Math.abs(x - vRef[i]))) / vScale).toBeLessThanOrEqual(1e-4);
  } finally {
    trainer.dispose();
  }
}

const tiny: Setup = { m: model(4, [8, 12], 16, [10, 6]), loss: 'gp', B: 8, nC: 5, nTrain: 40, seed: 100 };
// Sizes that cross tile edges, a batch that is not a power of two, three hidden critic layers.
const medium: Setup = { m: model(10, [33, 65], 70, [40, 24, 9]), loss: 'gp', B: 6, nC: 3, nTrain: 50, seed: 200 };

describe.skipIf(!device)('WebgpuFusedTrainer vs the float64 reference trainer', () => {
  it('one WGAN-GP iteration (G 4→8→12→16, D 16→10→6→1, B = 8, 5 critic steps): stats and weights to 1e-4', async () => {
    await compareRun(tiny, 1);
  });

  it('three WGAN-GP iterations', async () => {
    await compareRun(tiny, 3);
  });

  it('three iterations at sizes off the tile grid (G 10→33→65→70, D 70→40→24→9→1, B = 6)', async () => {
    await compareRun(medium, 3);
  });

  it('weight clipping with RMSprop: three iterations, clip fraction included', async () => {
    await compareRun({ ...tiny, loss: 'clip', seed: 300 }, 3);
  });
});

describe.skipIf(!device)('WebgpuFusedTrainer state, determinism and resources', () => {
  it('is deterministic: the same inputs give bit-identical weights', async () => {
    const a = await build(tiny);
    const b = await build(tiny);
    try {
      const rng = Rng.fromSeed(5);
      for (let k = 0; k < 2; k++) {
        const inputs = drawInputs(rng, tiny.nC, tiny.B, tiny.m.dz, tiny.nTrain);
        a.trainer.iteration(inputs);
        b.trainer.iteration(inputs);
      }
      const [sa, sb] = [await a.trainer.getState(), await b.trainer.getState()];
      for (const [name, v] of sa.critic)
        expect(Buffer.from(v.buffer).equals(Buffer.from(sb.critic.get(name)!.buffer)), name).toBe(true);
      for (const [name, v] of sa.generator)
        expect(Buffer.from(v.buffer).equals(Buffer.from(sb.generator.get(name)!.buffer)), name).toBe(true);
      expect(await a.trainer.readStats()).toEqual(await b.trainer.readStats());
    } finally {
      a.trainer.dispose();
      b.trainer.dispose();
    }
  });

  it('getState → setState on a fresh trainer resumes exactly (weights, slots and Adam step)', async () => {
    const a = await build(tiny);
    const rng = Rng.fromSeed(6);
    const inputs = [0, 1, 2].map(() => drawInputs(rng, tiny.nC, tiny.B, tiny.m.dz, tiny.nTrain));
    a.trainer.iteration(inputs[0]);
    const saved = await a.trainer.getState();
    expect(saved.criticOptimizer.slots.map((t) => t.name)).toEqual([
      '0.kernel/m',
      '0.bias/m',
      '2.kernel/m',
      '2.bias/m',
      '4.kernel/m',
      '4.bias/m',
      '0.kernel/v',
      '0.bias/v',
      '2.kernel/v',
      '2.bias/v',
      '4.kernel/v',
      '4.bias/v',
    ]);
    expect(saved.criticOptimizer.slots[0].shape).toEqual([16, 10]);
    a.trainer.iteration(inputs[1]);
    a.trainer.iteration(inputs[2]);
    const b = await build(tiny, saved);
    b.trainer.iteration(inputs[1]);
    b.trainer.iteration(inputs[2]);
    const [sa, sb] = [await a.trainer.getState(), await b.trainer.getState()];
    expect(sb.criticOptimizer.step).toBe(15);
    for (const [name, v] of sa.critic) expect(Array.from(sb.critic.get(name)!), name).toEqual(Array.from(v));
    for (const [name, v] of sa.generator) expect(Array.from(sb.generator.get(name)!), name).toEqual(Array.from(v));
    a.trainer.dispose();
    b.trainer.dispose();
  });

  it('generate(z, n) is G(z) of the current weights', async () => {
    const { trainer, ref } = await build(tiny);
    const n = 13;
    const z = Rng.fromSeed(8).fillNormal(new Float32Array(n * tiny.m.dz));
    const images = await trainer.generate(z, n);
    expect(images).toHaveLength(n * tiny.m.d);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const want = forward(ref.gen, z.subarray(i * tiny.m.dz, (i + 1) * tiny.m.dz)).out;
      for (let j = 0; j < tiny.m.d; j++) worst = Math.max(worst, Math.abs(images[i * tiny.m.d + j] - want[j]));
    }
    expect(worst).toBeLessThanOrEqual(1e-5);
    trainer.dispose();
  });

  it('frees what it makes: readbacks and generate leave the buffer count flat; dispose frees all', async () => {
    const { trainer } = await build(tiny);
    const rng = Rng.fromSeed(9);
    const before = trainer.liveBuffers;
    for (let k = 0; k < 3; k++) trainer.iteration(drawInputs(rng, tiny.nC, tiny.B, tiny.m.dz, tiny.nTrain));
    await trainer.readStats();
    await trainer.getState();
    await trainer.generate(new Float32Array(5 * tiny.m.dz), 5);
    expect(trainer.liveBuffers).toBe(before);
    trainer.dispose();
    expect(trainer.liveBuffers).toBe(0);
    expect(() => trainer.iteration(drawInputs(rng, tiny.nC, tiny.B, tiny.m.dz, tiny.nTrain))).toThrow(/after dispose/);
  });

  it('keeps the stats of more pending iterations than its initial ring holds, in order', async () => {
    const small: Setup = { m: model(2, [3], 4, [3]), loss: 'gp', B: 2, nC: 1, nTrain: 5, seed: 400 };
    const { trainer, ref, images, cfg } = await build(small);
    const rng = Rng.fromSeed(10);
    const want: IterationStats[] = [];
    for (let k = 0; k < 300; k++) {
      const inputs = drawInputs(rng, 1, 2, 2, 5);
      trainer.iteration(inputs);
      want.push(refIteration(ref, inputs, images, cfg));
    }
    const got = await trainer.readStats();
    expect(got).toHaveLength(300);
    for (const k of [0, 255, 256, 299]) expect(Math.abs(got[k].lossG - want[k].lossG)).toBeLessThanOrEqual(1e-3);
    expect(await trainer.readStats()).toEqual([]);
    trainer.dispose();
  });

  it('refuses what it cannot train, naming the input', async () => {
    const bad = {
      ...tiny.m.critic,
      layers: [...tiny.m.critic.layers.slice(0, 1), { type: 'tanh' as const }, ...tiny.m.critic.layers.slice(2)],
    };
    await expect(build({ ...tiny, m: { ...tiny.m, critic: bad } })).rejects.toMatchObject({
      message: 'critic layer 0 uses tanh',
      where: 'critic spec',
      hint: expect.stringMatching(/piecewise-linear/),
    });
    const conv = { ...tiny.m.critic, layers: [{ type: 'dropout' as const, rate: 0.1 }, ...tiny.m.critic.layers] };
    await expect(build({ ...tiny, m: { ...tiny.m, critic: conv } })).rejects.toThrow(PipelineError);
    const { trainer } = await build(tiny);
    const inputs = drawInputs(Rng.fromSeed(1), tiny.nC, tiny.B, tiny.m.dz, tiny.nTrain);
    inputs.indices[2][3] = tiny.nTrain;
    expect(() => trainer.iteration(inputs)).toThrow(/index 40 ≥ 40/);
    trainer.dispose();
  });
});
