import { tf } from '@wgan/core/backend';

/**
 * Gradients that let the DCGAN train on the wasm backend (the CPU training path) at XNNPACK's
 * convolution speed, and be differentiated twice for a WGAN-GP conv critic.
 *
 * 1. tfjs's gradient of `Conv2D` asks for a `Conv2DBackpropFilter` kernel, which the wasm backend lacks
 *    ("kernel not registered"), and for `Conv2DBackpropInput`, which wasm runs as a plain loop (~10×
 *    slower than its conv2d). For stride-1 convolutions both gradients are convolutions themselves:
 *      ∂L/∂x = conv2d(pad(dy, k − 1 − pad), flip(W)ᵀ)              (the "full" convolution)
 *      ∂L/∂W = conv2d(x_padᵀ [Ci, H, W, N], dyᵀ [OH, OW, N, Co])ᵀ   (batch and channels swapped)
 *    and since they are made of conv2d again, they can be differentiated again (the penalty's second
 *    order). Strided convolutions keep tfjs's input gradient and get the filter gradient from an im2col
 *    product (conv2dFilterGradient).
 * 2. `Conv2DBackpropInput` (tf.conv2dTranspose) gets the same filter gradient, so it trains on wasm too
 *    (the Network's transposed convolutions use convTranspose2dSubpixel there instead, see
 *    models/conv-transpose.ts).
 * 3. MaxPool: wasm's MaxPoolGrad kernel routes the gradient of a window whose values are all negative
 *    to its first cell instead of its maximum (tfjs 4.22; the cpu kernel is right) — exactly the windows
 *    of a critic's conv outputs. For non-overlapping windows (size = stride, valid: the DCGAN's 2×2) we
 *    register a gradient that routes dy to each window's first maximum (argMax → one-hot, PyTorch's tie
 *    rule) with reshapes and transposes. Being made of differentiable ops, it can also be differentiated
 *    again (the penalty of a conv critic), which tfjs's MaxPoolGrad cannot.
 * Registered once per process: the convolution gradients on wasm and cpu (webgpu has the kernels), the
 * maxPool gradient everywhere.
 */
let registered = false;

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
};

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
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: 'valid' | 'same' | number,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, ci, co] = filterShape;
    const [sh, sw] = pair(strides);
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, [sh, sw], 1, pad, dimRoundingMode);
    const { top, bottom, left, right } = info.padInfo;
    const [n] = x.shape;
    const [, oh, ow] = dy.shape;
    if (oh !== info.outHeight || ow !== info.outWidth)
      throw new Error(
        `conv2dFilterGradient: dy is [${dy.shape}], the convolution gives ${info.outHeight}×${info.outWidth}`,
      );
    const xp =
      top || bottom || left || right
        ? tf.pad(x, [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ])
        : x;
    const taps: tf.Tensor4D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        taps.push(
          tf.stridedSlice(
            xp,
            [0, i, j, 0],
            [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, ci],
            [1, sh, sw, 1],
          ) as tf.Tensor4D,
        );
      }
    }
    const m = n * oh * ow;
    const cols = (taps.length === 1 ? taps[0] : tf.concat(taps, 3)).reshape([m, kh * kw * ci]);
    return tf.matMul(tf.transpose(cols), dy.reshape([m, co])).reshape([kh, kw, ci, co]) as tf.Tensor4D;
  });
}

/** W [kh, kw, ci, co] → flip(W)ᵀ [kh, kw, co, ci]: spatially reversed, channels swapped. */
function flipTranspose(w: tf.Tensor4D): tf.Tensor4D {
  return tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
}

/**
 * ∂L/∂x of y = conv2d(x, W, stride 1, pad) as the full convolution of dy with flip(W)ᵀ; null when a pad
 * exceeds k − 1 (not a case of this project's networks), for the caller to fall back on tfjs's kernel.
 */
export function conv2dInputGradientStride1(
  xShape: number[],
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  pad: 'valid' | 'same' | number,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D | null {
  const [kh, kw] = w.shape;
  const { top, bottom, left, right } = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    w.shape,
    1,
    1,
    pad,
    dimRoundingMode,
  ).padInfo;
  const pads = [kh - 1 - top, kh - 1 - bottom, kw - 1 - left, kw - 1 - right];
  if (pads.some((p) => p < 0)) return null;
  return tf.conv2d(
    tf.pad(dy, [
      [0, 0],
      [pads[0], pads[1]],
      [pads[2], pads[3]],
      [0, 0],
    ]),
    flipTranspose(w),
    1,
    'valid',
  );
}

/** ∂L/∂W of y = conv2d(x, W, stride 1, pad): one conv2d with the batch and channel axes swapped. */
export function conv2dFilterGradientStride1(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  pad: 'valid' | 'same' | number,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const { top, bottom, left, right } = tf.backend_util.computeConv2DInfo(
    x.shape,
    filterShape,
    1,
    1,
    pad,
    dimRoundingMode,
  ).padInfo;
  const xp =
    top || bottom || left || right
      ? tf.pad(x, [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ])
      : x;
  const g = tf.conv2d(
    tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D,
    tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D,
    1,
    'valid',
  ); // [Ci, kh, kw, Co]
  return tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D;
}

/**
 * ∂L/∂x of y = maxPool(x, size, stride = size, valid): dy routed to the first maximum of each window
 * (row-major), zero elsewhere and in the rows/columns the pooling drops. x [N, H, W, C], dy [N, h, w, C].
 */
export function maxPoolRoutedGradient(x: tf.Tensor4D, dy: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  const [n, H, W, c] = x.shape;
  const [, h, w] = dy.shape;
  const [fh, fw] = size;
  const cropped = h * fh !== H || w * fw !== W ? tf.slice(x, [0, 0, 0, 0], [n, h * fh, w * fw, c]) : x;
  const windows = tf.reshape(tf.transpose(tf.reshape(cropped, [n, h, fh, w, fw, c]), [0, 1, 3, 5, 2, 4]), [
    n,
    h,
    w,
    c,
    fh * fw,
  ]);
  // (wasm's OneHot ignores a float32 dtype)
  const mask = tf.cast(tf.oneHot(tf.argMax(windows, 4) as tf.Tensor4D, fh * fw), 'float32');
  const routed = tf.mul(mask, tf.expandDims(dy, 4)); // [n, h, w, c, fh·fw]
  const back = tf.reshape(tf.transpose(tf.reshape(routed, [n, h, w, c, fh, fw]), [0, 1, 4, 2, 5, 3]), [
    n,
    h * fh,
    w * fw,
    c,
  ]) as tf.Tensor4D;
  return cropped === x
    ? back
    : (tf.pad(back, [
        [0, 0],
        [0, H - h * fh],
        [0, W - w * fw],
        [0, 0],
      ]) as tf.Tensor4D);
}

let maxPoolRegistered = false;

/**
 * Installs the gradients above: the maxPool gradient on every backend (it is also what lets a conv
 * critic's penalty be differentiated on webgpu), the convolution gradients on wasm/cpu (webgpu has the
 * kernels). Idempotent.
 */
export function useConvGradients(): void {
  if (!maxPoolRegistered) {
    maxPoolRegistered = true;
    registerMaxPoolGradient();
  }
  const backend = tf.getBackend();
  if (registered || (backend !== 'wasm' && backend !== 'cpu')) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dimRoundingMode, dataFormat, dilations } = attrs as unknown as ConvAttrs;
      if (dataFormat === 'NCHW' || pair(dilations ?? 1).some((d) => d !== 1))
        throw new Error('conv2d gradient: only NHWC without dilation');
      const g = dy as tf.Tensor4D;
      const stride1 = pair(strides).every((v) => v === 1);
      const tfjsInputGradient = () =>
        tf.conv2dTranspose(g, filter, x.shape, strides, pad as 'valid' | 'same', dimRoundingMode);
      return {
        x: () =>
          (stride1 ? conv2dInputGradientStride1(x.shape, g, filter, pad, dimRoundingMode) : null) ??
          tfjsInputGradient(),
        filter: () =>
          stride1
            ? conv2dFilterGradientStride1(x, g, filter.shape, pad, dimRoundingMode)
            : conv2dFilterGradient(x, g, filter.shape, strides, pad, dimRoundingMode),
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
}

function registerMaxPoolGradient(): void {
  const maxPoolGradient = tf.getGradient('MaxPool');
  tf.registerGradient({
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor4D];
      const { filterSize, strides, pad } = attrs as unknown as {
        filterSize: number | [number, number];
        strides: number | [number, number];
        pad: string | number;
      };
      const size = pair(filterSize);
      const stride = pair(strides);
      if (size[0] !== stride[0] || size[1] !== stride[1] || pad !== 'valid')
        return maxPoolGradient!.gradFunc(dy, saved, attrs);
      return { x: () => maxPoolRoutedGradient(x, dy as tf.Tensor4D, size) };
    },
  });
}
