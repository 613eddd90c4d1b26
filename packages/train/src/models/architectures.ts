import type { LayerSpec, NetworkSpec } from './spec.js';

/** Dense layers of the given sizes with `activation` between them and `last` after the final one. */
export function denseStack(sizes: number[], activation: LayerSpec | null, last: LayerSpec | null): LayerSpec[] {
  const layers: LayerSpec[] = [];
  for (let i = 0; i < sizes.length - 1; i++) {
    layers.push({ type: 'dense', inputs: sizes[i], units: sizes[i + 1] });
    const isLast = i === sizes.length - 2;
    if (!isLast && activation) layers.push(activation);
    if (isLast && last) layers.push(last);
  }
  return layers;
}

export const IMAGE_SIZE = 784;

/**
 * The default model, seed 001 ("Assignment 3 – WGAN-GP"): generator z(d_z) → 256 → 512 → 1024 → 784,
 * LeakyReLU(0.2) between layers, tanh output; critic 784 → 512 → 256 → 1 with LeakyReLU(0.2) and a raw
 * scalar output. PyTorch's nn.Linear initialisation, so the PyTorch anchor is a fair comparison.
 */
export const SEED001_GENERATOR_HIDDEN = [256, 512, 1024];
export const SEED001_CRITIC_HIDDEN = [512, 256];

export function seed001Generator(
  latentDim: number,
  hidden: number[] = SEED001_GENERATOR_HIDDEN,
  outputSize = IMAGE_SIZE,
): NetworkSpec {
  return {
    role: 'generator',
    inputSize: latentDim,
    outputSize,
    layers: denseStack([latentDim, ...hidden, outputSize], { type: 'leakyRelu', alpha: 0.2 }, { type: 'tanh' }),
    init: { scheme: 'torch-default' },
  };
}

export function seed001Critic(hidden: number[] = SEED001_CRITIC_HIDDEN, inputSize = IMAGE_SIZE): NetworkSpec {
  return {
    role: 'critic',
    inputSize,
    outputSize: 1,
    layers: denseStack([inputSize, ...hidden, 1], { type: 'leakyRelu', alpha: 0.2 }, null),
    init: { scheme: 'torch-default' },
  };
}

/**
 * Seed 002's vanilla / least-squares GAN ("What is a GAN?"): generator z(NOISE_DIM = 10) → 1024 → 1024 →
 * 784 with ReLU and a tanh output; discriminator 784 → 256 → 256 → 1 with LeakyReLU(0.01) and a raw
 * output (a logit for the BCE losses, a score for least squares). PyTorch's default initialisation, as the
 * seed asks ("use the default initializers").
 */
export const SEED002_GENERATOR_HIDDEN = [1024, 1024];
export const SEED002_DISCRIMINATOR_HIDDEN = [256, 256];

export function seed002Generator(latentDim: number, hidden: number[] = SEED002_GENERATOR_HIDDEN): NetworkSpec {
  return {
    role: 'generator',
    inputSize: latentDim,
    outputSize: IMAGE_SIZE,
    layers: denseStack([latentDim, ...hidden, IMAGE_SIZE], { type: 'relu' }, { type: 'tanh' }),
    init: { scheme: 'torch-default' },
  };
}

export function seed002Discriminator(
  hidden: number[] = SEED002_DISCRIMINATOR_HIDDEN,
  role: 'critic' | 'discriminator' = 'discriminator',
): NetworkSpec {
  return {
    role,
    inputSize: IMAGE_SIZE,
    outputSize: 1,
    layers: denseStack([IMAGE_SIZE, ...hidden, 1], { type: 'leakyRelu', alpha: 0.01 }, null),
    init: { scheme: 'torch-default' },
  };
}

/** PyTorch's BatchNorm1d/2d defaults. */
const BN = { epsilon: 1e-5, momentum: 0.1 };

/**
 * Seed 002's DCGAN generator (the InfoGAN MNIST generator, its Appendix C.1), in the seed's order
 * (activation before BatchNorm):
 *   z [N, d_z] → FC 1024 → ReLU → BN → FC 7·7·128 → ReLU → BN → reshape [7, 7, 128]
 *     → ConvTranspose 64, 4×4, stride 2, padding 1 → ReLU → BN [14, 14, 64]
 *     → ConvTranspose 1, 4×4, stride 2, padding 1 → tanh [28, 28, 1] → [N, 784]
 * The second BatchNorm normalises the 6,272 features before the reshape (BatchNorm1d(7·7·128) in the
 * seed). tfjs reshapes to NHWC where PyTorch views NCHW: a fixed permutation of FC 2's output units, so
 * the two define the same family of functions.
 */
export function dcganGenerator(latentDim: number): NetworkSpec {
  return {
    role: 'generator',
    inputSize: latentDim,
    outputSize: IMAGE_SIZE,
    layers: [
      { type: 'dense', inputs: latentDim, units: 1024 },
      { type: 'relu' },
      { type: 'batchNorm', features: 1024, ...BN },
      { type: 'dense', inputs: 1024, units: 7 * 7 * 128 },
      { type: 'relu' },
      { type: 'batchNorm', features: 7 * 7 * 128, ...BN },
      { type: 'reshape', shape: [7, 7, 128] },
      { type: 'convTranspose2d', inChannels: 128, filters: 64, kernel: 4, stride: 2, padding: 1 },
      { type: 'relu' },
      { type: 'batchNorm', features: 64, ...BN },
      { type: 'convTranspose2d', inChannels: 64, filters: 1, kernel: 4, stride: 2, padding: 1 },
      { type: 'tanh' },
    ],
    init: { scheme: 'torch-default' },
  };
}

/**
 * Seed 002's DCGAN discriminator (after the TensorFlow MNIST tutorial's classifier), no BatchNorm, so it
 * also serves as a WGAN-GP critic:
 *   x [N, 784] → [28, 28, 1] → conv 32, 5×5, valid → LeakyReLU 0.01 → maxpool 2 [12, 12, 32]
 *     → conv 64, 5×5, valid → LeakyReLU 0.01 → maxpool 2 [4, 4, 64] → flatten 1024
 *     → FC 4·4·64 → LeakyReLU 0.01 → FC 1 (a raw logit / score)
 */
export function dcganDiscriminator(role: 'critic' | 'discriminator' = 'discriminator'): NetworkSpec {
  const lrelu: LayerSpec = { type: 'leakyRelu', alpha: 0.01 };
  return {
    role,
    inputSize: IMAGE_SIZE,
    outputSize: 1,
    layers: [
      { type: 'reshape', shape: [28, 28, 1] },
      { type: 'conv2d', inChannels: 1, filters: 32, kernel: 5, stride: 1, padding: 'valid' },
      lrelu,
      { type: 'maxPool2d', size: 2, stride: 2 },
      { type: 'conv2d', inChannels: 32, filters: 64, kernel: 5, stride: 1, padding: 'valid' },
      lrelu,
      { type: 'maxPool2d', size: 2, stride: 2 },
      { type: 'flatten' },
      { type: 'dense', inputs: 4 * 4 * 64, units: 4 * 4 * 64 },
      lrelu,
      { type: 'dense', inputs: 4 * 4 * 64, units: 1 },
    ],
    init: { scheme: 'torch-default' },
  };
}
