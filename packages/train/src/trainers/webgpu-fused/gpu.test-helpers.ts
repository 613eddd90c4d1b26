/// <reference types="@webgpu/types" />
import { initBackend, webgpuDevice } from '@wgan/core/backend';
import { Rng } from '@wgan/core';
import { BufferSet, PipelineCache, PlanBuilder, readBuffer } from './gpu.js';
import type { KernelSource } from './kernels/common.js';

/**
 * The WebGPU device for tests: tfjs's (Dawn; Mesa llvmpipe through GLES in compatibility mode on a
 * machine without a GPU, SwiftShader or a GPU through Vulkan when VK_DRIVER_FILES names its driver).
 * Prints one line naming the adapter and Dawn's backend, so a log says what the tests ran on. Null, with
 * the reason printed, when no adapter exists: GPU tests then skip — unless WGAN_DAWN_FLAGS forces a
 * backend (`backend=vulkan`), where a missing adapter is an error rather than a silent skip.
 */
let cached: Promise<GPUDevice | null> | null = null;
export function testDevice(): Promise<GPUDevice | null> {
  cached ??= (async () => {
    try {
      await initBackend('webgpu', { quiet: true });
      const handles = webgpuDevice();
      if (handles) {
        const { vendor, architecture, device, description } = handles.adapterInfo;
        const fields = JSON.stringify({ vendor, architecture, device, description });
        console.log(`webgpu adapter: ${handles.description} | backend ${handles.backend} | ${fields}`);
      }
      return handles?.device ?? null;
    } catch (e) {
      if (/backend=/.test(process.env.WGAN_DAWN_FLAGS ?? '')) throw e;
      console.warn(`skipping WebGPU tests: ${(e as Error).message}`);
      return null;
    }
  })();
  return cached;
}

/** Resolves once, at module load, so `describe.skipIf` can use it. */
export const device = await testDevice();

export type Data = Float32Array | Uint32Array;

/**
 * Runs one dispatch of `kernel` with the given storage contents (binding 1, 2, ... in order; the same
 * array object twice binds the same buffer twice) and returns every storage buffer's contents after.
 */
export async function runKernel(
  dev: GPUDevice,
  kernel: KernelSource,
  uniform: ArrayBuffer,
  storage: Data[],
  workgroups: [number, number, number],
): Promise<Float32Array[]> {
  const buffers = new BufferSet(dev);
  const pipelines = new PipelineCache(dev);
  dev.pushErrorScope('validation');
  const made = new Map<Data, GPUBuffer>();
  const bound = storage.map((data) => {
    let b = made.get(data);
    if (!b) {
      b = buffers.storage(kernel.label, data.length);
      dev.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
      made.set(data, b);
    }
    return b;
  });
  const plan = new PlanBuilder(dev, pipelines, buffers);
  plan.add(kernel, uniform, bound, workgroups);
  const built = plan.build('test');
  const encoder = dev.createCommandEncoder();
  const pass = encoder.beginComputePass();
  built.encode(pass);
  pass.end();
  dev.queue.submit([encoder.finish()]);
  const out: Float32Array[] = [];
  for (let i = 0; i < storage.length; i++)
    out.push(new Float32Array(await readBuffer(dev, buffers, bound[i], 0, storage[i].length * 4)));
  const error = await dev.popErrorScope();
  buffers.destroyAll();
  if (error) throw new Error(`${kernel.label}: ${error.message}\n${kernel.code}`);
  return out;
}

export function uniform(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  return rng.fillUniform(new Float32Array(n), lo, hi);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN propagates as NaN
  }
  return m;
}
