import { packStruct, structWgsl, type KernelSource } from './common.js';

/**
 * One optimiser update over every parameter of a network (one flat buffer), PyTorch's formulas:
 *
 *   Adam:     m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
 *             p ← p − stepSize · m / (√v / √(1 − β₂ᵗ) + eps),   stepSize = lr / (1 − β₁ᵗ)
 *   RMSprop:  v ← αv + (1 − α)g²;  p ← p − lr · g / (√v + eps)
 *   clip:     p ← clamp(p, −c, c) afterwards (WGAN weight clipping); when `countClip` = 1 the number of
 *             parameters with |p| = c is added to clipCount[0] (zeroed by the host each iteration).
 *
 * The per-step scalars are 8 floats at `schedule` in the iteration's input buffer, computed on the host
 * in float64 as PyTorch does (1 − β too: 1 − f32(0.99) is not f32(0.01)), so one pipeline serves every
 * step and hyper-parameters can change without recompiling:
 *   Adam entry:    [stepSize, √(1 − β₂ᵗ), β₁, 1 − β₁, β₂, 1 − β₂, eps, clip]
 *   RMSprop entry: [lr, α, 1 − α, eps, clip, 0, 0, 0]
 */
export const OPTIMIZER_FIELDS = [
  ['n', 'u32'],
  ['schedule', 'u32'],
  ['countClip', 'u32'],
] as const;

export function optimizerUniform(p: Record<(typeof OPTIMIZER_FIELDS)[number][0], number>): ArrayBuffer {
  return packStruct(OPTIMIZER_FIELDS, p);
}

export type OptimizerKind = 'adam' | 'rmsprop';

export function optimizerKernel(kind: OptimizerKind, clip: boolean, workgroupSize: number): KernelSource {
  const adam = kind === 'adam';
  const bindings: KernelSource['bindings'] = [
    'uniform',
    'storage',
    'read-only-storage',
    'read-only-storage',
    'storage',
  ];
  if (adam) bindings.push('storage');
  if (clip) bindings.push('storage');
  const vBinding = adam ? 5 : 4;
  const clipBinding = bindings.length - 1;
  const update = adam
    ? `let stepSize = s[p.schedule]; let bc2sqrt = s[p.schedule + 1u];
    let beta1 = s[p.schedule + 2u]; let oneMinusBeta1 = s[p.schedule + 3u];
    let beta2 = s[p.schedule + 4u]; let oneMinusBeta2 = s[p.schedule + 5u]; let eps = s[p.schedule + 6u];
    let mi = beta1 * m[i] + oneMinusBeta1 * g;
    let vi = beta2 * v[i] + oneMinusBeta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    w = w - stepSize * mi / (sqrt(vi) / bc2sqrt + eps);`
    : `let lr = s[p.schedule]; let alpha = s[p.schedule + 1u]; let oneMinusAlpha = s[p.schedule + 2u];
    let eps = s[p.schedule + 3u];
    let vi = alpha * v[i] + oneMinusAlpha * g * g;
    v[i] = vi;
    w = w - lr * g / (sqrt(vi) + eps);`;
  const clipIndex = adam ? 7 : 4;
  const code = `
${structWgsl('Params', OPTIMIZER_FIELDS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read> s: array<f32>;
${adam ? '@group(0) @binding(4) var<storage, read_write> m: array<f32>;' : ''}
@group(0) @binding(${vBinding}) var<storage, read_write> v: array<f32>;
${clip ? `@group(0) @binding(${clipBinding}) var<storage, read_write> clipCount: array<atomic<u32>>;\nvar<workgroup> wgCount: atomic<u32>;` : ''}

@compute @workgroup_size(${workgroupSize})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * ${workgroupSize}u + lid.x;
  if (i < p.n) {
    let g = grads[i];
    var w = params[i];
    ${update}
${
  clip
    ? `    let c = s[p.schedule + ${clipIndex}u];
    w = clamp(w, -c, c);
    if (p.countClip == 1u && abs(w) >= c) { atomicAdd(&wgCount, 1u); }`
    : ''
}
    params[i] = w;
  }
${
  clip
    ? `  workgroupBarrier();
  if (lid.x == 0u && p.countClip == 1u) { atomicAdd(&clipCount[0], atomicLoad(&wgCount)); }`
    : ''
}
}
`;
  return { kind: kind, label: `${kind}${clip ? '-clip' : ''}-wg${workgroupSize}`, code, bindings };
}
