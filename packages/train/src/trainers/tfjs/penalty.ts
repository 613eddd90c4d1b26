import { tf } from '@wgan/core/backend';
import type { Network } from '../../models/network.js';
import { matMulTransposeB } from './fast-matmul.js';
import { useConvGradients } from './conv-gradients.js';
import { isDenseChain, type LayerSpec } from '../../models/spec.js';

/**
 * ∇ₓD(x) for the gradient penalty, two ways:
 *
 * 1. Closed form, for a critic that is a chain of dense layers with piecewise-linear activations
 *    (LeakyReLU, ReLU) and a linear scalar output. With h_k = a_{k−1}W_k + b_k, a_k = φ(h_k) and the
 *    masks m_k = φ'(h_k) (1 or α; piecewise constant, so their derivative is zero almost everywhere):
 *        ∇ₓD = (((W_Kᵀ ⊙ m_{K−1}) W_{K−1}ᵀ ⊙ m_{K−2}) … ⊙ m_1) W_1ᵀ      (row form, one row per sample)
 *    The expression is differentiable in the weights by ordinary first-order autodiff, which gives the
 *    penalty's weight gradients exactly (the masks are computed with tf.step, whose gradient is zero).
 * 2. Nested autodiff (tf.grad inside the loss), for any critic; needs zero gradients registered for the
 *    comparison kernels tfjs uses in LeakyReLU/ReLU gradients ("gradient function not found for Greater").
 *
 * Both are checked against float64 central finite differences in penalty.test.ts.
 */

function slopeOf(layer: LayerSpec): number | null {
  if (layer.type === 'leakyRelu') return layer.alpha;
  if (layer.type === 'relu') return 0;
  return null;
}

/** True when criticInputGradient's closed form applies to this critic. */
export function supportsClosedForm(critic: Network): boolean {
  const layers = critic.spec.layers;
  if (!isDenseChain(critic.spec) || critic.spec.outputSize !== 1) return false;
  if (layers[layers.length - 1].type !== 'dense') return false;
  return layers.every((l) => l.type === 'dense' || slopeOf(l) !== null);
}

/**
 * Closed-form ∇ₓD(x) for a dense-chain critic: x [B, d] → g [B, d], and D(x) [B, 1] from the same forward.
 */
export function criticInputGradient(critic: Network, x: tf.Tensor2D): { gradient: tf.Tensor2D; scores: tf.Tensor2D } {
  if (!supportsClosedForm(critic))
    throw new Error(
      'closed-form input gradient needs a dense critic with LeakyReLU/ReLU activations and a linear scalar output',
    );
  const layers = critic.spec.layers;
  const dense: { kernel: tf.Tensor2D; mask: tf.Tensor2D | null }[] = [];
  let h: tf.Tensor2D = x;
  layers.forEach((layer, i) => {
    if (layer.type === 'dense') {
      h = tf.add(tf.matMul(h, critic.get(`${i}.kernel`)), critic.get(`${i}.bias`)) as tf.Tensor2D;
      dense.push({ kernel: critic.get(`${i}.kernel`) as unknown as tf.Tensor2D, mask: null });
    } else {
      const alpha = slopeOf(layer) as number;
      dense[dense.length - 1].mask = tf.step(h, alpha) as tf.Tensor2D;
      h = (alpha === 0 ? tf.relu(h) : tf.leakyRelu(h, alpha)) as tf.Tensor2D;
    }
  });
  const batch = x.shape[0];
  const last = dense[dense.length - 1].kernel; // [units, 1]
  let u = tf.tile(tf.transpose(last), [batch, 1]) as tf.Tensor2D; // [B, units]
  for (let k = dense.length - 2; k >= 0; k--) {
    u = tf.mul(u, dense[k].mask as tf.Tensor2D) as tf.Tensor2D;
    u = matMulTransposeB(u, dense[k].kernel);
  }
  return { gradient: u, scores: h };
}

let secondOrderRegistered = false;

/**
 * Registers zero gradients for the comparison and selection kernels that tfjs's first-order gradients of
 * LeakyReLU/ReLU/Abs use, so that a gradient of a gradient can be taken (nested autodiff).
 */
export function registerSecondOrderGradients(): void {
  useConvGradients(); // conv critics on wasm/cpu: conv and maxPool gradients that can be differentiated again
  if (secondOrderRegistered) return;
  secondOrderRegistered = true;
  for (const kernelName of ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual']) {
    if (tf.getGradient(kernelName)) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({
        a: () => tf.zerosLike(saved[0]),
        b: () => tf.zerosLike(saved[1]),
      }),
    });
  }
}

/** ∇ₓD(x) by nested autodiff, for any critic: x [B, d] → g [B, d]. */
export function criticInputGradientAutodiff(critic: Network, x: tf.Tensor2D): tf.Tensor2D {
  registerSecondOrderGradients();
  const grad = tf.grad((input: tf.Tensor) => tf.sum(critic.apply(input)));
  return grad(x) as tf.Tensor2D;
}
