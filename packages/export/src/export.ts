import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { artifactPaths, artifactsRoot, folderInside, parentRef, PipelineError, Rng, withArtifactLock, writeArtifact, writeFileAtomic, type Artifact, type Logger, type ParentRef } from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { outputRange, type NetworkSpec } from '@wgan/train';
import pkg from '../package.json' with { type: 'json' };
import { checkOnnxModels, type CheckResult } from './checker.js';
import { loadCheckpoint, resolveCheckpoint, type LoadedNetwork } from './checkpoint.js';
import { exportPaths, type ExportConfig } from './config.js';
import { networkToOnnx, type ConvertedModel } from './convert.js';
import { IR_VERSION, OPSET, type ValueInfo } from '@wgan/train';
import { measureParity, type ParityResult } from './parity.js';

export const EXPORT_STAGE = 'export';

/** One exported model as the export manifest describes it (serve and evaluate read these fields). */
export interface ExportedModel {
  file: string;
  role: string;
  inputs: (ValueInfo & { dtype: 'float32' })[];
  outputs: (ValueInfo & { dtype: 'float32'; range: [number, number] | null })[];
  opTypes: string[];
  sizeBytes: number;
  parity: ParitySummary;
}

export interface ParitySummary {
  samples: number;
  maxAbsError: number;
  maxAbsOutput: number;
  /** The bound it was held to. */
  tolerance: number;
  backend: string;
  seed: number;
}

/**
 * The export manifest's meta. `parity` is the generator's (the headline figure); each model carries
 * its own under `models`.
 */
export interface ExportMeta {
  run: string;
  checkpoint: string;
  iteration: number;
  epoch: number | null;
  model: string | null;
  loss: string | null;
  latentDim: number;
  /** p(z) the generator was trained on (serve and evaluate sample from it): N(0, I) or U(−1, 1) (seed 002's GANs). */
  noise: 'normal' | 'uniform';
  opset: number;
  irVersion: number;
  models: { generator: ExportedModel; critic?: ExportedModel };
  parity: { samples: number; maxAbsError: number; backend: string };
  source: { checkpoint: ParentRef };
  checker: CheckResult;
}

export interface ExportResult {
  artifact: Artifact;
  meta: ExportMeta;
}

/**
 * Exports a train checkpoint: verifies it (every sha256), converts the generator (and optionally the
 * critic) to ONNX, runs both implementations on `paritySamples` seeded latent vectors and refuses to
 * write a model whose outputs differ by more than the tolerance, runs the ONNX checker where present,
 * and writes the artifact atomically, then points `artifacts/export/<run>/latest` at it.
 */
export async function exportCheckpoint(config: ExportConfig, options: { logger?: Logger } = {}): Promise<ExportResult> {
  const paths = exportPaths(config);
  const checkpointDir = await resolveCheckpoint(paths.runDir, config.checkpoint);
  const out = paths.out ?? artifactPaths.export(paths.run, basename(checkpointDir));
  const lock = { stage: EXPORT_STAGE, logger: options.logger, flag: paths.out ? '--out' : '--run' };
  return withArtifactLock(out, lock, () => exportLocked(config, options, checkpointDir, out));
}

/** The export itself, run while holding the output folder's lock. */
async function exportLocked(config: ExportConfig, options: { logger?: Logger }, checkpointDir: string, out: string): Promise<ExportResult> {
  const log = options.logger;
  const ckpt = await loadCheckpoint(checkpointDir, { critic: config.critic });
  log?.info('checkpoint verified', { dir: checkpointDir, iteration: ckpt.meta.iteration });

  await initBackend(config.backend, { quiet: true });
  const dz = ckpt.meta.latentDim;
  const n = config.paritySamples;
  const trainConfig = (ckpt.artifact.manifest.config ?? {}) as { noise?: unknown };
  const noise = trainConfig.noise === 'uniform' ? 'uniform' : 'normal';
  // parity on the latents the generator was trained on
  const z = noise === 'uniform' ? Rng.fromSeed(config.paritySeed).fillUniform(new Float32Array(n * dz), -1, 1) : Rng.fromSeed(config.paritySeed).fillNormal(new Float32Array(n * dz));
  const metadata = { run: config.run, checkpoint: ckpt.name, iteration: String(ckpt.meta.iteration), source_manifest_sha256: ckpt.artifact.manifestSha256 };

  const generator = convert(ckpt.generator, metadata, `${config.run} generator at iteration ${ckpt.meta.iteration}`);
  const gParity = await measureParity(ckpt.generator.spec, ckpt.generator.values, generator.bytes, generator.io.input.shape, z, n);
  const gSummary = judge('generator', gParity, config, false);
  log?.info('generator parity', { maxAbsError: gSummary.maxAbsError, samples: n, backend: gSummary.backend });

  let critic: { model: ConvertedModel; summary: ParitySummary; spec: NetworkSpec } | null = null;
  if (ckpt.critic) {
    const model = convert(ckpt.critic, metadata, `${config.run} critic at iteration ${ckpt.meta.iteration}`);
    // The critic is judged on what it is there for: the generator's images (tfjs's, the reference ones).
    const cParity = await measureParity(ckpt.critic.spec, ckpt.critic.values, model.bytes, model.io.input.shape, gParity.reference, n);
    critic = { model, summary: judge('critic', cParity, config, true), spec: ckpt.critic.spec };
    log?.info('critic parity', { maxAbsError: critic.summary.maxAbsError, maxAbsScore: critic.summary.maxAbsOutput });
  }

  const source = parentRef(ckpt.artifact, artifactsRoot());
  const artifact = await writeArtifact(out, { stage: EXPORT_STAGE, packageVersion: pkg.version, config, parents: [source] }, async (tmp) => {
    await writeFile(join(tmp, 'generator.onnx'), generator.bytes);
    if (critic) await writeFile(join(tmp, 'critic.onnx'), critic.model.bytes);
    const checker = checkOnnxModels([join(tmp, 'generator.onnx'), ...(critic ? [join(tmp, 'critic.onnx')] : [])]);
    const meta: ExportMeta = {
      run: config.run,
      checkpoint: ckpt.name,
      iteration: ckpt.meta.iteration,
      epoch: ckpt.meta.epoch ?? null,
      model: ckpt.meta.model ?? null,
      loss: ckpt.meta.loss ?? null,
      latentDim: dz,
      noise,
      opset: OPSET,
      irVersion: IR_VERSION,
      models: {
        generator: describe('generator.onnx', ckpt.generator.spec, generator, gSummary),
        ...(critic ? { critic: describe('critic.onnx', critic.spec, critic.model, critic.summary) } : {}),
      },
      parity: { samples: gSummary.samples, maxAbsError: gSummary.maxAbsError, backend: gSummary.backend },
      source: { checkpoint: source },
      checker,
    };
    return meta as unknown as Record<string, unknown>;
  });
  if (!config.out) await writeFileAtomic(join(runExportsDir(config.run), 'latest'), `${ckpt.name}\n`);
  const meta = artifact.manifest.meta as unknown as ExportMeta;
  if (meta.checker.status === 'skipped') log?.warn('ONNX checker skipped', { reason: meta.checker.reason });
  else log?.info('ONNX checker passed', { onnx: meta.checker.onnxVersion });
  return { artifact, meta };
}

/** artifacts/export/<run>/ (holds one folder per exported checkpoint and `latest`). */
export function runExportsDir(run: string): string {
  return folderInside(join(artifactsRoot(), 'export'), '--run', run);
}

function convert(net: LoadedNetwork, metadata: Record<string, string>, doc: string): ConvertedModel {
  return networkToOnnx(net.spec, net.values, { producerVersion: pkg.version, docString: `wgan-pipeline ${doc}`, metadata });
}

/** Holds a parity result to the tolerance (unbounded outputs: relative to max(1, max |output|)). */
function judge(what: string, p: ParityResult, config: ExportConfig, relative: boolean): ParitySummary {
  const tolerance = relative ? config.parityTolerance * Math.max(1, p.maxAbsOutput) : config.parityTolerance;
  if (!(p.maxAbsError <= tolerance)) {
    throw new PipelineError(
      `${what}: onnxruntime and tfjs differ by ${p.maxAbsError.toExponential(3)} (bound ${tolerance.toExponential(1)}) on ${p.samples} samples`,
      `${what}.onnx`,
      'the exported graph does not compute the network: this is a bug in export (report it with the checkpoint); nothing was written',
      1,
    );
  }
  return { samples: p.samples, maxAbsError: p.maxAbsError, maxAbsOutput: p.maxAbsOutput, tolerance, backend: p.backend, seed: config.paritySeed };
}

/** The output range a network's last layer guarantees (tanh: [−1, 1], sigmoid: [0, 1]), else null: train's rule. */
export { outputRange };

function describe(file: string, spec: NetworkSpec, m: ConvertedModel, parity: ParitySummary): ExportedModel {
  return {
    file,
    role: spec.role,
    inputs: m.inputs.map((v) => ({ ...v, dtype: 'float32' as const })),
    outputs: m.outputs.map((v) => ({ ...v, dtype: 'float32' as const, range: outputRange(spec) })),
    opTypes: m.opTypes,
    sizeBytes: m.bytes.length,
    parity,
  };
}
