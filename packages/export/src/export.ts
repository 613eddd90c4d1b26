import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  artifactPaths,
  artifactsRoot,
  folderInside,
  parentRef,
  PipelineError,
  Rng,
  withArtifactLock,
  writeArtifact,
  writeFileAtomic,
  type Artifact,
  type Logger,
  type ParentRef,
} from '@wgan/core';
import { initBackend } from '@wgan/core/backend';
import { cyclicLabels, outputRange, type NetworkSpec } from '@wgan/train';
import pkg from '../package.json' with { type: 'json' };
import { checkOnnxModels, type CheckResult } from './checker.js';
import { labelClasses, loadCheckpoint, resolveCheckpoint, type LoadedNetwork } from './checkpoint.js';
import { exportPaths, type ExportConfig } from './config.js';
import { LABEL_INPUT, networkToOnnx, type ConvertedModel } from './convert.js';
import { IR_VERSION, OPSET, type ValueInfo } from '@wgan/train';
import { measureParity, type ParityResult } from './parity.js';
import { FALSE_ALARM_PROBABILITY, type ReferenceComparison } from './reference.js';

export const EXPORT_STAGE = 'export';

/** One exported model as the export manifest describes it (serve and evaluate read these fields). */
export interface ExportedModel {
  file: string;
  role: string;
  inputs: (ValueInfo & { dtype: 'float32' | 'int64' })[];
  outputs: (ValueInfo & { dtype: 'float32'; range: [number, number] | null })[];
  opTypes: string[];
  sizeBytes: number;
  parity: ParitySummary;
}

/** One implementation's outputs against the float64 evaluation (the manifest's numbers). */
export interface ImplementationSummary {
  /** max |ŷ − y| over every output of every sample. */
  maxAbsError: number;
  /** max |ŷ − y| / max(|y|, 10⁻³·max|y|). */
  maxRelError: number;
  /** max |ŷ − y| / bound over the outputs (≤ 1 passes). */
  worstRatio: number;
}

/**
 * The parity check of one model: onnxruntime (the exported graph) and tfjs (Network.apply on `backend`)
 * against the float64 evaluation of the checkpoint, each output held to its float32 rounding bound.
 */
export interface ParitySummary {
  samples: number;
  seed: number;
  backend: string;
  reference: 'float64';
  /** The largest per-output bound D + λσ, and λ (README: the derivation). */
  maxBound: number;
  lambda: number;
  falseAlarmProbability: number;
  maxAbsOutput: number;
  onnxruntime: ImplementationSummary;
  tfjs: ImplementationSummary;
  /** onnxruntime's max |ŷ − y| (the figure serve shows). */
  maxAbsError: number;
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
  /**
   * A class-conditional model (train --conditional): each graph takes a second input `label`, int64 [N],
   * one class 0..K − 1 per row (the one-hot is built inside the graph). Absent for unconditional models.
   */
  conditional?: { classes: number; labelInput: string; labelDtype: 'int64' };
  opset: number;
  irVersion: number;
  models: { generator: ExportedModel; critic?: ExportedModel };
  /** The generator's check: onnxruntime's max |ŷ − y| against the float64 evaluation, and its bound. */
  parity: { samples: number; maxAbsError: number; maxBound: number; backend: string; reference: 'float64' };
  source: { checkpoint: ParentRef };
  checker: CheckResult;
}

export interface ExportResult {
  artifact: Artifact;
  meta: ExportMeta;
}

/**
 * Exports a train checkpoint: verifies it (every sha256), converts the generator (and optionally the
 * critic) to ONNX, runs onnxruntime on the graph and tfjs on the checkpoint for `paritySamples` seeded
 * latent vectors and refuses to write a model where either disagrees with the float64 evaluation of the
 * checkpoint beyond its float32 rounding bound, runs the ONNX checker where present,
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
async function exportLocked(
  config: ExportConfig,
  options: { logger?: Logger },
  checkpointDir: string,
  out: string,
): Promise<ExportResult> {
  const log = options.logger;
  const ckpt = await loadCheckpoint(checkpointDir, { critic: config.critic });
  log?.info('checkpoint verified', { dir: checkpointDir, iteration: ckpt.meta.iteration });

  await initBackend(config.backend, { quiet: true });
  const dz = ckpt.meta.latentDim;
  const n = config.paritySamples;
  const classes = labelClasses(ckpt.meta);
  // a conditional model's parity runs over every class (labels 0, 1, …, K − 1, 0, …)
  const conditional = classes > 0 ? { labels: cyclicLabels(n, classes), classes } : undefined;
  const trainConfig = (ckpt.artifact.manifest.config ?? {}) as { noise?: unknown };
  const noise = trainConfig.noise === 'uniform' ? 'uniform' : 'normal';
  // parity on the latents the generator was trained on
  const z =
    noise === 'uniform'
      ? Rng.fromSeed(config.paritySeed).fillUniform(new Float32Array(n * dz), -1, 1)
      : Rng.fromSeed(config.paritySeed).fillNormal(new Float32Array(n * dz));
  const metadata = {
    run: config.run,
    checkpoint: ckpt.name,
    iteration: String(ckpt.meta.iteration),
    source_manifest_sha256: ckpt.artifact.manifestSha256,
  };

  const generator = convert(
    ckpt.generator,
    metadata,
    `${config.run} generator at iteration ${ckpt.meta.iteration}`,
    classes,
  );
  const gParity = await measureParity(
    ckpt.generator.spec,
    ckpt.generator.values,
    generator.bytes,
    generator.io.input.shape,
    z,
    n,
    conditional,
  );
  const gSummary = judgeParity('generator', gParity, config);
  log?.info('generator parity', parityLog(gSummary));

  let critic: { model: ConvertedModel; summary: ParitySummary; spec: NetworkSpec } | null = null;
  if (ckpt.critic) {
    const model = convert(ckpt.critic, metadata, `${config.run} critic at iteration ${ckpt.meta.iteration}`, classes);
    // The critic is judged on what it is there for: the generator's images (the float64 ones, rounded
    // to float32 once, so all three evaluations see the same input).
    const images = Float32Array.from(gParity.reference.value);
    const { spec, values } = ckpt.critic;
    const cParity = await measureParity(spec, values, model.bytes, model.io.input.shape, images, n, conditional);
    critic = { model, summary: judgeParity('critic', cParity, config), spec: ckpt.critic.spec };
    log?.info('critic parity', parityLog(critic.summary));
  }

  const source = parentRef(ckpt.artifact, artifactsRoot());
  const artifact = await writeArtifact(
    out,
    { stage: EXPORT_STAGE, packageVersion: pkg.version, config, parents: [source] },
    async (tmp) => {
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
        ...(classes > 0 ? { conditional: { classes, labelInput: LABEL_INPUT, labelDtype: 'int64' as const } } : {}),
        opset: OPSET,
        irVersion: IR_VERSION,
        models: {
          generator: describe('generator.onnx', ckpt.generator.spec, generator, gSummary),
          ...(critic ? { critic: describe('critic.onnx', critic.spec, critic.model, critic.summary) } : {}),
        },
        parity: {
          samples: gSummary.samples,
          maxAbsError: gSummary.maxAbsError,
          maxBound: gSummary.maxBound,
          backend: gSummary.backend,
          reference: 'float64',
        },
        source: { checkpoint: source },
        checker,
      };
      return meta as unknown as Record<string, unknown>;
    },
  );
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

function convert(net: LoadedNetwork, metadata: Record<string, string>, doc: string, classes = 0): ConvertedModel {
  return networkToOnnx(net.spec, net.values, {
    producerVersion: pkg.version,
    docString: `wgan-pipeline ${doc}`,
    metadata: classes > 0 ? { ...metadata, classes: String(classes) } : metadata,
    ...(classes > 0 ? { classes } : {}),
  });
}

/**
 * Holds both implementations to the float32 rounding bound of every output; throws naming the network,
 * the implementation, the sample and the numbers when one is beyond it.
 */
export function judgeParity(what: string, p: ParityResult, config: Pick<ExportConfig, 'paritySeed'>): ParitySummary {
  const specFile = `${what === 'generator' ? 'generator' : 'critic'}.json`;
  const report = `nothing was written. Report it with the checkpoint (its spec is in ${specFile})`;
  const checks = [
    {
      name: 'onnxruntime (the exported graph)',
      r: p.onnxruntime,
      hint: `the exported graph does not compute the network the checkpoint describes; ${report}`,
    },
    {
      name: `tfjs (Network.apply on ${p.backend})`,
      r: p.tfjs,
      hint: `tfjs's Network.apply, or the float64 evaluation, does not compute the checkpoint's network; ${report}`,
    },
  ];
  for (const { name, r, hint } of checks) {
    if (r.worstRatio <= 1) continue;
    const w = r.worst;
    const x = (v: number) => v.toExponential(3);
    throw new PipelineError(
      `${what}: ${name} disagrees with the float64 evaluation of the checkpoint beyond what float32 rounding ` +
        `explains: sample ${w.sample}, output ${w.index}: got ${w.got}, float64 ${w.reference.toPrecision(8)}, ` +
        `|error| ${x(w.error)} > bound ${x(w.bound)} (${r.worstRatio.toPrecision(3)}× the bound; over ` +
        `${p.samples} samples max |error| ${x(r.maxAbsError)}, max relative ${x(r.maxRelError)}, ` +
        `largest bound ${x(r.maxBound)})`,
      `${what}.onnx`,
      hint,
      1,
    );
  }
  const summary = (r: ReferenceComparison): ImplementationSummary => ({
    maxAbsError: r.maxAbsError,
    maxRelError: r.maxRelError,
    worstRatio: r.worstRatio,
  });
  return {
    samples: p.samples,
    seed: config.paritySeed,
    backend: p.backend,
    reference: 'float64',
    maxBound: p.onnxruntime.maxBound,
    lambda: p.lambda,
    falseAlarmProbability: FALSE_ALARM_PROBABILITY,
    maxAbsOutput: p.maxAbsOutput,
    onnxruntime: summary(p.onnxruntime),
    tfjs: summary(p.tfjs),
    maxAbsError: p.onnxruntime.maxAbsError,
  };
}

/** The numbers of a parity check for the log. */
function parityLog(s: ParitySummary): Record<string, unknown> {
  const f = (v: number) => Number(v.toExponential(3));
  return {
    samples: s.samples,
    backend: s.backend,
    bound: f(s.maxBound),
    onnxMaxAbs: f(s.onnxruntime.maxAbsError),
    onnxMaxRel: f(s.onnxruntime.maxRelError),
    onnxOfBound: f(s.onnxruntime.worstRatio),
    tfjsMaxAbs: f(s.tfjs.maxAbsError),
    tfjsMaxRel: f(s.tfjs.maxRelError),
    tfjsOfBound: f(s.tfjs.worstRatio),
  };
}

/** The output range a network's last layer guarantees (tanh: [−1, 1], sigmoid: [0, 1]), else null: train's rule. */
export { outputRange };

function describe(file: string, spec: NetworkSpec, m: ConvertedModel, parity: ParitySummary): ExportedModel {
  return {
    file,
    role: spec.role,
    inputs: m.inputs.map((v) => ({ ...v, dtype: v.elemType === 'int64' ? ('int64' as const) : ('float32' as const) })),
    outputs: m.outputs.map((v) => ({ ...v, dtype: 'float32' as const, range: outputRange(spec) })),
    opTypes: m.opTypes,
    sizeBytes: m.bytes.length,
    parity,
  };
}
