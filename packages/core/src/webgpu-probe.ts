import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * What `--backend auto` knows about this machine before and after asking Dawn for an adapter, and the
 * decision it takes from that: use the adapter, or fall back to the next backend with one line saying
 * what was missing and how to install it.
 */
export interface WebgpuProbe {
  /** GPU device nodes present: /dev/nvidia0, /dev/nvidiactl, /dev/dri/renderD128, ... */
  nvidiaNodes: string[];
  renderNodes: string[];
  /** Path of libvulkan.so.1 when found on the library path, else null. */
  vulkanLoader: string | null;
  /** Vulkan ICD manifests (VK_DRIVER_FILES / VK_ICD_FILENAMES, else the standard icd.d folders). */
  icdFiles: string[];
  /** The adapter Dawn returned: null when none was asked for yet or none came. */
  adapter: { description: string; software: boolean; backend: string } | null;
  /** Whether Dawn was asked (the decision before asking is `probe` when it is worth asking). */
  adapterRequested: boolean;
}

export type WebgpuDecision =
  { action: 'probe' } | { action: 'use'; message: string } | { action: 'fallback'; message: string };

/** The NVIDIA Vulkan ICD on the lent GPU machines. */
export const NVIDIA_ICD = '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json';

const INSTALL_LOADER =
  'install it with `apt-get install libvulkan1` (or run .gpu-carry/unpack.sh on a lent GPU machine)';

/**
 * Decides, for `--backend auto`, whether WebGPU is worth asking for (`probe`), whether the adapter it got
 * is used, or why it falls back. Pure: every fact comes in through `probe`.
 */
export function decideWebgpu(probe: WebgpuProbe): WebgpuDecision {
  const nvidia = probe.nvidiaNodes.length > 0;
  if (!nvidia && probe.renderNodes.length === 0) {
    return { action: 'fallback', message: 'no GPU device node (/dev/nvidia*, /dev/dri/render*)' };
  }
  if (nvidia && !probe.vulkanLoader) {
    return {
      action: 'fallback',
      message: `NVIDIA GPU present (${probe.nvidiaNodes[0]}) but no Vulkan loader (libvulkan.so.1): ${INSTALL_LOADER}`,
    };
  }
  if (nvidia && probe.icdFiles.length === 0) {
    return {
      action: 'fallback',
      message:
        `NVIDIA GPU present (${probe.nvidiaNodes[0]}) but no Vulkan driver manifest (no VK_DRIVER_FILES, ` +
        `nothing in /usr/share/vulkan/icd.d): install the driver's Vulkan part (libnvidia-gl / ` +
        `nvidia-vulkan-icd) or set VK_DRIVER_FILES=${NVIDIA_ICD}`,
    };
  }
  if (!probe.adapterRequested) return { action: 'probe' };
  if (!probe.adapter) {
    const where = nvidia ? `NVIDIA GPU present (${probe.nvidiaNodes[0]})` : `GPU node ${probe.renderNodes[0]} present`;
    return {
      action: 'fallback',
      message:
        `${where}, Vulkan loader ${probe.vulkanLoader ?? 'missing'}, ICD ${probe.icdFiles.join(':') || 'none'}, ` +
        'but Dawn returned no adapter: check the driver with `vulkaninfo --summary` (package vulkan-tools)',
    };
  }
  if (probe.adapter.software) {
    return { action: 'fallback', message: `only a software adapter (${probe.adapter.description})` };
  }
  return { action: 'use', message: `${probe.adapter.description} (${probe.adapter.backend})` };
}

/** Library folders the dynamic loader searches for libvulkan.so.1 (LD_LIBRARY_PATH first). */
function libraryFolders(env: NodeJS.ProcessEnv): string[] {
  const fromEnv = (env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean);
  return [
    ...fromEnv,
    '/usr/lib/x86_64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/lib64',
    '/usr/lib',
    '/lib',
    '/usr/local/lib',
  ];
}

function listJson(folder: string): string[] {
  try {
    return readdirSync(folder)
      .filter((n) => n.endsWith('.json'))
      .map((n) => join(folder, n));
  } catch {
    return [];
  }
}

function listNodes(folder: string, prefix: string): string[] {
  try {
    return readdirSync(folder)
      .filter((n) => n.startsWith(prefix))
      .map((n) => join(folder, n));
  } catch {
    return [];
  }
}

/** Reads the machine's facts for `decideWebgpu` (device nodes, loader, ICD manifests); asks Dawn nothing. */
export function probeMachine(env: NodeJS.ProcessEnv = process.env): WebgpuProbe {
  const nvidiaNodes = listNodes('/dev', 'nvidia').filter((p) => /\/nvidia(\d+|ctl)$/.test(p));
  const renderNodes = listNodes('/dev/dri', 'render');
  const vulkanLoader =
    libraryFolders(env)
      .map((d) => join(d, 'libvulkan.so.1'))
      .find((p) => existsSync(p)) ?? null;
  const explicit = (env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES ?? '').split(delimiter).filter(Boolean);
  const icdFiles = explicit.length
    ? explicit.filter((p) => existsSync(p))
    : ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d']
        .flatMap(listJson)
        .concat(existsSync(NVIDIA_ICD) ? [NVIDIA_ICD] : []);
  return { nvidiaNodes, renderNodes, vulkanLoader, icdFiles, adapter: null, adapterRequested: false };
}

/** Dawn's backend of an adapter: the forced `backend=` flag, else GL's description, else Vulkan on Linux. */
export function adapterBackend(description: string, flags: string[]): string {
  const forced = flags.find((f) => f.startsWith('backend='));
  if (forced) return forced.slice('backend='.length);
  if (/^OpenGL ES|OpenGL version OpenGL ES/i.test(description)) return 'opengles';
  if (/^OpenGL/i.test(description)) return 'opengl';
  return process.platform === 'darwin' ? 'metal' : process.platform === 'win32' ? 'd3d12' : 'vulkan';
}
