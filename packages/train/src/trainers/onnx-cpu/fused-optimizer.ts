import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PipelineError } from '@wgan/core';
import type { OptimizerConfig } from '../../optimizers.js';
import { adamStepScalars } from './wgan-graph.js';

/**
 * The fused optimiser: packages/train/native/fused_optimizer.c, a Node-API addon that `npm ci` builds
 * (native/build.mjs runs node-gyp). It updates a parameter buffer and its slots in place in one pass (the
 * in-graph update is ~12 pointwise ONNX nodes per tensor, each a full pass over memory), with the same
 * float32 operations in the same order as the graph's nodes: both paths give the same weights bit for bit.
 * Where the addon did not build or does not load, the onnx-cpu trainer keeps the update in its graph.
 */
export interface FusedOptimizerAddon {
  adam(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    stepSize: number,
    epsHat: number,
    clip: number,
    threads: number,
  ): void;
  rmsprop(
    p: Float32Array,
    g: Float32Array,
    v: Float32Array,
    alpha: number,
    oneMinusAlpha: number,
    lr: number,
    eps: number,
    clip: number,
    threads: number,
  ): void;
  /** How many |p_i| equal c (rounded to float32). */
  countAtBound(p: Float32Array, c: number): number;
  /** The code path the CPU got: "x86-64-v4" (AVX-512), "x86-64-v3" (AVX2) or "baseline". */
  isa(): string;
  /** Detaches the array's ArrayBuffer: its memory is freed now, not at V8's next collection. */
  release(a: ArrayBufferView): void;
}

export type FusedOptimizerLoad = { addon: FusedOptimizerAddon; path: string } | { addon: null; reason: string };

/** Where native/build.mjs puts the addon (and, beside it, build/status.txt: why a build failed). */
export function fusedOptimizerPath(): string {
  return fileURLToPath(new URL('../../../native/build/Release/fused_optimizer.node', import.meta.url));
}

let loaded: FusedOptimizerLoad | null = null;

/** Loads the addon once; where it cannot, says why (the build's note when the build failed). */
export function loadFusedOptimizer(): FusedOptimizerLoad {
  if (loaded) return loaded;
  const path = fusedOptimizerPath();
  const buildNote = join(path, '../../status.txt');
  if (!existsSync(path)) {
    const note = existsSync(buildNote) ? readFileSync(buildNote, 'utf8').trim() : '';
    loaded = {
      addon: null,
      reason: `${path} is not built (${note || 'run `npm ci` or `node packages/train/native/build.mjs`'})`,
    };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as FusedOptimizerAddon;
    loaded = { addon, path };
  } catch (e) {
    loaded = { addon: null, reason: `${path} does not load: ${(e as Error).message.split('\n')[0]}` };
  }
  return loaded;
}

/**
 * One optimiser update at step t (1-based) of a flat parameter buffer `p` with gradient `g` and slots
 * (`m`, `v` for Adam, `v` for RMSprop), in place, then clipped to [−clip, clip] when clip > 0. The
 * scalars are the graph's: Adam's bias corrections folded into stepSize and ε̂ (adamStepScalars).
 */
export function fusedUpdate(
  addon: FusedOptimizerAddon,
  opt: OptimizerConfig,
  t: number,
  bufs: { p: Float32Array; g: Float32Array; m?: Float32Array; v: Float32Array },
  clip: number,
  threads: number,
): void {
  if (opt.type === 'adam') {
    const { stepSize, epsHat } = adamStepScalars(opt, t);
    addon.adam(
      bufs.p,
      bufs.g,
      bufs.m as Float32Array,
      bufs.v,
      opt.beta1,
      1 - opt.beta1,
      opt.beta2,
      1 - opt.beta2,
      stepSize,
      epsHat,
      clip,
      threads,
    );
  } else {
    addon.rmsprop(bufs.p, bufs.g, bufs.v, opt.alpha, 1 - opt.alpha, opt.lr, opt.eps, clip, threads);
  }
}

/**
 * The optimiser path for a request: `graph` never loads the addon; `fused` needs it (a PipelineError naming
 * the reason where it does not load); `auto` takes it where it loads, else falls back with the reason.
 */
export function chooseOptimizerPath(
  requested: 'auto' | 'fused' | 'graph',
  load: () => FusedOptimizerLoad = loadFusedOptimizer,
): { addon: FusedOptimizerAddon | null; fallback?: string } {
  if (requested === 'graph') return { addon: null };
  const loaded = load();
  if (loaded.addon) return { addon: loaded.addon };
  if (requested === 'fused')
    throw new PipelineError(
      `the fused optimiser is not available: ${loaded.reason}`,
      'onnx optimizer',
      'build it with `node packages/train/native/build.mjs` (needs a C compiler), or use --onnx-optimizer graph',
    );
  return { addon: null, fallback: loaded.reason };
}
