import { describe, expect, it } from 'vitest';
import { PipelineError, Rng } from '@wgan/core';
import { denseStack } from '../../models/architectures.js';
import { denseChain } from '../../models/dense-chain.js';
import { initialValues } from '../../models/network.js';
import type { NetworkSpec } from '../../models/spec.js';
import { optimizerStep, refNet, zeroGrads, type RefOptimizer } from '../../testing/reference.js';
import { chooseOptimizerPath, fusedUpdate, loadFusedOptimizer } from './fused-optimizer.js';

/**
 * The native fused optimiser against the float64 reference's PyTorch formulas (testing/reference.ts) on a
 * tiny network, several steps; and the choice of the optimiser path when the addon is missing.
 */
const loaded = loadFusedOptimizer();
if (!loaded.addon) console.log(`fused optimiser tests skipped: ${loaded.reason}`);

const spec: NetworkSpec = {
  role: 'critic',
  inputSize: 5,
  outputSize: 1,
  layers: denseStack([5, 3, 1], { type: 'leakyRelu', alpha: 0.2 }, null),
  init: { scheme: 'torch-default' },
};

function compare(opt: RefOptimizer, clip: number, steps: number) {
  const addon = loaded.addon!;
  const chain = denseChain(spec);
  const values = initialValues(spec, Rng.fromSeed(3));
  const net = refNet(spec, values);
  const state = { step: 0, m: zeroGrads(net), v: zeroGrads(net) };
  const n = chain.size;
  const p = new Float32Array(n);
  for (const q of chain.params) p.set(values.get(q.name)!, q.offset);
  const [g, m, v] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  const rng = Rng.fromSeed(7);
  for (let t = 1; t <= steps; t++) {
    rng.fillNormal(g, 0, 0.5);
    const grads = zeroGrads(net);
    // the same float32 gradient to both: flat [W0, b0, W1, b1] (the chain's layout) into the reference's arrays
    net.forEach((L, l) => {
      const [w, b] = [chain.params[2 * l], chain.params[2 * l + 1]];
      grads.W[l].set(g.subarray(w.offset, w.offset + L.W.length));
      grads.b[l].set(g.subarray(b.offset, b.offset + L.b.length));
    });
    optimizerStep(net, grads, opt, state, clip);
    fusedUpdate(addon, opt, t, { p, g, m: opt.type === 'adam' ? m : undefined, v }, clip, 1);
  }
  const flat = (arrays: (l: number) => [Float64Array, Float64Array]) => {
    const out = new Float64Array(n);
    net.forEach((_, l) => {
      const [w, b] = arrays(l);
      out.set(w, chain.params[2 * l].offset);
      out.set(b, chain.params[2 * l + 1].offset);
    });
    return out;
  };
  const maxDiff = (a: Float32Array, b: Float64Array) => a.reduce((mx, x, i) => Math.max(mx, Math.abs(x - b[i])), 0);
  const refP = flat((l) => [net[l].W, net[l].b]);
  expect(maxDiff(p, refP)).toBeLessThan(2e-6);
  expect(
    maxDiff(
      v,
      flat((l) => [state.v.W[l], state.v.b[l]]),
    ),
  ).toBeLessThan(1e-6);
  if (opt.type === 'adam')
    expect(
      maxDiff(
        m,
        flat((l) => [state.m.W[l], state.m.b[l]]),
      ),
    ).toBeLessThan(1e-6);
  // the update moved every weight (a no-op addon would not pass)
  const p0 = new Float32Array(n);
  for (const q of chain.params) p0.set(values.get(q.name)!, q.offset);
  expect(p.every((x, i) => x !== p0[i])).toBe(true);
  if (clip > 0) {
    expect(p.every((x) => Math.abs(x) <= Math.fround(clip))).toBe(true);
    expect(addon.countAtBound(p, clip)).toBe(p.filter((x) => Math.abs(x) === Math.fround(clip)).length);
    expect(addon.countAtBound(p, clip)).toBeGreaterThan(0);
  }
}

describe.skipIf(!loaded.addon)('fused optimiser (native addon) vs the float64 reference', () => {
  it('Adam, β1 = 0.5: 6 steps', () => compare({ type: 'adam', lr: 1e-2, beta1: 0.5, beta2: 0.9, eps: 1e-3 }, 0, 6));
  it('Adam, β1 = 0 (no first moment): 4 steps', () =>
    compare({ type: 'adam', lr: 1e-2, beta1: 0, beta2: 0.99, eps: 1e-8 }, 0, 4));
  it('RMSprop with clipping at c = 0.1: 6 steps, some weights at the bound', () =>
    compare({ type: 'rmsprop', lr: 5e-2, alpha: 0.99, eps: 1e-8 }, 0.1, 6));
  it('splits a large buffer across threads with the same result as one thread', () => {
    const addon = loaded.addon!;
    const n = 300_001;
    const rng = Rng.fromSeed(1);
    const g = rng.fillNormal(new Float32Array(n));
    const p0 = rng.fillNormal(new Float32Array(n));
    const run = (threads: number) => {
      const [p, m, v] = [Float32Array.from(p0), new Float32Array(n), new Float32Array(n)];
      for (let t = 1; t <= 3; t++) addon.adam(p, g, m, v, 0.5, 0.5, 0.9, 0.1, 1e-3, 1e-8, 0, threads);
      return p;
    };
    const one = run(1);
    const three = run(3);
    expect(three.filter((x, i) => x !== one[i]).length).toBe(0);
    expect(one[n - 1]).not.toBe(p0[n - 1]);
  });
  it('release frees an array at once (its buffer detached) and leaves other arrays alone', () => {
    const addon = loaded.addon!;
    const copy = new Float32Array(1 << 20).fill(1);
    const kept = new Float32Array(16).fill(2);
    addon.release(copy);
    expect(copy.length).toBe(0);
    expect(copy.buffer.byteLength).toBe(0);
    expect([...kept]).toEqual(new Array(16).fill(2));
    expect(() => addon.release(42 as unknown as Float32Array)).toThrow(/TypedArray/);
  });

  it('rejects arguments of the wrong type or length', () => {
    const addon = loaded.addon!;
    const a = new Float32Array(4);
    expect(() => addon.adam(a, a, a, new Float32Array(3), 0.5, 0.5, 0.9, 0.1, 1, 1, 0, 1)).toThrow(/one length/);
    expect(() => addon.rmsprop(a, new Float64Array(4) as never, a, 0.9, 0.1, 1, 1, 0, 1)).toThrow(/Float32Array/);
  });
});

describe('choice of the optimiser path', () => {
  const missing = () => ({ addon: null, reason: 'fused_optimizer.node is not built (no compiler)' });
  it('auto falls back to the in-graph optimiser and says why', () => {
    expect(chooseOptimizerPath('auto', missing)).toEqual({
      addon: null,
      fallback: 'fused_optimizer.node is not built (no compiler)',
    });
  });
  it('fused without the addon is a PipelineError naming the reason', () => {
    expect(() => chooseOptimizerPath('fused', missing)).toThrow(PipelineError);
    expect(() => chooseOptimizerPath('fused', missing)).toThrow(/no compiler/);
  });
  it('graph does not load the addon', () => {
    expect(
      chooseOptimizerPath('graph', () => {
        throw new Error('loaded');
      }),
    ).toEqual({ addon: null });
  });
});
