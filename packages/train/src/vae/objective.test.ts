import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@wgan/core';
import { initBackend, tf } from '@wgan/core/backend';
import { Network } from '../models/network.js';
import type { NetworkSpec } from '../models/spec.js';
import { seed002Decoder, seed002Encoder } from './architectures.js';
import { vaeObjective } from './objective.js';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

/**
 * An independent float64 implementation of the negative ELBO of a dense ReLU encoder/decoder, from the
 * parameter values alone: loss = mean_b [BCE(x_b, λ_b) − c Σ log C(λ_b) + KL_b], with log C in its λ form
 * log(2 artanh(1 − 2λ)/(1 − 2λ)) and the KL as ½Σ(μ² + σ² − 1 − log σ²).
 */
type Params = Map<string, Float64Array>;

function denseRelu(
  spec: NetworkSpec,
  p: Params,
  input: Float64Array,
  rows: number,
  stopBeforeSigmoid: boolean,
): Float64Array {
  let h = input;
  let width = spec.inputSize;
  spec.layers.forEach((layer, i) => {
    if (layer.type === 'dense') {
      const W = p.get(`${i}.kernel`)!;
      const b = p.get(`${i}.bias`)!;
      const out = new Float64Array(rows * layer.units);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < layer.units; j++) {
          let s = b[j];
          for (let k = 0; k < width; k++) s += h[r * width + k] * W[k * layer.units + j];
          out[r * layer.units + j] = s;
        }
      }
      h = out;
      width = layer.units;
    } else if (layer.type === 'relu') {
      h = h.map((v) => Math.max(0, v));
    } else if (layer.type === 'sigmoid') {
      if (!stopBeforeSigmoid) h = h.map((v) => 1 / (1 + Math.exp(-v)));
    } else {
      throw new Error(`reference: no ${layer.type}`);
    }
  });
  return h;
}

function referenceLoss(
  enc: NetworkSpec,
  encParams: Params,
  dec: NetworkSpec,
  decParams: Params,
  x: Float64Array,
  eps: Float64Array,
  B: number,
  dz: number,
  c: number,
): number {
  const h = denseRelu(enc, encParams, x, B, false);
  const z = new Float64Array(B * dz);
  let kl = 0;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < dz; j++) {
      const mu = h[b * 2 * dz + j];
      const logVar = h[b * 2 * dz + dz + j];
      z[b * dz + j] = mu + eps[b * dz + j] * Math.exp(logVar / 2);
      kl += 0.5 * (mu * mu + Math.exp(logVar) - 1 - logVar);
    }
  }
  const logits = denseRelu(dec, decParams, z, B, true);
  const D = dec.outputSize;
  let nll = 0;
  for (let k = 0; k < B * D; k++) {
    const lambda = 1 / (1 + Math.exp(-logits[k]));
    const t = 1 - 2 * lambda;
    const logC = Math.abs(t) < 1e-9 ? Math.LN2 : Math.log((2 * Math.atanh(t)) / t);
    nll -= x[k] * Math.log(lambda) + (1 - x[k]) * Math.log(1 - lambda) + c * logC;
  }
  return (nll + kl) / B;
}

describe('the VAE objective', () => {
  const dz = 2;
  const B = 3;
  const enc = seed002Encoder(dz, [4], 6);
  const dec = seed002Decoder(dz, [5], 6);

  it.each([0, 1, 0.4])(
    'log C coefficient %s: tfjs autodiff gradients of the negative ELBO match float64 central differences',
    async (c) => {
      const rng = Rng.fromSeed(11);
      const encoder = Network.create(enc, rng);
      const decoder = Network.create(dec, rng);
      const x = rng.fillUniform(new Float32Array(B * 6), 0, 1);
      const eps = rng.fillNormal(new Float32Array(B * dz));
      const xt = tf.tensor2d(x, [B, 6]);
      const et = tf.tensor2d(eps, [B, dz]);
      const { value, grads } = tf.variableGrads(() => {
        const t = vaeObjective(encoder, decoder, xt, et, c);
        tf.dispose([t.recon, t.kl, t.bce, t.logC]);
        return t.loss;
      }, [...encoder.trainable(), ...decoder.trainable()]);

      // float64 copies of every parameter, by network (the two share names such as "0.kernel")
      const params = { encoder: new Map() as Params, decoder: new Map() as Params };
      const entries: { p: Float64Array; grad: Float32Array; label: string }[] = [];
      for (const [net, which] of [
        [encoder, 'encoder'],
        [decoder, 'decoder'],
      ] as const) {
        for (const name of net.trainableNames()) {
          const p = Float64Array.from((await net.get(name).data()) as Float32Array);
          params[which].set(name, p);
          entries.push({
            p,
            grad: (await grads[net.get(name).name].data()) as Float32Array,
            label: `${which} ${name}`,
          });
        }
      }
      const x64 = Float64Array.from(x);
      const eps64 = Float64Array.from(eps);
      const reference = () => referenceLoss(enc, params.encoder, dec, params.decoder, x64, eps64, B, dz, c);

      expect((await value.data())[0]).toBeCloseTo(reference(), 4);
      const h = 1e-6;
      let checked = 0;
      for (const { p, grad, label } of entries) {
        for (let i = 0; i < p.length; i++) {
          const keep = p[i];
          p[i] = keep + h;
          const up = reference();
          p[i] = keep - h;
          const down = reference();
          p[i] = keep;
          const fd = (up - down) / (2 * h);
          expect(Math.abs(grad[i] - fd), `${label}[${i}]: autodiff ${grad[i]}, finite difference ${fd}`).toBeLessThan(
            2e-4 * (1 + Math.abs(fd)),
          );
          checked++;
        }
      }
      expect(checked).toBe(6 * 4 + 4 + 4 * 4 + 4 + (2 * 5 + 5) + (5 * 6 + 6)); // every encoder and decoder parameter
      tf.dispose([value, xt, et, ...Object.values(grads)]);
      encoder.dispose();
      decoder.dispose();
    },
  );
});
