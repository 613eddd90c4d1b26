import { packStruct, structWgsl, workgroupSumWgsl, type KernelSource } from './common.js';

/**
 * The gradient penalty's row kernel (one workgroup per interpolate i):
 *
 *   gᵢ = ∇ₓD(x̂ᵢ)           (input: the B × dim input gradients, from the backward pass)
 *   nᵢ = ‖gᵢ‖₂
 *   penᵢ = λ (nᵢ − 1)²       (the λ-weighted penalty term; the loss takes its mean over i)
 *   Gᵢ = ∂(mean_i penᵢ)/∂gᵢ = (2λ / B)(nᵢ − 1) gᵢ / nᵢ   (0 where nᵢ = 0, as torch's norm backward)
 *
 * Writes Gᵢ to `out` (the interpolate rows of the critic batch, no longer needed after the forward pass;
 * the weight-gradient products then read them as the penalty's upstream rows) and nᵢ, penᵢ to
 * `rowStats` at statsOffset + i and statsOffset + B + i.
 */
export const PENALTY_FIELDS = [
  ['B', 'u32'],
  ['dim', 'u32'],
  ['gOffset', 'u32'],
  ['outOffset', 'u32'],
  ['statsOffset', 'u32'],
  ['lambda', 'f32'],
] as const;

export function penaltyUniform(p: Record<(typeof PENALTY_FIELDS)[number][0], number>): ArrayBuffer {
  return packStruct(PENALTY_FIELDS, p);
}

export function penaltyKernel(workgroupSize: number): KernelSource {
  const code = `
${structWgsl('Params', PENALTY_FIELDS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gx: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> rowStats: array<f32>;

const WG = ${workgroupSize}u;
${workgroupSumWgsl(workgroupSize)}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = wid.x;
  let row = p.gOffset + i * p.dim;
  var s = 0.0;
  for (var j = lid.x; j < p.dim; j = j + WG) {
    let g = gx[row + j];
    s = fma(g, g, s);
  }
  let norm = sqrt(workgroupSum(s, lid.x));
  let coef = select(0.0, 2.0 * p.lambda / f32(p.B) * (norm - 1.0) / norm, norm > 0.0);
  let dst = p.outOffset + i * p.dim;
  for (var j = lid.x; j < p.dim; j = j + WG) {
    out[dst + j] = coef * gx[row + j];
  }
  if (lid.x == 0u) {
    rowStats[p.statsOffset + i] = norm;
    rowStats[p.statsOffset + p.B + i] = p.lambda * (norm - 1.0) * (norm - 1.0);
  }
}
`;
  return {
    kind: 'penalty',
    label: `penalty-wg${workgroupSize}`,
    code,
    bindings: ['uniform', 'read-only-storage', 'storage', 'storage'],
  };
}
