import { describe, expect, it } from 'vitest';
import { trainerDescription } from './run-folder.js';

describe('trainerDescription', () => {
  it('names the implementation and its device', () => {
    expect(trainerDescription({ implementation: 'onnx-cpu', backend: 'wasm' }, { threads: 1 })).toBe(
      'onnx-cpu (onnxruntime CPU, 1 thread)',
    );
    expect(trainerDescription({ implementation: 'onnx-cpu', backend: 'wasm' }, { threads: 4 })).toBe(
      'onnx-cpu (onnxruntime CPU, 4 threads)',
    );
    expect(trainerDescription({ implementation: 'onnx-cpu', backend: 'wasm' }, {})).toBe(
      'onnx-cpu (onnxruntime CPU, one thread per core)',
    );
    expect(trainerDescription({ implementation: 'tfjs-manual', backend: 'wasm' }, {})).toBe(
      'tfjs-manual (tfjs wasm backend)',
    );
    expect(trainerDescription({ implementation: 'webgpu-fused', backend: 'webgpu' }, {})).toBe(
      'webgpu-fused (WGSL kernels on WebGPU)',
    );
    expect(trainerDescription({ backend: 'wasm' }, {})).toBe('wasm');
  });
});
