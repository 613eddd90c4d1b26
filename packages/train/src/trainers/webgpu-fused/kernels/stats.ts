import { packStruct, structWgsl, workgroupSumWgsl, type KernelSource } from './common.js';

/**
 * The iteration's statistics, reduced on the GPU by one workgroup into 8 floats (STAT_FIELDS order):
 *
 *   lossD        mean over critic steps c of  mean D(x̃) − mean D(x) + mean_i penᵢ
 *   lossG        −mean D(G(z_gen))
 *   dReal/dFake  mean D(x), mean D(x̃) of the last critic step
 *   gp           mean over c of mean_i penᵢ  (penᵢ = λ(‖gᵢ‖ − 1)²)
 *   gradNormMean/Std  of the last step's ‖gᵢ‖ (population std, E6's estimator; host makes it NaN for B = 1)
 *   clipFraction clipCount / nClipParams
 *
 * Layout of the inputs: dOut holds the critic step c's outputs at c·rows (real rows first, then fake),
 * the generator step's at genOffset; rowStats holds step c's norms at c·2B and penalties at c·2B + B.
 * Fields that do not apply to the loss (gp for clipping, clipFraction for GP) are set by the host.
 */
export const STATS_FIELDS = [
  ['nCritic', 'u32'],
  ['B', 'u32'],
  ['rows', 'u32'],
  ['gp', 'u32'],
  ['genOffset', 'u32'],
  ['nClipParams', 'u32'],
] as const;

export function statsUniform(p: Record<(typeof STATS_FIELDS)[number][0], number>): ArrayBuffer {
  return packStruct(STATS_FIELDS, p);
}

export function statsKernel(workgroupSize: number): KernelSource {
  const code = `
${structWgsl('Params', STATS_FIELDS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dOut: array<f32>;
@group(0) @binding(2) var<storage, read> rowStats: array<f32>;
@group(0) @binding(3) var<storage, read> clipCount: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const WG = ${workgroupSize}u;
${workgroupSumWgsl(workgroupSize)}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let B = p.B;
  let fb = f32(B);
  var lossD = 0.0;
  var gpSum = 0.0;
  var dReal = 0.0;
  var dFake = 0.0;
  for (var c = 0u; c < p.nCritic; c = c + 1u) {
    var sr = 0.0;
    var sf = 0.0;
    var sp = 0.0;
    for (var i = t; i < B; i = i + WG) {
      sr = sr + dOut[c * p.rows + i];
      sf = sf + dOut[c * p.rows + B + i];
      if (p.gp == 1u) { sp = sp + rowStats[c * 2u * B + B + i]; }
    }
    dReal = workgroupSum(sr, t) / fb;
    dFake = workgroupSum(sf, t) / fb;
    let pen = workgroupSum(sp, t) / fb;
    lossD = lossD + (dFake - dReal + pen);
    gpSum = gpSum + pen;
  }
  var sg = 0.0;
  for (var i = t; i < B; i = i + WG) { sg = sg + dOut[p.genOffset + i]; }
  let lossG = -workgroupSum(sg, t) / fb;
  let last = (p.nCritic - 1u) * 2u * B;
  var sn = 0.0;
  for (var i = t; i < B; i = i + WG) { sn = sn + rowStats[last + i]; }
  let normMean = workgroupSum(sn, t) / fb;
  var sd = 0.0;
  for (var i = t; i < B; i = i + WG) { let dev = rowStats[last + i] - normMean; sd = sd + dev * dev; }
  let normVar = workgroupSum(sd, t) / fb;
  if (t == 0u) {
    let nc = f32(p.nCritic);
    out[0] = lossD / nc;
    out[1] = lossG;
    out[2] = dReal;
    out[3] = dFake;
    out[4] = gpSum / nc;
    out[5] = normMean;
    out[6] = sqrt(normVar);
    out[7] = f32(clipCount[0]) / f32(max(p.nClipParams, 1u));
  }
}
`;
  return {
    kind: 'stats',
    label: `stats-wg${workgroupSize}`,
    code,
    bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'storage'],
  };
}
