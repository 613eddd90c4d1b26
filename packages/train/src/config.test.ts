import { describe, expect, it } from 'vitest';
import { PipelineError } from '@wgan/core';
import { OPTIMIZER_DEFAULTS, resolveTrainConfig, savedTrainConfig } from './config.js';

describe("savedTrainConfig: a checkpoint's config read back with train's schema", () => {
  const full = resolveTrainConfig({ overrides: { name: 'r', data: 'd', loss: 'clip', clipValue: 0.02 } });

  it('returns a config train wrote unchanged, with nothing defaulted', () => {
    expect(savedTrainConfig(JSON.parse(JSON.stringify(full)), 'm.json')).toEqual({ config: full, defaulted: [] });
  });

  it("fills a key an older checkpoint lacks with train's default for its model and loss, and names it", () => {
    const { lambda: _lambda, optimizerD: _optimizerD, noise: _noise, ...older } = full;
    const { config, defaulted } = savedTrainConfig(older, 'm.json');
    expect(defaulted.sort()).toEqual(['lambda', 'noise', 'optimizerD']);
    expect(config.lambda).toBe(10);
    expect(config.noise).toBe('normal');
    // the clip loss's optimiser (RMSprop), not the schema's first choice
    expect(config.optimizerD).toEqual(OPTIMIZER_DEFAULTS.clip.optimizerD);
    expect(config.clipValue).toBe(0.02);
  });

  it("uses the model family's defaults beneath the saved values (seed 002's GAN: d_z 10, U(−1, 1))", () => {
    const { config, defaulted } = savedTrainConfig({ model: 'gan-mlp', name: 'g', data: 'd' }, 'm.json');
    expect(config.loss).toBe('bce');
    expect(config.latentDim).toBe(10);
    expect(config.noise).toBe('uniform');
    expect(config.nCritic).toBe(1);
    expect(defaulted).toContain('latentDim');
    expect(defaulted).not.toContain('model');
  });

  it('refuses a value of the wrong type or an unknown key, naming the manifest', () => {
    for (const bad of [{ ...full, lambda: 'ten' }, { ...full, learningRate: 1 }, null, [1]]) {
      let error: unknown;
      try {
        savedTrainConfig(bad, '/runs/r/checkpoints/00000010/manifest.json');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PipelineError);
      expect((error as PipelineError).where).toBe('/runs/r/checkpoints/00000010/manifest.json');
    }
  });
});
