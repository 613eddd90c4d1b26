import { packStruct, structWgsl, type KernelSource } from './common.js';

/**
 * Builds the critic's batch in place, one thread per (row i, feature j) of B × dim:
 *
 *   real row i        x3[i]            = train[indices[i]]
 *   interpolate row i x3[interp + i]   = εᵢ · x3[i] + (1 − εᵢ) · x3[fake + i]   (when `interp` = 1)
 *
 * The fake rows were written by the generator's last layer. The training set may span several buffers
 * (a storage binding holds at most maxStorageBufferBindingSize bytes): one dispatch per chunk, each
 * handling the rows whose index falls in [rowBase, rowBase + rowCount). Indices and ε are read from the
 * iteration's input buffer (bound twice: as u32 and as f32).
 */
export const GATHER_FIELDS = [
  ['B', 'u32'],
  ['dim', 'u32'],
  ['idxOffset', 'u32'],
  ['epsOffset', 'u32'],
  ['rowBase', 'u32'],
  ['rowCount', 'u32'],
  ['fakeOffset', 'u32'],
  ['interpOffset', 'u32'],
  ['interp', 'u32'],
] as const;

export function gatherUniform(p: Record<(typeof GATHER_FIELDS)[number][0], number>): ArrayBuffer {
  return packStruct(GATHER_FIELDS, p);
}

export function gatherKernel(workgroupSize: number): KernelSource {
  const code = `
${structWgsl('Params', GATHER_FIELDS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> train: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<u32>;
@group(0) @binding(3) var<storage, read> inputs: array<f32>;
@group(0) @binding(4) var<storage, read_write> x3: array<f32>;

@compute @workgroup_size(${workgroupSize})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = (wid.y * nwg.x + wid.x) * ${workgroupSize}u + lid.x;
  if (t >= p.B * p.dim) { return; }
  let i = t / p.dim;
  let j = t % p.dim;
  let r = indices[p.idxOffset + i];
  if (r < p.rowBase || r >= p.rowBase + p.rowCount) { return; }
  let x = train[(r - p.rowBase) * p.dim + j];
  x3[t] = x;
  if (p.interp == 1u) {
    let e = inputs[p.epsOffset + i];
    x3[p.interpOffset + t] = e * x + (1.0 - e) * x3[p.fakeOffset + t];
  }
}
`;
  return {
    kind: 'gather',
    label: `gather-wg${workgroupSize}`,
    code,
    bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'storage'],
  };
}
