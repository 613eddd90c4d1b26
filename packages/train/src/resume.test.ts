import { describe, expect, it } from 'vitest';
import { resolveTrainConfig } from './config.js';
import { describeIgnored, resumedConfig } from './resume.js';

describe('resumedConfig: what a resumed run trains with', () => {
  const saved = resolveTrainConfig({ overrides: { name: 'r', data: 'd', lambda: 5, iterations: 100 } });

  it("keeps the checkpoint's settings, takes iterations, logEvery and backend from the request", () => {
    const requested = resolveTrainConfig({
      overrides: { name: 'r', data: 'd', lambda: 5, iterations: 300, logEvery: 7, backend: 'cpu' },
    });
    const { config, ignored } = resumedConfig(requested, saved);
    expect(ignored).toEqual([]);
    expect(config).toEqual({ ...saved, iterations: 300, logEvery: 7, backend: 'cpu' });
  });

  it('names every changed key it does not apply, with both values', () => {
    const requested = resolveTrainConfig({
      overrides: { name: 'r', data: 'd', lambda: 2, nCritic: 3, iterations: 100 },
    });
    const { config, ignored } = resumedConfig(requested, saved);
    expect(ignored.map((i) => i.key)).toEqual(['lambda', 'nCritic']);
    expect(config.lambda).toBe(5);
    expect(config.nCritic).toBe(saved.nCritic);
    expect(describeIgnored(ignored)).toBe(
      `lambda (requested 2, checkpoint 5), nCritic (requested 3, checkpoint ${saved.nCritic})`,
    );
  });
});
