/// <reference types="@webgpu/types" />
import type { KernelSource } from './kernels/common.js';

/**
 * Host-side plumbing for the fused kernels: tracked buffers (so dispose frees everything and tests can
 * count what is alive), a pipeline cache keyed by WGSL text, and plans — a fixed list of dispatches
 * whose uniforms and bind groups are built once, so encoding an iteration is only
 * setPipeline/setBindGroup/dispatch calls into one compute pass.
 */

/** Creates and tracks GPU buffers; `destroyAll` frees every buffer it made. */
export class BufferSet {
  private readonly live = new Set<GPUBuffer>();

  constructor(readonly device: GPUDevice) {}

  create(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    // Storage bindings must be non-empty and 4-byte multiples.
    const buffer = this.device.createBuffer({ label, size: Math.max(16, Math.ceil(size / 16) * 16), usage });
    this.live.add(buffer);
    return buffer;
  }

  /** A storage buffer that kernels read and write, copyable both ways. */
  storage(label: string, floats: number): GPUBuffer {
    return this.create(label, floats * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC);
  }

  destroy(buffer: GPUBuffer): void {
    if (this.live.delete(buffer)) buffer.destroy();
  }

  destroyAll(): void {
    for (const b of this.live) b.destroy();
    this.live.clear();
  }

  get count(): number {
    return this.live.size;
  }
}

/** WebGPU's compatibility-mode limit (GLES here); Vulkan allows more, every kernel stays within this. */
export const MAX_STORAGE_BUFFERS = 8;

/** Compiled pipelines, one per distinct kernel source, with explicit bind group layouts. */
export class PipelineCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(readonly device: GPUDevice) {}

  get(kernel: KernelSource): GPUComputePipeline {
    const key = `${kernel.label}\n${kernel.code}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      const storage = kernel.bindings.filter((b) => b !== 'uniform').length;
      if (storage > MAX_STORAGE_BUFFERS)
        throw new Error(
          `${kernel.label}: ${storage} storage buffers, more than ` +
            `the ${MAX_STORAGE_BUFFERS} every target device allows`,
        );
      const layout = this.device.createBindGroupLayout({
        label: kernel.label,
        entries: kernel.bindings.map((type, binding) => ({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type },
        })),
      });
      const module = this.device.createShaderModule({ label: kernel.label, code: kernel.code });
      pipeline = this.device.createComputePipeline({
        label: kernel.label,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: 'main' },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  get size(): number {
    return this.pipelines.size;
  }
}

/** One compute dispatch of a plan. */
export interface Dispatch {
  kind: string;
  label: string;
  /** What it computes, e.g. "64×784×1024" for a matmul (benchmark breakdowns). */
  info: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

interface PendingDispatch {
  kernel: KernelSource;
  uniform: ArrayBuffer;
  /** Binding 1.. (binding 0 is the uniform). */
  buffers: GPUBuffer[];
  workgroups: [number, number, number];
  info: string;
}

/** Uniform slots are spaced by the device's minUniformBufferOffsetAlignment (256 on every device here). */
const UNIFORM_STRIDE = 256;

/**
 * Collects dispatches, then builds them all at once: one uniform buffer holding every dispatch's
 * parameters (a 256-byte slot each) and one bind group per dispatch.
 */
export class PlanBuilder {
  private readonly pending: PendingDispatch[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: PipelineCache,
    private readonly buffers: BufferSet,
  ) {}

  add(
    kernel: KernelSource,
    uniform: ArrayBuffer,
    buffers: GPUBuffer[],
    workgroups: [number, number, number],
    info = '',
  ): void {
    if (buffers.length !== kernel.bindings.length - 1)
      throw new Error(`${kernel.label}: ${buffers.length} buffers for ${kernel.bindings.length - 1} storage bindings`);
    if (uniform.byteLength > UNIFORM_STRIDE) throw new Error(`${kernel.label}: uniform of ${uniform.byteLength} bytes`);
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (workgroups.some((w) => w > max || w < 1))
      throw new Error(`${kernel.label}: workgroups [${workgroups}] outside 1..${max}`);
    this.pending.push({ kernel, uniform, buffers, workgroups, info });
  }

  build(label: string): Plan {
    const uniformBuffer = this.buffers.create(
      `${label}/uniforms`,
      Math.max(1, this.pending.length) * UNIFORM_STRIDE,
      GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    );
    const bytes = new Uint8Array(Math.max(1, this.pending.length) * UNIFORM_STRIDE);
    const dispatches = this.pending.map((d, i) => {
      bytes.set(new Uint8Array(d.uniform), i * UNIFORM_STRIDE);
      const pipeline = this.pipelines.get(d.kernel);
      const bindGroup = this.device.createBindGroup({
        label: `${label}#${i} ${d.kernel.label}`,
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: uniformBuffer, offset: i * UNIFORM_STRIDE, size: d.uniform.byteLength } },
          ...d.buffers.map((buffer, k) => ({ binding: k + 1, resource: { buffer } })),
        ],
      });
      return {
        kind: d.kernel.kind,
        label: d.kernel.label,
        info: d.info,
        pipeline,
        bindGroup,
        workgroups: d.workgroups,
      };
    });
    this.device.queue.writeBuffer(uniformBuffer, 0, bytes);
    this.pending.length = 0;
    return new Plan(dispatches, uniformBuffer);
  }
}

export class Plan {
  constructor(
    readonly dispatches: Dispatch[],
    readonly uniformBuffer: GPUBuffer,
  ) {}

  /** Encodes every dispatch (or those `only` keeps: benchmark breakdowns) into `pass`. */
  encode(pass: GPUComputePassEncoder, only?: (d: Dispatch) => boolean): void {
    let last: GPUComputePipeline | null = null;
    for (const d of this.dispatches) {
      if (only && !only(d)) continue;
      if (d.pipeline !== last) pass.setPipeline(d.pipeline);
      last = d.pipeline;
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    }
  }

  /** Dispatches per kernel class ("matmul": 90, "adam": 6, ...). */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const d of this.dispatches) out[d.kind] = (out[d.kind] ?? 0) + 1;
    return out;
  }
}

/** Copies `size` bytes of `source` (from `offset`) back to the host. */
export async function readBuffer(
  device: GPUDevice,
  buffers: BufferSet,
  source: GPUBuffer,
  offset: number,
  size: number,
): Promise<ArrayBuffer> {
  const staging = buffers.create('readback', size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  try {
    const encoder = device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(source, offset, staging, 0, Math.ceil(size / 4) * 4);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, Math.ceil(size / 4) * 4);
    return staging.getMappedRange(0, Math.ceil(size / 4) * 4).slice(0, size);
  } finally {
    buffers.destroy(staging);
  }
}

/** Writes a typed array in pieces of at most 16 MiB (large single writes need as much staging memory). */
export function writeLarge(device: GPUDevice, buffer: GPUBuffer, byteOffset: number, data: Float32Array): void {
  const piece = 4 << 20; // floats
  for (let start = 0; start < data.length; start += piece) {
    const end = Math.min(data.length, start + piece);
    device.queue.writeBuffer(
      buffer,
      byteOffset + start * 4,
      data.buffer as ArrayBuffer,
      data.byteOffset + start * 4,
      (end - start) * 4,
    );
  }
}
