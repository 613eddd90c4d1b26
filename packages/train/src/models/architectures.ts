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

export function seed001Generator(latentDim: number, hidden: number[] = SEED001_GENERATOR_HIDDEN, outputSize = IMAGE_SIZE): NetworkSpec {
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
