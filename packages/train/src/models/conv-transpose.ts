import { tf } from '@wgan/core/backend';

/**
 * PyTorch's ConvTranspose2d(k, stride s, padding p) with k − s = 2p (output s·H), computed as ONE stride-1
 * convolution followed by a pixel interleave ("sub-pixel" form), for the wasm backend: its
 * tf.conv2dTranspose kernel is a plain loop (~1.5 s for the DCGAN's 7×7×128 → 14×14×64 layer at B = 128)
 * while its conv2d runs on XNNPACK (~0.2 s for the same layer), and the conv2d's gradients are
 * convolutions again (conv-gradients.ts).
 *
 * Derivation. Output row r = s·a + α (phase α ∈ [0, s)) receives input row i through kernel row
 * u = r + p − s·i = s·(a − i) + α + p, so with d = a − i the phase-α rows are a stride-1 correlation over
 * the input rows a − d for the d with 0 ≤ s·d + α + p < k. All phases read windows of K' rows of one
 * padded input; phase α's window starts hi_α = max d rows above a. One conv2d with K'×K' taps and
 * s²·C_out output channels (one block per phase (α, β)) computes every phase; each phase's block is then
 * sliced at its offset and the phases are interleaved into the s·H × s·W image. The sub-kernels are a fixed
 * 0/1 selection of the kernel's taps (a matrix product, so the kernel's gradient flows through it).
 */
interface SubpixelPlan {
  taps: number; // K'
  padBefore: number;
  padAfter: number;
  /** Per phase: its rows' offset in the conv's output. */
  offsets: number[];
  /**
   * Phase α's output row s·a + α is conv row a + offset_α. With the phase blocks in channel order π(α),
   * interleaving the conv's rows (row j, block π → s·j + π) lists every output row in order from `shift`
   * on, so one reshape/transpose and one slice place all phases (null: no such order; slice per phase).
   */
  interleave: { order: number[]; shift: number } | null;
  /** [K'·K'·s·s, k·k] selection, rows (τr, τc, block(α), block(β)), columns (ur, uc). */
  selection: Float32Array;
}

function interleaveOrder(offsets: number[], s: number): { order: number[]; shift: number } | null {
  for (let shift = 0; shift < s * (Math.max(...offsets) + 1); shift++) {
    const order = offsets.map((off, alpha) => alpha + shift - s * off);
    if (order.every((v) => v >= 0 && v < s) && new Set(order).size === s) return { order, shift };
  }
  return null;
}

const plans = new Map<string, SubpixelPlan>();

function plan(k: number, s: number, p: number): SubpixelPlan {
  const key = `${k},${s},${p}`;
  const cached = plans.get(key);
  if (cached) return cached;
  const phases = Array.from({ length: s }, (_, alpha) => {
    const ds: number[] = [];
    for (let d = -k; d <= k; d++) if (s * d + alpha + p >= 0 && s * d + alpha + p < k) ds.push(d);
    return { hi: Math.max(...ds), lo: Math.min(...ds) };
  });
  const taps = Math.max(...phases.map((ph) => ph.hi - ph.lo + 1));
  const padBefore = Math.max(0, ...phases.map((ph) => ph.hi));
  const padAfter = Math.max(0, ...phases.map((ph) => taps - 1 - ph.hi));
  const offsets = phases.map((ph) => padBefore - ph.hi);
  const interleave = interleaveOrder(offsets, s);
  const block = interleave ? interleave.order : phases.map((_, alpha) => alpha);
  // kernel row of tap τ in phase α: the window starts hi_α above a, so τ reads row a − hi_α + τ = a − d
  const row = (tau: number, alpha: number) => s * (phases[alpha].hi - tau) + alpha + p;
  const selection = new Float32Array(taps * taps * s * s * k * k);
  for (let tr = 0; tr < taps; tr++)
    for (let tc = 0; tc < taps; tc++)
      for (let a = 0; a < s; a++)
        for (let b = 0; b < s; b++) {
          const ur = row(tr, a);
          const uc = row(tc, b);
          if (ur < 0 || ur >= k || uc < 0 || uc >= k) continue;
          selection[(((tr * taps + tc) * s + block[a]) * s + block[b]) * k * k + ur * k + uc] = 1;
        }
  const out = { taps, padBefore, padAfter, offsets, interleave, selection };
  plans.set(key, out);
  return out;
}

/**
 * x [N, H, W, C_in], kernel [k, k, C_out, C_in] (tfjs's conv2dTranspose layout) → [N, s·H, s·W, C_out],
 * equal to tf.conv2dTranspose(x, kernel, [N, s·H, s·W, C_out], s, 'same') (no bias).
 */
export function convTranspose2dSubpixel(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  stride: number,
  padding: number,
): tf.Tensor4D {
  const [k, , cOut, cIn] = kernel.shape;
  const s = stride;
  if (k - s !== 2 * padding)
    throw new Error(`convTranspose2dSubpixel: needs kernel − stride = 2·padding, got k ${k}, s ${s}, p ${padding}`);
  const { taps, padBefore, padAfter, offsets, interleave, selection } = plan(k, s, padding);
  return tf.tidy(() => {
    const [n, h, w] = x.shape;
    const flat = tf.reshape(tf.transpose(kernel, [0, 1, 3, 2]), [k * k, cIn * cOut]);
    const sub = tf.matMul(tf.tensor2d(selection, [taps * taps * s * s, k * k]), flat); // [(τr, τc, α, β), (ci, co)]
    const subKernel = tf.reshape(tf.transpose(tf.reshape(sub, [taps, taps, s, s, cIn, cOut]), [0, 1, 4, 2, 3, 5]), [
      taps,
      taps,
      cIn,
      s * s * cOut,
    ]) as tf.Tensor4D;
    const padded =
      padBefore || padAfter
        ? tf.pad(x, [
            [0, 0],
            [padBefore, padAfter],
            [padBefore, padAfter],
            [0, 0],
          ])
        : x;
    const z = tf.conv2d(padded, subKernel, 1, 'valid'); // [N, H + pads − K' + 1, …, s²·C_out]
    if (s === 1) return tf.slice(z, [0, offsets[0], offsets[0], 0], [n, h, w, cOut]) as tf.Tensor4D;
    if (interleave) {
      // the DCGAN's case (k 4, s 2, p 1): conv rows j = a + α, blocks in order (α = 1, α = 0) → rows 2j + 1 − α
      const [, hz, wz] = z.shape;
      const rowsInOrder = tf.reshape(tf.transpose(tf.reshape(z, [n, hz, wz, s, s, cOut]), [0, 1, 3, 2, 4, 5]), [
        n,
        hz * s,
        wz * s,
        cOut,
      ]);
      return tf.slice(rowsInOrder, [0, interleave.shift, interleave.shift, 0], [n, h * s, w * s, cOut]) as tf.Tensor4D;
    }
    // each phase at its offset, stacked as [α, β, N, H, W, C]; then row a·s + α, column b·s + β. (Concat on
    // the outer axis and one transpose: wasm's gradients of stack (Unpack) and of an inner-axis concat
    // (SplitV) take seconds / a tenth of a second at this size; an outer-axis split is a copy.)
    const phases = offsets.flatMap((oa, a) =>
      offsets.map((ob, b) => tf.slice(z, [0, oa, ob, (a * s + b) * cOut], [n, h, w, cOut])),
    );
    const blocks = tf.reshape(tf.concat(phases, 0), [s, s, n, h, w, cOut]);
    return tf.reshape(tf.transpose(blocks, [2, 3, 0, 4, 1, 5]), [n, h * s, w * s, cOut]) as tf.Tensor4D;
  });
}
