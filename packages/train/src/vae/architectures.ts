import { denseStack, IMAGE_SIZE } from '../models/architectures.js';
import type { NetworkSpec } from '../models/spec.js';

/**
 * Seed 002 (course notebook, Part I): the VAE's MLPs, ReLU between layers, PyTorch's nn.Linear init.
 *  - encoder q(z|x): x [N, 784] in [0, 1] → 512 → 256 → 128 → 2·d_z, no final non-linearity; the output
 *    is [μ | log σ²] (the first d_z columns are μ, as the seed's `out[:, :z_dim], out[:, z_dim:]`);
 *  - decoder p(x|z): z [N, d_z] → 400 → 600 → 800 → 784 logits, then a sigmoid layer, so the network
 *    stored in checkpoints (and exported to ONNX) outputs λ = σ(logits) ∈ [0, 1], the decoded image. The
 *    training loss reads the logits (the output of every layer but the sigmoid) for stability.
 * In the trainer contract the decoder plays the generator and the encoder the critic (checkpoint files
 * generator.json / critic.json).
 */
export const SEED002_ENCODER_HIDDEN = [512, 256, 128];
export const SEED002_DECODER_HIDDEN = [400, 600, 800];

export function seed002Encoder(
  latentDim: number,
  hidden: number[] = SEED002_ENCODER_HIDDEN,
  inputSize = IMAGE_SIZE,
): NetworkSpec {
  return {
    role: 'encoder',
    inputSize,
    outputSize: 2 * latentDim,
    layers: denseStack([inputSize, ...hidden, 2 * latentDim], { type: 'relu' }, null),
    init: { scheme: 'torch-default' },
  };
}

export function seed002Decoder(
  latentDim: number,
  hidden: number[] = SEED002_DECODER_HIDDEN,
  outputSize = IMAGE_SIZE,
): NetworkSpec {
  return {
    role: 'decoder',
    inputSize: latentDim,
    outputSize,
    layers: denseStack([latentDim, ...hidden, outputSize], { type: 'relu' }, { type: 'sigmoid' }),
    init: { scheme: 'torch-default' },
  };
}

/** The number of decoder layers that produce its logits (all but the final sigmoid); throws for another spec. */
export function decoderLogitLayers(decoder: NetworkSpec): number {
  const last = decoder.layers[decoder.layers.length - 1];
  if (last?.type !== 'sigmoid')
    throw new Error(
      `a VAE decoder must end in a sigmoid layer (its logits feed ` +
        `the likelihood); this one ends in ${last?.type ?? 'nothing'}`,
    );
  return decoder.layers.length - 1;
}
