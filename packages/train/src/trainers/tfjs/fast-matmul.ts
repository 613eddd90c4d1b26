import { tf } from '@wgan/core/backend';

/**
 * Matrix products that stay on the wasm backend's fast path. XNNPACK multiplies at ~17 GFLOP/s when
 * neither operand is transposed and at ~1 GFLOP/s otherwise (../shared/TFJS-NOTES.md), and tfjs's own
 * BatchMatMul gradient uses the transpose flags, so every backward product is slow. On wasm (and cpu) we
 * therefore (1) register a BatchMatMul gradient made of explicit transposes and plain products, arranged
 * so that only batch-sized matrices are transposed — dA = dC·Bᵀ = (B·dCᵀ)ᵀ, dB = Aᵀ·dC — and (2) write
 * a·bᵀ as (b·aᵀ)ᵀ. On GPUs the flags are free and every extra op costs a dispatch, so nothing changes there.
 */
let registered = false;

function usesFastPath(): boolean {
  const b = tf.getBackend();
  return b === 'wasm' || b === 'cpu';
}

/** Installs the plain-product BatchMatMul gradient on wasm/cpu (idempotent; a no-op elsewhere). */
export function useFastMatMulGradients(): void {
  if (registered || !usesFastPath()) return;
  registered = true;
  const original = tf.getGradient('BatchMatMul');
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const dC = dy as tf.Tensor;
      if (a.rank !== 2 || b.rank !== 2 || transposeA || !original) {
        return original!.gradFunc(dy, saved, attrs);
      }
      if (!transposeB) {
        // C = A·B: dA = dC·Bᵀ = (B·dCᵀ)ᵀ, dB = Aᵀ·dC
        return {
          a: () => tf.transpose(tf.matMul(b, tf.transpose(dC))),
          b: () => tf.matMul(tf.transpose(a), dC),
        };
      }
      // C = A·Bᵀ: dA = dC·B, dB = dCᵀ·A
      return {
        a: () => tf.matMul(dC, b),
        b: () => tf.matMul(tf.transpose(dC), a),
      };
    },
  });
}

/** a·bᵀ for a [n, k], b [m, k] → [n, m], as (b·aᵀ)ᵀ on wasm/cpu (n is the small batch dimension). */
export function matMulTransposeB(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return usesFastPath() ? (tf.transpose(tf.matMul(b, tf.transpose(a))) as tf.Tensor2D) : tf.matMul(a, b, false, true);
}

/** aᵀ·b for a [n, k], b [n, m] → [k, m] (a weight gradient: n is the batch), with an explicit transpose on wasm/cpu. */
export function matMulTransposeA(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return usesFastPath() ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, b, true, false);
}
