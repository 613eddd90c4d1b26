import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PipelineError } from './errors.js';
import { NVIDIA_ICD, adapterBackend, decideWebgpu, probeMachine } from './webgpu-probe.js';

/**
 * Backend selection for every stage that runs tfjs: one code path, four backends.
 *
 * - `tensorflow`: `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` (native libtensorflow). Optional
 *   dependencies: their install downloads libtensorflow, which fails without network, so usually absent.
 * - `webgpu`: `@tensorflow/tfjs-backend-webgpu` over Dawn (npm `webgpu`), Vulkan on NVIDIA, or Mesa in
 *   compatibility mode (GLES, llvmpipe) for correctness tests without a GPU.
 * - `wasm`: XNNPACK with SIMD, single-threaded in Node: the realistic CPU path.
 * - `cpu`: plain JavaScript; slow, always there.
 *
 * `auto` takes the first that works of: webgpu on a hardware adapter, tensorflow, wasm, cpu — and says why.
 */
export const BACKENDS = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendRequest = BackendName | 'auto';

export interface BackendInfo {
  name: BackendName;
  /** What runs the arithmetic: "NVIDIA H100 (vulkan)", "llvmpipe (opengles)", "wasm simd", ... */
  device: string;
  /** Why this one was chosen (and why the ones before it in `auto` order were not). */
  reason: string;
  /** True when the backend runs on a hardware GPU. */
  gpu: boolean;
}

const require = createRequire(import.meta.url);

let current: BackendInfo | null = null;

export function currentBackend(): BackendInfo | null {
  return current;
}

export function parseBackend(value: string): BackendRequest {
  if (value === 'auto' || (BACKENDS as readonly string[]).includes(value)) return value as BackendRequest;
  throw new PipelineError(`unknown backend "${value}"`, '--backend', `use one of: auto, ${BACKENDS.join(', ')}`);
}

/**
 * Initialises tfjs on the requested backend and returns what it got. An explicit backend that cannot
 * start is an error naming the reason; `auto` falls through to the next candidate.
 */
export async function initBackend(
  request: BackendRequest = 'auto',
  options: { quiet?: boolean } = {},
): Promise<BackendInfo> {
  tf.env().set('PROD', true); // no "install tfjs-node" banner, no debug checks
  if (request !== 'auto') {
    const result = await tryBackend(request, false);
    if ('error' in result) {
      throw new PipelineError(
        `backend "${request}" is not available: ${result.error}`,
        '--backend',
        'use --backend auto to take the fastest one present',
      );
    }
    current = { ...result, reason: `requested with --backend ${request}` };
    return current;
  }
  const skipped: string[] = [];
  for (const name of ['webgpu', 'tensorflow', 'wasm', 'cpu'] as const) {
    const result = await tryBackend(name, true);
    if ('error' in result) {
      skipped.push(`${name}: ${result.error}`);
      if (result.gpuPresent && !options.quiet) process.stderr.write(`webgpu not used: ${result.error}\n`);
      continue;
    }
    current = {
      ...result,
      reason:
        `auto: first available of webgpu > tensorflow > wasm > ` +
        `cpu${skipped.length ? ` (skipped ${skipped.join('; ')})` : ''}`,
    };
    if (!options.quiet) process.stderr.write(`backend: ${current.name} on ${current.device} — ${current.reason}\n`);
    return current;
  }
  throw new PipelineError('no tfjs backend could start', '--backend', 'reinstall with `npm ci`');
}

type Attempt = Omit<BackendInfo, 'reason'> | { error: string; gpuPresent?: boolean };

async function tryBackend(name: BackendName, auto: boolean): Promise<Attempt> {
  try {
    switch (name) {
      case 'cpu':
        await setAndCheck('cpu');
        return { name, device: 'javascript', gpu: false };
      case 'wasm':
        return await startWasm();
      case 'tensorflow':
        return await startTensorflow();
      case 'webgpu':
        return await startWebgpu(auto);
    }
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0], gpuPresent: e instanceof WebgpuFallback && e.gpuPresent };
  }
}

async function setAndCheck(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
}

async function startWasm(): Promise<Attempt> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
  wasm.setWasmPaths(`${dist}/`);
  await setAndCheck('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return { name: 'wasm', device: `wasm${simd ? ' simd' : ''}, 1 thread`, gpu: false };
}

async function startTensorflow(): Promise<Attempt> {
  const errors: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      await setAndCheck('tensorflow');
      return {
        name: 'tensorflow',
        device: pkg.endsWith('gpu') ? 'libtensorflow (CUDA)' : 'libtensorflow (CPU)',
        gpu: pkg.endsWith('gpu'),
      };
    } catch (e) {
      errors.push(`${pkg} not installed`);
      void e;
    }
  }
  throw new Error(`${errors.join(', ')} (their install downloads libtensorflow; optional)`);
}

/** Options for Dawn: `WGAN_DAWN_FLAGS="backend=opengles"` forces Mesa/GLES, for example. */
function dawnFlags(): string[] {
  return (process.env.WGAN_DAWN_FLAGS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface WebgpuHandles {
  device: GPUDevice;
  adapterInfo: GPUAdapterInfo;
  software: boolean;
  description: string;
  /** Dawn's backend: vulkan, opengles, ... */
  backend: string;
}

let webgpuHandles: WebgpuHandles | null = null;

/** The GPUDevice tfjs's webgpu backend runs on (for fused kernels that share its buffers). */
export function webgpuDevice(): WebgpuHandles | null {
  return webgpuHandles;
}

/** On Linux, a GPU shows up as /dev/nvidia* or /dev/dri/render*; without one `auto` does not probe Dawn. */
export function hasGpuDevice(): boolean {
  if (process.platform !== 'linux') return true;
  const probe = probeMachine();
  return probe.nvidiaNodes.length > 0 || probe.renderNodes.length > 0;
}

/** Thrown by `startWebgpu` under `auto` when the decision is to fall back; `gpuPresent` makes it loud. */
class WebgpuFallback extends Error {
  constructor(
    message: string,
    readonly gpuPresent: boolean,
  ) {
    super(message);
  }
}

async function startWebgpu(auto: boolean): Promise<Attempt> {
  if (!process.env.VK_DRIVER_FILES && !process.env.VK_ICD_FILENAMES && existsSync(NVIDIA_ICD)) {
    process.env.VK_DRIVER_FILES = NVIDIA_ICD;
  }
  if (!process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = 'surfaceless';
  const flags = dawnFlags();
  // WGAN_DAWN_FLAGS means the caller chose Dawn's setup: `auto` then asks Dawn without probing first.
  const probing = auto && flags.length === 0;
  const probe = probeMachine();
  const gpuPresent = probe.nvidiaNodes.length > 0;
  if (probing) {
    const before = decideWebgpu(probe);
    if (before.action === 'fallback') throw new WebgpuFallback(before.message, gpuPresent);
  }
  const webgpu = (await import('webgpu')) as unknown as {
    create: (flags: string[]) => GPU;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, webgpu.globals);
  let usedFlags = flags;
  let gpu = webgpu.create(flags);
  let adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter && !flags.some((f) => f.startsWith('backend='))) {
    // No Vulkan driver: Mesa's GLES in compatibility mode still runs compute shaders (on the CPU).
    usedFlags = ['backend=opengles'];
    gpu = webgpu.create(usedFlags);
    adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
  } else if (!adapter) {
    adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
  }
  const info = adapter?.info;
  const description = info
    ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ').trim() ||
      'unknown adapter'
    : '';
  const fallbackFlag = Boolean((info as unknown as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter);
  const software = /llvmpipe|swiftshader|lavapipe|software|cpu/i.test(description) || fallbackFlag;
  const backend = adapterBackend(description, usedFlags);
  if (probing) {
    const summary = adapter ? { description, software, backend } : null;
    const after = decideWebgpu({ ...probe, adapter: summary, adapterRequested: true });
    if (after.action === 'fallback') throw new WebgpuFallback(after.message, gpuPresent);
  } else if (auto && adapter && software) {
    throw new WebgpuFallback(`only a software adapter (${description})`, gpuPresent);
  }
  if (!adapter || !info) throw new Error('no WebGPU adapter (no Vulkan driver, no GLES)');
  const limits = adapter.limits;
  const requiredLimits: Record<string, number> = {};
  for (const key of [
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxComputeWorkgroupSizeY',
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxStorageBuffersPerShaderStage',
    'maxComputeWorkgroupsPerDimension',
  ]) {
    const v = (limits as unknown as Record<string, number>)[key];
    if (typeof v === 'number') requiredLimits[key] = v;
  }
  const requiredFeatures = (['timestamp-query', 'shader-f16'] as GPUFeatureName[]).filter((f) =>
    adapter.features.has(f),
  );
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  (globalThis as { navigator?: unknown }).navigator = { gpu }; // before the tfjs backend module loads
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, info));
  await setAndCheck('webgpu');
  webgpuHandles = { device, adapterInfo: info, software, description, backend };
  return { name: 'webgpu', device: `${description} (dawn, ${backend})`, gpu: !software };
}

/** Reads a tensor's values; `dataSync` throws on webgpu, so every stage reads through this. */
export async function readValues(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

export { tf };

export { adapterBackend, decideWebgpu, probeMachine, type WebgpuDecision, type WebgpuProbe } from './webgpu-probe.js';
