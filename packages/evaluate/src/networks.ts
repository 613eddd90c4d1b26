import { tf } from '@wgan/core/backend';
import type { Rng } from '@wgan/core';
import { Network, type NetworkSpec } from '@wgan/train';

/**
 * Network.fromValues / Network.create inside a tidy scope. train's Network.fromValues builds each
 * variable from a `tf.tensor(values)` it never disposes, which leaves one tensor per parameter alive for
 * the life of the process (18 per evaluation here). Variables are not tracked by tidy, so wrapping the
 * call frees exactly those initial tensors. Drop this file once train's fromValues disposes them itself.
 */
export function networkFromValues(spec: NetworkSpec, values: Map<string, Float32Array>, namePrefix?: string): Network {
  let net: Network | undefined;
  tf.tidy(() => {
    net = Network.fromValues(spec, values, namePrefix);
  });
  return net as Network;
}

export function createNetwork(spec: NetworkSpec, rng: Rng, namePrefix?: string): Network {
  let net: Network | undefined;
  tf.tidy(() => {
    net = Network.create(spec, rng, namePrefix);
  });
  return net as Network;
}
