import { Rng } from '@wgan/core';
import type { TrainConfig } from './config.js';
import { epochDiagnostics, type EpochDiagnostics } from './diagnostics.js';
import type { NetworkSpec } from './models/spec.js';
import type { EpochContext, EpochReporter, FamilyEpochDiagnostics, Trainer } from './trainer.js';

/** One GAN epoch's E5–E7 as train-stats.json stores them, with the flat summary the epoch's log line prints. */
export interface GanEpochDiagnostics extends FamilyEpochDiagnostics {
  E5: EpochDiagnostics['E5'];
  E6: EpochDiagnostics['E6'];
  E7: EpochDiagnostics['E7'];
}

/** The log line's figures of a GAN epoch: Ŵ₁ (E5), ḡ, s_g and the penalty (E6, gp runs), f (E7, clip runs). */
export function ganEpochSummary(d: EpochDiagnostics): Record<string, number> {
  return {
    E5_gap: d.E5.wassersteinGap,
    ...(d.E6 ? { E6_gbar: d.E6.gradNormMean, E6_sg: d.E6.gradNormStd, E6_gp: d.E6.gp } : {}),
    ...(d.E7 ? { E7_f: d.E7.clipFraction } : {}),
  };
}

/**
 * The GANs' epoch-end diagnostics through the loop's epochReporter hook (the one a model family such as the
 * VAE brings with its trainer): E5 and E6 on `diagnosticsSamples` fresh samples, E7 for clip runs, from the
 * trainer's current weights, with an Rng of its own per epoch so the training stream is untouched.
 */
export class GanEpochReporter implements EpochReporter {
  constructor(
    private readonly o: {
      trainer: Pick<Trainer, 'getState'>;
      specs: { generator: NetworkSpec; critic: NetworkSpec };
      images: Float32Array;
      imageCount: number;
      config: Pick<TrainConfig, 'diagnosticsSamples' | 'latentDim' | 'loss' | 'lambda' | 'clipValue' | 'seed'>;
    },
  ) {}

  async epochEnd(ctx: EpochContext): Promise<GanEpochDiagnostics> {
    const { config, specs } = this.o;
    const d = await epochDiagnostics({
      generatorSpec: specs.generator,
      criticSpec: specs.critic,
      weights: await this.o.trainer.getState(),
      images: this.o.images,
      imageCount: this.o.imageCount,
      samples: config.diagnosticsSamples,
      latentDim: config.latentDim,
      loss: config.loss,
      lambda: config.lambda,
      clipValue: config.clipValue,
      rng: Rng.fromSeed(config.seed * 7919 + ctx.epoch + 1),
      epoch: ctx.epoch,
      iteration: ctx.iteration,
    });
    return { ...d, summary: ganEpochSummary(d) };
  }
}
