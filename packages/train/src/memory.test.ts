import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import { seed001Critic } from './models/architectures.js';
import { Network } from './models/network.js';
import { createOptimizer } from './optimizers.js';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

describe('tensor bookkeeping of networks and optimisers', () => {
  it('leaves tf.memory().numTensors where it was after create → assign → optimise → setState → dispose', async () => {
    const before = tf.memory().numTensors;
    const spec = seed001Critic([8], 6);
    const net = Network.create(spec, Rng.fromSeed(1));
    expect(tf.memory().numTensors).toBe(before + 4); // the four parameters, nothing else
    net.assign(await net.readValues());
    for (const config of [
      { type: 'adam', lr: 1e-3, beta1: 0.5, beta2: 0.9, eps: 1e-8 },
      { type: 'rmsprop', lr: 1e-3, alpha: 0.99, eps: 1e-8 },
    ] as const) {
      const opt = createOptimizer(config);
      const params = net.trainableNames().map((name) => ({ name, variable: net.get(name) }));
      const grads = params.map((p) => tf.onesLike(p.variable));
      opt.apply(params, grads);
      opt.setState(await opt.getState());
      tf.dispose(grads);
      opt.dispose();
    }
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
