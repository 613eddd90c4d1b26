import { describe, expect, it } from 'vitest';
import { initBackend, parseBackend, tf, readValues } from './backend.js';
import { PipelineError } from './errors.js';

describe('backend selection', () => {
  it('rejects an unknown backend name with the list of valid ones', () => {
    expect(() => parseBackend('cuda')).toThrow(PipelineError);
    expect(() => parseBackend('cuda')).toThrow(/unknown backend/);
    expect(parseBackend('wasm')).toBe('wasm');
  });

  it('starts wasm with SIMD and computes a matmul', async () => {
    const info = await initBackend('wasm');
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.device).toContain('simd');
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(await readValues(y))).toEqual([11]);
  });

  it('starts cpu on request and says it was requested', async () => {
    const info = await initBackend('cpu');
    expect(info).toMatchObject({ name: 'cpu', gpu: false });
    expect(info.reason).toContain('requested');
  });

  it('auto picks a working backend and explains the choice', async () => {
    const info = await initBackend('auto', { quiet: true });
    expect(['webgpu', 'tensorflow', 'wasm']).toContain(info.name);
    expect(info.reason).toMatch(/^auto: first available/);
    if (info.name === 'wasm') expect(info.reason).toMatch(/skipped webgpu: .*tensorflow: /);
  });

  it('names the reason when an explicit backend is missing', async () => {
    const err = await initBackend('tensorflow').catch((e) => e);
    // tfjs-node is optional and normally absent here; if present, it must have started.
    if (err instanceof PipelineError) {
      expect(err.message).toMatch(/not available: .*tfjs-node/);
      expect(err.where).toBe('--backend');
    } else {
      expect(tf.getBackend()).toBe('tensorflow');
    }
  });
});
