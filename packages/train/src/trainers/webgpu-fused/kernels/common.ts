/**
 * Pieces shared by the WGSL kernels: a kernel's source and binding list, uniform structs generated from
 * one field list (so the WGSL struct and the bytes the host packs can never disagree), pointwise
 * activations and their derivatives, and 2-D grids for 1-D work larger than 65 535 workgroups.
 */

/** How a kernel binds one resource, in binding order (binding 0, 1, ...). */
export type BindingKind = 'uniform' | 'storage' | 'read-only-storage';

/** A compiled-on-demand kernel: WGSL text plus the bind group layout it expects (group 0). */
export interface KernelSource {
  /** The kernel class, for dispatch counts ("matmul", "adam", ...). */
  kind: string;
  /** A unique name of this variant (the pipeline cache key together with the code). */
  label: string;
  code: string;
  bindings: BindingKind[];
}

export type FieldType = 'u32' | 'f32';
export type StructFields = readonly (readonly [string, FieldType])[];

/** Uniform structs are padded to 16 bytes (the uniform address space's alignment rule). */
function padded(fields: StructFields): StructFields {
  const out = [...fields];
  for (let i = 0; out.length % 4 !== 0; i++) out.push([`_pad${i}`, 'u32']);
  return out;
}

/** `struct Name { a: u32, b: f32, ... }` for a uniform. */
export function structWgsl(name: string, fields: StructFields): string {
  return `struct ${name} {\n${padded(fields)
    .map(([n, t]) => `  ${n}: ${t},`)
    .join('\n')}\n}`;
}

/** The bytes of a uniform struct; every field must be given (a missing one is a bug, not a zero). */
export function packStruct(fields: StructFields, values: Record<string, number>): ArrayBuffer {
  const all = padded(fields);
  const buf = new ArrayBuffer(all.length * 4);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  all.forEach(([n, t], i) => {
    if (n.startsWith('_pad')) return;
    const v = values[n];
    if (v === undefined || !Number.isFinite(v)) throw new Error(`uniform field ${n} is ${v}`);
    if (t === 'u32') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`uniform field ${n} = ${v} is not a u32`);
      u[i] = v;
    } else {
      f[i] = v;
    }
  });
  return buf;
}

/** Pointwise activations of a dense chain (LayerSpec types, plus 'none'). */
export type { ActivationKind } from '../../../models/dense-chain.js';
import type { ActivationKind } from '../../../models/dense-chain.js';

/**
 * `fn NAME(x: f32, alpha: f32) -> f32`: the activation, PyTorch's definitions. tanh and sigmoid use the
 * forms that cannot overflow (WGSL lets implementations assume no infinities or NaNs).
 */
export function activationWgsl(kind: ActivationKind, name: string): string {
  const body: Record<ActivationKind, string> = {
    none: 'return x;',
    leakyRelu: 'return select(x * alpha, x, x > 0.0);',
    relu: 'return max(x, 0.0);',
    tanh: 'let e = exp(-2.0 * abs(x));\n  return sign(x) * (1.0 - e) / (1.0 + e);',
    sigmoid: 'let e = exp(-abs(x));\n  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);',
  };
  return `fn ${name}(x: f32, alpha: f32) -> f32 {\n  ${body[kind]}\n}`;
}

/**
 * `fn NAME(y: f32, alpha: f32) -> f32`: the activation's derivative written in terms of its OUTPUT y, so
 * the backward pass needs only the stored activations. LeakyReLU: y > 0 ⇔ h > 0 for α ≥ 0, and
 * PyTorch's backward uses α at h = 0; ReLU: 1 where y > 0; tanh: 1 − y²; sigmoid: y(1 − y).
 */
export function activationGradWgsl(kind: ActivationKind, name: string): string {
  const body: Record<ActivationKind, string> = {
    none: 'return 1.0;',
    leakyRelu: 'return select(alpha, 1.0, y > 0.0);',
    relu: 'return select(0.0, 1.0, y > 0.0);',
    tanh: 'return 1.0 - y * y;',
    sigmoid: 'return y * (1.0 - y);',
  };
  return `fn ${name}(y: f32, alpha: f32) -> f32 {\n  ${body[kind]}\n}`;
}

/**
 * Workgroup counts for `total` workgroups of 1-D work: [x, y] with x ≤ maxPerDim. Kernels recover the
 * flat workgroup index as `wid.y * nwg.x + wid.x` and skip the overhang.
 */
export function grid2d(total: number, maxPerDim: number): [number, number] {
  if (total <= maxPerDim) return [Math.max(1, total), 1];
  const y = Math.ceil(total / maxPerDim);
  if (y > maxPerDim) throw new Error(`${total} workgroups exceed the device's ${maxPerDim}² grid`);
  return [Math.ceil(total / y), y];
}

/**
 * `fn workgroupSum(x: f32, t: u32) -> f32`: the sum of x over the workgroup's `size` threads (a power of
 * two), returned to every thread; call it in uniform control flow. The total is broadcast through its
 * own workgroup variable between two barriers: reading the reduction slot directly and reusing it in
 * the next call was mis-ordered by Mesa's GLES compiler (llvmpipe), although valid WGSL.
 */
export function workgroupSumWgsl(size: number): string {
  if (size & (size - 1)) throw new Error(`workgroup size ${size} is not a power of two`);
  return `
var<workgroup> sumSlots: array<f32, ${size}>;
var<workgroup> sumResult: f32;

fn workgroupSum(x: f32, t: u32) -> f32 {
  sumSlots[t] = x;
  workgroupBarrier();
  for (var half = ${size / 2}u; half > 0u; half = half / 2u) {
    if (t < half) { sumSlots[t] = sumSlots[t] + sumSlots[t + half]; }
    workgroupBarrier();
  }
  if (t == 0u) { sumResult = sumSlots[0]; }
  workgroupBarrier();
  let total = sumResult;
  workgroupBarrier();
  return total;
}`;
}
