import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Rng, workspaceRoot } from '@wgan/core';
import { initBackend, tf, type BackendRequest } from '@wgan/core/backend';
import {
  BatchSampler,
  createTrainer,
  denseChain,
  drawIterationInputs,
  iterationFlops,
  modelSpecs,
  Network,
  resolveTrainConfig,
} from '@wgan/train';

/**
 * Times the default model's generator iteration (5 critic steps with gradient penalty + 1 generator
 * step, B = 64, seed-001 MLP) on one backend and one trainer implementation: warm-up, then `rounds`
 * rounds of `perRound` iterations, each round timed from its first enqueue to the read-back of its
 * last iteration's statistics (as the PyTorch anchor times `bench` iterations then synchronises).
 * The figure is the median of the rounds' means.
 */
export interface Measurement {
  backend: string;
  device: string;
  implementation: string;
  /** onnx-cpu: where the optimiser update ran ("fused (native addon, …)" or "graph"). */
  optimizer?: string;
  msPerIter: number;
  roundMs: number[];
  iterations: number;
  peakRssMb: number;
  tensorsAlive: number;
  data: string;
}

export interface MeasureOptions {
  backend: BackendRequest;
  implementation?: 'auto' | 'onnx-cpu' | 'tfjs-manual' | 'tfjs-autodiff' | 'webgpu-fused';
  /** onnx-cpu threads (default 1: the comparison with one PyTorch thread; 0 = every core). */
  threads?: number;
  /** onnx-cpu: where the optimiser update runs (default auto: the fused addon where it loads). */
  onnxOptimizer?: 'auto' | 'fused' | 'graph';
  warmup?: number;
  rounds?: number;
  perRound?: number;
  /** A data-prep artifact (default artifacts/data/mnist when present, else random images). */
  data?: string;
}

export async function measure(o: MeasureOptions): Promise<Measurement> {
  const info = await initBackend(o.backend, { quiet: true });
  const config = resolveTrainConfig({
    overrides: {
      implementation: o.implementation ?? 'auto',
      backend: info.name,
      threads: o.threads ?? 1,
      onnxOptimizer: o.onnxOptimizer ?? 'auto',
    },
  });
  const rng = Rng.fromSeed(42);
  const specs = modelSpecs(config);
  const generator = Network.create(specs.generator, rng);
  const critic = Network.create(specs.critic, rng);
  let images: Float32Array;
  let imageCount: number;
  let data = 'random images';
  const dataDir = o.data ?? resolve(workspaceRoot(), 'artifacts/data/mnist');
  if (existsSync(resolve(dataDir, 'manifest.json'))) {
    const { loadDataset } = await import('@wgan/data-prep');
    const ds = await loadDataset(dataDir, ['train']);
    images = ds.train.images;
    imageCount = ds.train.count;
    data = dataDir;
  } else {
    imageCount = 4096;
    images = rng.fillUniform(new Float32Array(imageCount * 784), -1, 1);
  }
  const trainer = await createTrainer(config, { generator, critic, images, imageCount, backend: info.name });
  const sampler = new BatchSampler(imageCount, config.batchSize, config.seed);
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) trainer.iteration(drawIterationInputs(rng, sampler, config));
    await trainer.readStats();
  };
  await run(o.warmup ?? 5);
  const roundMs: number[] = [];
  const rounds = o.rounds ?? 5;
  const perRound = o.perRound ?? 20;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await run(perRound);
    roundMs.push((performance.now() - t0) / perRound);
  }
  const sorted = [...roundMs].sort((a, b) => a - b);
  const threads = trainer.threads ?? 1;
  const device =
    trainer.implementation === 'onnx-cpu'
      ? `onnxruntime CPU (MLAS), ${threads} thread${threads > 1 ? 's' : ''}, optimiser ${trainer.optimizerPath ?? '?'}`
      : info.device;
  const result: Measurement = {
    backend: trainer.implementation === 'onnx-cpu' ? 'onnxruntime' : info.name,
    device,
    implementation: trainer.implementation,
    ...(trainer.optimizerPath ? { optimizer: trainer.optimizerPath } : {}),
    msPerIter: sorted[Math.floor(sorted.length / 2)],
    roundMs,
    iterations: rounds * perRound,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    tensorsAlive: tf.memory().numTensors,
    data,
  };
  trainer.dispose();
  generator.dispose();
  critic.dispose();
  return result;
}

/** FLOP of the matrix products in one generator iteration of the default model (wgan-graph.ts's count). */
export function defaultModelFlops(): number {
  const config = resolveTrainConfig({});
  const specs = modelSpecs(config);
  const loss = config.loss === 'clip' ? 'clip' : 'gp';
  return iterationFlops({
    generator: denseChain(specs.generator),
    critic: denseChain(specs.critic),
    batchSize: config.batchSize,
    nCritic: config.nCritic,
    loss,
  });
}
