import type { DenseChain } from '../../models/dense-chain.js';
import type { WganStepSettings } from '../../trainer.js';
import { GraphBuilder, type ValueInfo } from './graph.js';
import { Ops } from './ops.js';
import { criticOutputDeltas, criticStepGradients, forward, generatorStepGradients, type Params } from './wgan-graph.js';

/**
 * The gradient graphs of the fused-optimiser path: the iteration as one run per step, with the optimiser
 * update outside onnxruntime (native/fused_optimizer.c, one pass over contiguous parameter and slot
 * buffers). Same algebra as buildWganIterationGraph (the same functions build both); weights go in as
 * inputs, gradients come out (into buffers the trainer binds), nothing is updated in the graph.
 *
 * The critics' fakes come from buildFakesGraph (G's forward pass, all n_critic batches in one run).
 */
export interface StepGraph {
  model: Uint8Array;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

/** Critic-step statistics, in this order in the critic step graph's `stats` output. */
export const CRITIC_STEP_STATS = ['lossD', 'gradientPenalty', 'dReal', 'dFake', 'gradNormMean', 'gradNormStd'] as const;

function paramInputs(g: GraphBuilder, chain: DenseChain, prefix: string, inputs: ValueInfo[]): Params {
  return Object.fromEntries(
    chain.params.map((q) => {
      const name = g.reserve(`${prefix}.${q.name}`);
      inputs.push({ name, shape: q.shape });
      return [q.name, name];
    }),
  );
}

function gradientOutputs(g: GraphBuilder, chain: DenseChain, prefix: string, grads: Params): ValueInfo[] {
  // each gradient is a node's output: renamed to the graph output, no copy
  return chain.params.map((q) => ({ name: g.rename(grads[q.name], `${prefix}.${q.name}.grad`), shape: q.shape }));
}

/**
 * One critic step: inputs `D.<param>`, `real` [B, d], `fake` [B, d], `eps` [B, 1] (unused with weight
 * clipping); outputs `D.<param>.grad` and `stats` [6] (CRITIC_STEP_STATS; the penalty 0 and the norms NaN
 * with clipping).
 */
export function buildCriticStepGraph(
  D: DenseChain,
  opts: Pick<WganStepSettings, 'loss' | 'lambda' | 'batchSize'>,
): StepGraph {
  const B = opts.batchSize;
  const gp = opts.loss === 'gp';
  const g = new GraphBuilder('wgan-critic-step');
  const o = new Ops(g);
  const inputs: ValueInfo[] = [];
  const dParams = paramInputs(g, D, 'D', inputs);
  const data = (name: string, shape: number[]) => {
    inputs.push({ name: g.reserve(name), shape });
    return name;
  };
  const real = data('real', [B, D.inputSize]);
  const fake = data('fake', [B, D.inputSize]);
  const eps = gp ? data('eps', [B, 1]) : '';
  const s = criticStepGradients(o, D, dParams, { real, fake, eps, deltaOut: criticOutputDeltas(o, B, gp) }, opts, 'c');
  const stats = o.stack([s.lossD, s.penalty ?? o.scalar(0), s.dReal, s.dFake, s.normMean, s.normStd], 'stats_c');
  const outputs = [
    ...gradientOutputs(g, D, 'D', s.grads),
    { name: g.rename(stats, 'stats'), shape: [CRITIC_STEP_STATS.length] },
  ];
  const model = g.encode({ inputs, outputs, producerVersion: '0.1.0', docString: 'one WGAN critic step: gradients' });
  return { model, inputs, outputs };
}

/**
 * The generator step: inputs `G.<param>`, `D.<param>`, `zg` [B, d_z]; outputs `G.<param>.grad` and
 * `generatorLoss` [1].
 */
export function buildGeneratorStepGraph(G: DenseChain, D: DenseChain, batchSize: number): StepGraph {
  const g = new GraphBuilder('wgan-generator-step');
  const o = new Ops(g);
  const inputs: ValueInfo[] = [];
  const gParams = paramInputs(g, G, 'G', inputs);
  const dParams = paramInputs(g, D, 'D', inputs);
  inputs.push({ name: g.reserve('zg'), shape: [batchSize, G.inputSize] });
  const { grads, lossG } = generatorStepGradients(o, G, D, gParams, dParams, 'zg', batchSize);
  const outputs = [
    ...gradientOutputs(g, G, 'G', grads),
    { name: g.rename(o.reshape(lossG, [1]), 'generatorLoss'), shape: [1] },
  ];
  const model = g.encode({
    inputs,
    outputs,
    producerVersion: '0.1.0',
    docString: 'the WGAN generator step: gradients',
  });
  return { model, inputs, outputs };
}

/**
 * G's forward pass for all the critic steps' fakes: inputs `G.<param>`, `z` [rows, d_z]; output `x`
 * [rows, d] (static shapes, and the last node writes the output: no Identity copy).
 */
export function buildFakesGraph(G: DenseChain, rows: number): StepGraph {
  const g = new GraphBuilder('wgan-fakes');
  const o = new Ops(g);
  const inputs: ValueInfo[] = [];
  const gParams = paramInputs(g, G, 'G', inputs);
  inputs.push({ name: g.reserve('z'), shape: [rows, G.inputSize] });
  const out = forward(o, G, gParams, 'z', 'c_G').output;
  const outputs = [{ name: g.rename(out, 'x'), shape: [rows, G.outputSize] }];
  const model = g.encode({ inputs, outputs, producerVersion: '0.1.0', docString: "the critic steps' fakes" });
  return { model, inputs, outputs };
}
