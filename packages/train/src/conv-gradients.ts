import { tf } from '@wgan/core/backend';

/**
 * Gradients that let the DCGAN train on the wasm backend (the CPU training path), and be differentiated
 * twice for a WGAN-GP conv critic.
 *
 * 1. tfjs's gradients of `Conv2D` (conv2d) and `Conv2DBackpropInput` (conv2dTranspose) ask for a
 *    `Conv2DBackpropFilter` kernel, which the wasm backend does not have ("kernel not registered"). We
 *    register both gradients again with the filter gradient computed from ops every backend has
 *    (conv2dFilterGradient: pad, strided slices, one matrix product). The input gradients stay tfjs's.
 * 2. The gradient penalty of a conv critic differentiates ∇ₓD once more; ∇ₓD goes through `MaxPoolGrad`,
 *    which has no gradient in tfjs. For non-overlapping pooling windows (size = stride, the DCGAN's 2×2)
 *    MaxPoolGrad routes each dy to its window's argmax: linear in dy, piecewise constant in the input, so
 *    its gradient is: w.r.t. dy, the argmax of each window read back from the incoming gradient
 *    (sum-pool of g ⊙ P, with P = MaxPoolGrad(1) the argmax mask, so ties pick the kernel's own cell);
 *    w.r.t. the input and the pooled output, zero.
 * Registered once per process on the backends that need them (wasm, cpu); webgpu has the kernel.
 */
let registered = false;

type ConvAttrs = { strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil'; dataFormat?: 'NHWC' | 'NCHW'; dilations?: number | [number, number] };

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/**
 * The filter gradient of y = conv2d(x, W, strides, pad):
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} x_pad[n, oh·s_h + kh, ow·s_w + kw, ci] · dy[n, oh, ow, co]
 * x [N, H, W, Ci], dy [N, OH, OW, Co] → dW [K_h, K_w, Ci, Co]. Computed as colsᵀ · dy with the
 * im2col matrix cols [N·OH·OW, K_h·K_w·Ci] (its column order (kh, kw, ci) is the kernel's layout) and an
 * explicit transpose, which keeps the product on the wasm backend's fast path.
 */
export function conv2dFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], strides: number | [number, number], pad: 'valid' | 'same' | number, dimRoundingMode?: 'floor' | 'round' | 'ceil'): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, ci, co] = filterShape;
    const [sh, sw] = pair(strides);
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, [sh, sw], 1, pad, dimRoundingMode);
    const { top, bottom, left, right } = info.padInfo;
    const [n] = x.shape;
    const [, oh, ow] = dy.shape;
    if (oh !== info.outHeight || ow !== info.outWidth) throw new Error(`conv2dFilterGradient: dy is [${dy.shape}], the convolution gives ${info.outHeight}×${info.outWidth}`);
    const xp = top || bottom || left || right ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
    const taps: tf.Tensor4D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        taps.push(tf.stridedSlice(xp, [0, i, j, 0], [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, ci], [1, sh, sw, 1]) as tf.Tensor4D);
      }
    }
    const m = n * oh * ow;
    const cols = (taps.length === 1 ? taps[0] : tf.concat(taps, 3)).reshape([m, kh * kw * ci]);
    return tf.matMul(tf.transpose(cols), dy.reshape([m, co])).reshape([kh, kw, ci, co]) as tf.Tensor4D;
  });
}

/** Installs the gradients above on wasm/cpu (idempotent; a no-op on other backends). */
export function useConvGradients(): void {
  const backend = tf.getBackend();
  if (registered || (backend !== 'wasm' && backend !== 'cpu')) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dimRoundingMode, dataFormat, dilations } = attrs as unknown as ConvAttrs;
      if (dataFormat === 'NCHW' || pair(dilations ?? 1).some((d) => d !== 1)) throw new Error('conv2d gradient: only NHWC without dilation');
      const g = dy as tf.Tensor4D;
      return {
        x: () => tf.conv2dTranspose(g, filter, x.shape, strides, pad as 'valid' | 'same', dimRoundingMode),
        filter: () => conv2dFilterGradient(x, g, filter.shape, strides, pad, dimRoundingMode),
      };
    },
  });
  tf.registerGradient({
    kernelName: 'Conv2DBackpropInput',
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      // forward: y = conv2dTranspose(dy, filter), i.e. the input gradient of a conv2d whose output is dy
      const [dy, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dimRoundingMode } = attrs as unknown as ConvAttrs;
      const g = ddx as tf.Tensor4D;
      return {
        dy: () => tf.conv2d(g, filter, strides, pad, 'NHWC', 1, dimRoundingMode),
        filter: () => conv2dFilterGradient(g, dy, filter.shape, strides, pad, dimRoundingMode),
      };
    },
  });
  if (!tf.getGradient('MaxPoolGrad')) {
    tf.registerGradient({
      kernelName: 'MaxPoolGrad',
      inputsToSave: ['dy', 'input', 'output'],
      gradFunc: (g, saved, attrs) => {
        const [dy, input, output] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const { filterSize, strides, pad } = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: string | number };
        const [fh, fw] = pair(filterSize);
        const [sh, sw] = pair(strides);
        if (fh !== sh || fw !== sw || pad !== 'valid') throw new Error('second derivative of maxPool: only non-overlapping windows (size = stride, valid padding)');
        return {
          dy: () => {
            const mask = tf.engine().runKernel('MaxPoolGrad', { dy: tf.onesLike(dy), input, output }, attrs) as tf.Tensor4D;
            return tf.mul(tf.avgPool(tf.mul(g as tf.Tensor4D, mask) as tf.Tensor4D, [fh, fw], [sh, sw], 'valid'), fh * fw);
          },
          input: () => tf.zerosLike(input),
          output: () => tf.zerosLike(output),
        };
      },
    });
  }
}
