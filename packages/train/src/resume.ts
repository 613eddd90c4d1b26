import type { TrainConfig } from './config.js';

/**
 * The config a resumed run trains with: the checkpoint's, except the keys a resume may change (how long
 * to train, how often to log, where to run, where onnx-cpu's optimiser update runs: the same float32 results
 * either way). Every other key that differs between the requested config
 * (flags, file and defaults) and the checkpoint's is named in `ignored`, with both values, so that the
 * caller can say which request was not applied instead of dropping it silently.
 */
export const RESUME_CHANGEABLE = ['iterations', 'logEvery', 'backend', 'onnxOptimizer'] as const;

export interface IgnoredSetting {
  key: string;
  requested: unknown;
  checkpoint: unknown;
}

export function resumedConfig(
  requested: TrainConfig,
  saved: TrainConfig,
): { config: TrainConfig; ignored: IgnoredSetting[] } {
  const config: TrainConfig = {
    ...saved,
    iterations: requested.iterations,
    logEvery: requested.logEvery,
    backend: requested.backend,
    onnxOptimizer: requested.onnxOptimizer,
  };
  const changeable = new Set<string>(RESUME_CHANGEABLE);
  const keys = new Set([...Object.keys(requested), ...Object.keys(saved)]);
  const ignored: IgnoredSetting[] = [];
  for (const key of [...keys].sort()) {
    if (changeable.has(key)) continue;
    const a = (requested as Record<string, unknown>)[key];
    const b = (saved as Record<string, unknown>)[key];
    if (JSON.stringify(a) !== JSON.stringify(b)) ignored.push({ key, requested: a, checkpoint: b });
  }
  return { config, ignored };
}

/** One line naming each ignored key: "lambda (requested 5, checkpoint 10), ...". */
export function describeIgnored(ignored: IgnoredSetting[]): string {
  return ignored
    .map((i) => `${i.key} (requested ${JSON.stringify(i.requested)}, checkpoint ${JSON.stringify(i.checkpoint)})`)
    .join(', ');
}
