import { describe, expect, it } from 'vitest';
import { NVIDIA_ICD, adapterBackend, decideWebgpu, probeMachine, type WebgpuProbe } from './webgpu-probe.js';

/** A lent GPU machine after unpack.sh: NVIDIA nodes, the loader, the NVIDIA ICD, and an adapter. */
const gpuMachine: WebgpuProbe = {
  nvidiaNodes: ['/dev/nvidia0', '/dev/nvidiactl'],
  renderNodes: [],
  vulkanLoader: '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  icdFiles: [NVIDIA_ICD],
  adapter: null,
  adapterRequested: false,
};
const h200 = { description: 'nvidia hopper NVIDIA H200', software: false, backend: 'vulkan' };

describe('decideWebgpu (--backend auto)', () => {
  it('falls back without probing Dawn when there is no GPU device node', () => {
    const d = decideWebgpu({ ...gpuMachine, nvidiaNodes: [], renderNodes: [], vulkanLoader: null, icdFiles: [] });
    expect(d).toEqual({ action: 'fallback', message: 'no GPU device node (/dev/nvidia*, /dev/dri/render*)' });
  });

  it('names the missing Vulkan loader and how to install it when /dev/nvidia* is there', () => {
    const d = decideWebgpu({ ...gpuMachine, vulkanLoader: null });
    expect(d.action).toBe('fallback');
    const message = (d as { message: string }).message;
    expect(message).toMatch(/NVIDIA GPU present \(\/dev\/nvidia0\) but no Vulkan loader \(libvulkan\.so\.1\)/);
    expect(message).toMatch(/apt-get install libvulkan1/);
    expect(message).not.toMatch(/\n/);
  });

  it('names the missing driver manifest and the NVIDIA ICD path', () => {
    const d = decideWebgpu({ ...gpuMachine, icdFiles: [] });
    expect(d.action).toBe('fallback');
    expect((d as { message: string }).message).toContain(`VK_DRIVER_FILES=${NVIDIA_ICD}`);
  });

  it('asks Dawn when loader and driver are present', () => {
    expect(decideWebgpu(gpuMachine)).toEqual({ action: 'probe' });
  });

  it('falls back, naming loader and ICD, when Dawn returns no adapter', () => {
    const d = decideWebgpu({ ...gpuMachine, adapterRequested: true });
    expect(d.action).toBe('fallback');
    const message = (d as { message: string }).message;
    expect(message).toContain('Dawn returned no adapter');
    expect(message).toContain(NVIDIA_ICD);
    expect(message).toContain('vulkaninfo');
  });

  it('falls back from a software adapter and uses a hardware one', () => {
    const swift = { description: 'google swiftshader SwiftShader driver 5.0.0', software: true, backend: 'vulkan' };
    const soft = decideWebgpu({ ...gpuMachine, adapter: swift, adapterRequested: true });
    expect(soft).toEqual({ action: 'fallback', message: `only a software adapter (${swift.description})` });
    const hw = decideWebgpu({ ...gpuMachine, adapter: h200, adapterRequested: true });
    expect(hw).toEqual({ action: 'use', message: 'nvidia hopper NVIDIA H200 (vulkan)' });
  });

  it('probes a render node without NVIDIA even when no loader is found (GLES may still serve)', () => {
    const dri = { ...gpuMachine, nvidiaNodes: [], renderNodes: ['/dev/dri/renderD128'], vulkanLoader: null };
    expect(decideWebgpu(dri)).toEqual({ action: 'probe' });
  });
});

describe('adapterBackend', () => {
  it('reads a forced backend, GL descriptions, and Vulkan otherwise on Linux', () => {
    expect(adapterBackend('anything', ['backend=opengles'])).toBe('opengles');
    expect(adapterBackend('OpenGL version OpenGL ES 3.2 Mesa 22.3.6', [])).toBe('opengles');
    if (process.platform === 'linux') expect(adapterBackend('SwiftShader driver 5.0.0', [])).toBe('vulkan');
  });
});

describe('probeMachine', () => {
  it('takes the ICD manifests from VK_DRIVER_FILES, keeping only files that exist', () => {
    const p = probeMachine({ VK_DRIVER_FILES: `${import.meta.filename}:/nonexistent/icd.json` });
    expect(p.icdFiles).toEqual([import.meta.filename]);
    expect(p.adapterRequested).toBe(false);
  });

  it('finds libvulkan.so.1 through LD_LIBRARY_PATH or reports null', () => {
    const p = probeMachine({ LD_LIBRARY_PATH: '/nonexistent' });
    expect(p.vulkanLoader === null || p.vulkanLoader.endsWith('/libvulkan.so.1')).toBe(true);
  });
});
