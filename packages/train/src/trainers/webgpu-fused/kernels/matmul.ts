import {
  activationGradWgsl,
  activationWgsl,
  packStruct,
  structWgsl,
  type ActivationKind,
  type KernelSource,
} from './common.js';

/**
 * Tiled matrix product with fused prologue/epilogue, the one kernel every dense layer's forward and
 * backward pass is made of:
 *
 *   C[M, N] = epilogue( op(A)[M, K] · op(B)[K, N] )
 *
 * - `transA`: A is stored [K, M] (row-major), so the product is Aᵀ·B without a transpose — the weight
 *   gradient dW = Xᵀ·dH of a layer whose input rows X [rows, in] are stored row-major.
 * - `transB`: B is stored [N, K] — the backward-data product dH·Wᵀ with W stored [in, out].
 * - `bias` + `activation` (forward): C = act(A·W + b), b read from the B buffer (the flat parameter
 *   buffer) at `biasOffset`.
 * - `mask` (backward): C = act'(Y) ⊙ (A·B) with Y the stored activation of the layer, read from a
 *   separate buffer ('buffer') or from C itself ('inPlace': each element is read then overwritten by
 *   the one thread that owns it).
 * - `biasRow` (with transA): the output has one extra last row, row M−1 = Σ_{k < biasRows} B[k, :], the
 *   bias gradient. A layer's kernel [in, out] is followed by its bias [out] in the flat buffers, so a
 *   [(in + 1), out] product writes the whole gradient of the layer in one dispatch. The sum is taken in
 *   pairs (k, k + biasRows/2) — for the critic the (real i, fake i) pairs — so that deltas that are exact
 *   negatives (a unit whose slope is the same on both rows) cancel exactly, as in exact arithmetic and in
 *   PyTorch's two separate means; summed in row order they leave ~1e-9 of rounding noise that Adam's
 *   normalisation turns into steps of ~0.1·lr on a parameter whose gradient is 0.
 *
 * Every operand is (buffer, element offset, leading dimension), so row blocks of a stacked batch are
 * addressed without copies or 256-byte-aligned binding offsets.
 *
 * Tiling: a workgroup of WX × WY threads computes a TM × TN = (WY·RM) × (WX·RN) block of C, staging
 * TK-deep slices of A and B in workgroup memory; thread (tx, ty) owns rows ty + i·WY and columns
 * tx + j·WX (i < RM, j < RN), so stores are coalesced along N and workgroup-memory reads broadcast.
 */
export interface TileConfig {
  wx: number;
  wy: number;
  rm: number;
  rn: number;
  tk: number;
}

export type MaskMode = 'none' | 'buffer' | 'inPlace';

export interface MatmulVariant {
  transA: boolean;
  transB: boolean;
  bias: boolean;
  activation: ActivationKind;
  mask: MaskMode;
  maskActivation: ActivationKind;
  biasRow: boolean;
  tile: TileConfig;
}

export const MATMUL_FIELDS = [
  ['M', 'u32'],
  ['N', 'u32'],
  ['K', 'u32'],
  ['aOffset', 'u32'],
  ['lda', 'u32'],
  ['bOffset', 'u32'],
  ['ldb', 'u32'],
  ['cOffset', 'u32'],
  ['ldc', 'u32'],
  ['biasOffset', 'u32'],
  ['maskOffset', 'u32'],
  ['ldm', 'u32'],
  ['biasRows', 'u32'],
  ['alpha', 'f32'],
] as const;

export type MatmulParams = Record<(typeof MATMUL_FIELDS)[number][0], number>;

export function matmulUniform(p: MatmulParams): ArrayBuffer {
  return packStruct(MATMUL_FIELDS, p);
}

export function tileRows(t: TileConfig): number {
  return t.wy * t.rm;
}
export function tileCols(t: TileConfig): number {
  return t.wx * t.rn;
}

/** Workgroups [x, y, 1] for an M × N output. */
export function matmulWorkgroups(tile: TileConfig, M: number, N: number): [number, number, number] {
  return [Math.ceil(N / tileCols(tile)), Math.ceil(M / tileRows(tile)), 1];
}

export function variantLabel(v: MatmulVariant): string {
  const t = v.tile;
  return [
    'matmul',
    v.transA ? 'T' : 'N',
    v.transB ? 'T' : 'N',
    v.bias ? `bias-${v.activation}` : v.activation !== 'none' ? v.activation : '',
    v.mask !== 'none' ? `mask-${v.mask}-${v.maskActivation}` : '',
    v.biasRow ? 'biasrow' : '',
    `${t.wx}x${t.wy}.${t.rm}x${t.rn}.k${t.tk}`,
  ]
    .filter(Boolean)
    .join('-');
}

export function matmulKernel(v: MatmulVariant): KernelSource {
  const { wx, wy, rm, rn, tk } = v.tile;
  if (v.biasRow && !v.transA) throw new Error('matmul: biasRow needs transA (it is the bias gradient of Aᵀ·B)');
  const tm = wy * rm;
  const tn = wx * rn;
  const bindings: KernelSource['bindings'] = ['uniform', 'read-only-storage', 'read-only-storage', 'storage'];
  if (v.mask === 'buffer') bindings.push('read-only-storage');

  // A (logical [M, K]): stored [M, K] (contiguous along k) or [K, M] (contiguous along m).
  const aIndex = v.transA ? 'p.aOffset + k * p.lda + m' : 'p.aOffset + m * p.lda + k';
  const aBiasRow = v.biasRow ? `  if (m == p.M - 1u) { return 0.0; } // the bias row is summed in the epilogue\n` : '';
  // B (logical [K, N]): stored [K, N] (contiguous along n) or [N, K] (contiguous along k).
  const bIndex = v.transB ? 'p.bOffset + n * p.ldb + k' : 'p.bOffset + k * p.ldb + n';
  // Cooperative tile loads: consecutive threads take consecutive addresses of the stored layout.
  const aLoad = v.transA ? `let kk = e / TM; let mm = e % TM;` : `let mm = e / TK; let kk = e % TK;`;
  const bLoad = v.transB ? `let nn = e / TK; let kk = e % TK;` : `let kk = e / TN; let nn = e % TN;`;

  const epilogue = (i: number, j: number): string => {
    const lines: string[] = [`var v = acc_${i}_${j};`];
    if (v.biasRow) {
      const at = (k: string) => (v.transB ? `b[p.bOffset + n * p.ldb + ${k}]` : `b[p.bOffset + (${k}) * p.ldb + n]`);
      lines.push(
        'if (m == p.M - 1u) {',
        '  let half = p.biasRows / 2u;',
        '  v = 0.0;',
        `  for (var k = 0u; k < half; k = k + 1u) { v = v + (${at('k')} + ${at('k + half')}); }`,
        `  if (p.biasRows % 2u == 1u) { v = v + ${at('p.biasRows - 1u')}; }`,
        '}',
      );
    }
    if (v.bias) lines.push('v = v + b[p.biasOffset + n];');
    if (v.activation !== 'none') lines.push('v = act(v, p.alpha);');
    const cIndex = 'p.cOffset + m * p.ldc + n';
    if (v.mask === 'buffer') lines.push('v = v * actGrad(mask[p.maskOffset + m * p.ldm + n], p.alpha);');
    if (v.mask === 'inPlace') lines.push(`v = v * actGrad(c[${cIndex}], p.alpha);`);
    lines.push(`c[${cIndex}] = v;`);
    return lines.join('\n      ');
  };

  // Straight-line register code: RM·RN scalar accumulators, no locally indexed arrays (which some
  // shader compilers keep in memory).
  const rows = Array.from({ length: rm }, (_, i) => i);
  const cols = Array.from({ length: rn }, (_, j) => j);
  const accDecl = rows.flatMap((i) => cols.map((j) => `var acc_${i}_${j} = 0.0;`)).join('\n  ');
  const aRegs = rows.map((i) => `let a${i} = As[kk * TM + lid.y + ${i * wy}u];`).join('\n      ');
  const bRegs = cols.map((j) => `let b${j} = Bs[kk * TN + lid.x + ${j * wx}u];`).join('\n      ');
  const fmas = rows
    .flatMap((i) => cols.map((j) => `acc_${i}_${j} = fma(a${i}, b${j}, acc_${i}_${j});`))
    .join('\n      ');
  const stores = rows
    .map((i) => {
      const inner = cols
        .map(
          (j) =>
            `  {\n    let n = n0 + lid.x + ${j * wx}u;\n    if (m < ` +
            `p.M && n < p.N) {\n      ${epilogue(i, j)}\n    }\n  }`,
        )
        .join('\n');
      return `{\n  let m = m0 + lid.y + ${i * wy}u;\n${inner}\n  }`;
    })
    .join('\n  ');

  const code = `
${structWgsl('Params', MATMUL_FIELDS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
${v.mask === 'buffer' ? '@group(0) @binding(4) var<storage, read> mask: array<f32>;' : ''}

const TK = ${tk}u;
const TM = ${tm}u;
const TN = ${tn}u;
const THREADS = ${wx * wy}u;

var<workgroup> As: array<f32, ${tk * tm}>; // [TK][TM]
var<workgroup> Bs: array<f32, ${tk * tn}>; // [TK][TN]

${activationWgsl(v.activation, 'act')}
${activationGradWgsl(v.maskActivation, 'actGrad')}

fn loadA(m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
${aBiasRow}  return a[${aIndex}];
}

fn loadB(k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  return b[${bIndex}];
}

@compute @workgroup_size(${wx}, ${wy}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  ${accDecl}
  for (var k0 = 0u; k0 < p.K; k0 = k0 + TK) {
    for (var e = li; e < TK * TM; e = e + THREADS) {
      ${aLoad}
      As[kk * TM + mm] = loadA(m0 + mm, k0 + kk);
    }
    for (var e = li; e < TK * TN; e = e + THREADS) {
      ${bLoad}
      Bs[kk * TN + nn] = loadB(k0 + kk, n0 + nn);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk = kk + 1u) {
      ${aRegs}
      ${bRegs}
      ${fmas}
    }
    workgroupBarrier();
  }
  ${stores}
}
`;
  return { kind: 'matmul', label: variantLabel(v), code, bindings };
}

/**
 * Tile shapes to choose from, largest first (all 128 threads: WebGPU's compatibility-mode limit).
 * `narrow` serves N = 1 (a critic's scalar output layer).
 */
export const TILES: Record<string, TileConfig> = {
  t32x64: { wx: 16, wy: 8, rm: 4, rn: 4, tk: 16 },
  t16x32: { wx: 16, wy: 8, rm: 2, rn: 2, tk: 16 },
  t8x16: { wx: 16, wy: 8, rm: 1, rn: 1, tk: 16 },
  narrow: { wx: 1, wy: 64, rm: 2, rn: 1, tk: 16 },
};

export interface TileChoice {
  /** Candidate tiles for N > 1, largest first. */
  tiles: TileConfig[];
  /** Tile for N = 1. */
  narrow: TileConfig;
  /** Take the largest tile that still gives at least this many workgroups (fill the GPU's SMs). */
  targetWorkgroups: number;
}

/**
 * Untuned guess for a ~132-SM GPU (H100): per thread, a 1×1 tile needs 2 workgroup-memory loads per FMA,
 * 2×2 one, 4×4 half of one; for the skinny B = 64 products (64×784×1024, ...) 2×2 tiles with ~100
 * workgroups do the least work per SM. Tune with the benchmark's --target-workgroups / --tiles.
 */
export const DEFAULT_TILE_CHOICE: TileChoice = {
  tiles: [TILES.t32x64, TILES.t16x32, TILES.t8x16],
  narrow: TILES.narrow,
  targetWorkgroups: 64,
};

/** The tile for an M × N product: the largest with enough workgroups, else the smallest. */
export function chooseTile(choice: TileChoice, M: number, N: number): TileConfig {
  if (N === 1) return choice.narrow;
  for (const t of choice.tiles) {
    const [x, y] = matmulWorkgroups(t, M, N);
    if (x * y >= choice.targetWorkgroups) return t;
  }
  return choice.tiles[choice.tiles.length - 1];
}
