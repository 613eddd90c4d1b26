import { describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { tf } from '@wgan/core/backend';
import { gradientPenalty, rowNorms } from '../../losses.js';
import { Network } from '../../models/network.js';
import { tinyDcganCritic } from '../../testing/index.js';
import { criticInputGradientAutodiff } from '../tfjs/penalty.js';
import { device } from './gpu.test-helpers.js';

/**
 * The DCGAN-as-WGAN-GP question on the webgpu backend (Mesa llvmpipe here): the penalty of a conv critic
 * differentiated twice. tfjs has no gradient for MaxPoolGrad; conv-gradients.ts registers a maxPool
 * gradient made of differentiable ops on every backend.
 */
const critic = tinyDcganCritic();

describe.skipIf(!device)('gradient penalty of a conv critic on webgpu', () => {
  it('has the weight gradient of finite differences of the penalty', async () => {
    const rng = Rng.fromSeed(9);
    const net = Network.create(critic, rng);
    const x = tf.tensor2d(rng.fillUniform(new Float32Array(2 * 784), -1, 1), [2, 784]);
    const penalty = () => gradientPenalty(rowNorms(criticInputGradientAutodiff(net, x)), 10);
    const { value, grads } = tf.variableGrads(penalty, net.trainable());
    value.dispose();
    for (const [name, index] of [
      ['1.kernel', 3],
      ['4.kernel', 20],
      ['8.kernel', 7],
    ] as const) {
      const v = net.get(name);
      const original = await v.data();
      const at = async (delta: number) => {
        const shifted = Float32Array.from(original);
        shifted[index] += delta;
        v.assign(tf.tensor(shifted, v.shape));
        const p = penalty();
        const out = (await p.data())[0];
        p.dispose();
        return out;
      };
      const h = 5e-4;
      const fd = ((await at(h)) - (await at(-h))) / (2 * h);
      v.assign(tf.tensor(original, v.shape));
      const auto = (await grads[v.name].data())[index];
      expect(Math.abs(auto - fd), `${name}[${index}]: autodiff ${auto}, finite differences ${fd}`).toBeLessThan(
        1e-2 * Math.max(1, Math.abs(fd)),
      );
    }
    tf.dispose([x, ...Object.values(grads)]);
    net.dispose();
  });
});
