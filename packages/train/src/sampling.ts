import { epochPermutation, Rng } from '@wgan/core';
import { gatherLabels } from './conditional.js';
import type { IterationInputs } from './trainer.js';

/**
 * The data loader: visits the n training rows in the order epochPermutation(seed, epoch), B at a time,
 * dropping the last partial batch of each epoch (PyTorch's DataLoader(shuffle=True, drop_last=True)).
 * Its whole state is (epoch, cursor), so a checkpoint restores it exactly.
 *
 * With `shuffle: false` every epoch visits the rows in stored order 0, 1, …, n − 1, B at a time, starting
 * over at 0 when a full batch no longer fits: seed 004's DataManager (`get_batch` with its reset rule; the
 * cursor advance its printed code leaves out is the only reading under which it walks the data).
 *
 * With `replacement: true` each batch is B indices drawn uniformly from 0 … n − 1 with replacement (the
 * PyTorch anchor's `X[torch.randint(0, n, (B,))]`), from a stream keyed by (seed, batch number), so the
 * state is still (epoch, cursor); an "epoch" is then ⌊n / B⌋ batches.
 */
export interface SamplerPosition {
  epoch: number;
  /** Index of the next batch within the epoch. */
  batch: number;
}

export interface BatchSamplerOptions {
  /** Draw a new permutation each epoch (default true); false walks the rows in stored order. */
  shuffle?: boolean;
  /** Draw every batch uniformly with replacement instead of walking an epoch's order (default false). */
  replacement?: boolean;
}

export class BatchSampler {
  private order: Uint32Array;
  readonly shuffle: boolean;
  readonly replacement: boolean;
  readonly batchesPerEpoch: number;
  private epoch: number;
  private batch: number;

  constructor(
    readonly n: number,
    readonly batchSize: number,
    readonly seed: number,
    start: SamplerPosition = { epoch: 0, batch: 0 },
    options: BatchSamplerOptions = {},
  ) {
    if (batchSize > n) throw new RangeError(`batch size ${batchSize} exceeds the ${n} training examples`);
    this.batchesPerEpoch = Math.floor(n / batchSize);
    this.shuffle = options.shuffle ?? true;
    this.replacement = options.replacement ?? false;
    this.epoch = start.epoch;
    this.batch = start.batch;
    this.order = this.orderOf(this.epoch);
  }

  /** The row order of `epoch`: the seeded permutation, or 0 … n − 1 without shuffling. */
  private orderOf(epoch: number): Uint32Array {
    return this.shuffle
      ? epochPermutation(this.seed, epoch, this.n)
      : Uint32Array.from({ length: this.n }, (_, i) => i);
  }

  get position(): SamplerPosition {
    return { epoch: this.epoch, batch: this.batch };
  }

  /** Epochs whose last batch has been handed out. */
  get completedEpochs(): number {
    return this.epoch + (this.batch >= this.batchesPerEpoch ? 1 : 0);
  }

  /** The next B row indices; rolls over to the next epoch (and its new order) at the end. */
  next(): Uint32Array {
    if (this.batch >= this.batchesPerEpoch) {
      this.epoch += 1;
      this.batch = 0;
      if (this.shuffle) this.order = this.orderOf(this.epoch);
    }
    const start = this.batch * this.batchSize;
    this.batch += 1;
    if (this.replacement) {
      const rng = Rng.fromSeed(
        (BigInt(this.seed) << 32n) +
          BigInt(this.epoch * this.batchesPerEpoch + this.batch - 1) +
          0x7e91_0000_0000_0000n,
      );
      return Uint32Array.from({ length: this.batchSize }, () => rng.below(this.n));
    }
    return this.order.slice(start, start + this.batchSize);
  }
}

/** The latent distributions p(z): N(0, I) (seeds 000, 001) or U(−1, 1)^d_z (seed 002's sample_noise). */
export type LatentNoise = 'normal' | 'uniform';

/** z ~ p(z): [count, d_z] row-major. */
export function drawLatents(rng: Rng, count: number, latentDim: number, noise: LatentNoise = 'normal'): Float32Array {
  const out = new Float32Array(count * latentDim);
  return noise === 'uniform' ? rng.fillUniform(out, -1, 1) : rng.fillNormal(out);
}

/** Draws one generator iteration's random inputs in the contract's fixed order (see trainer.ts). */
export function drawIterationInputs(
  rng: Rng,
  sampler: BatchSampler,
  shape: { nCritic: number; batchSize: number; latentDim: number; noise?: LatentNoise },
  /** A conditional run's training labels and K (the critic labels are theirs; the generator's are drawn). */
  labels?: { train: ArrayLike<number>; classes: number } | null,
): IterationInputs {
  const { nCritic, batchSize: B, latentDim, noise } = shape;
  const inputs: IterationInputs = { indices: [], zCritic: [], eps: [], zGen: new Float32Array(0) };
  for (let c = 0; c < nCritic; c++) {
    inputs.indices.push(sampler.next());
    inputs.zCritic.push(drawLatents(rng, B, latentDim, noise));
    inputs.eps.push(rng.fillUniform(new Float32Array(B)));
  }
  inputs.zGen = drawLatents(rng, B, latentDim, noise);
  if (labels) {
    const gen = Int32Array.from({ length: B }, () => rng.below(labels.classes));
    inputs.labels = { critic: inputs.indices.map((idx) => gatherLabels(labels.train, idx)), gen };
  }
  return inputs;
}
