/**
 * Prints what WebGPU runs on here, as JSON: the machine probe (device nodes, Vulkan loader, ICD files),
 * what `--backend auto` decides from it, and the adapter `--backend webgpu` gets with its limits.
 *   node .gpu-carry/app.mjs adapter [--json <file>]
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { initBackend, probeMachine, decideWebgpu, webgpuDevice } from '@wgan/core/backend';

const opts = new Command('adapter')
  .option('--json <file>', 'also write the report here')
  .parse()
  .opts<{ json?: string }>();

const probe = probeMachine();
const report: Record<string, unknown> = {
  probe,
  autoDecisionBeforeDawn: decideWebgpu(probe),
  env: { VK_DRIVER_FILES: process.env.VK_DRIVER_FILES ?? null, WGAN_DAWN_FLAGS: process.env.WGAN_DAWN_FLAGS ?? null },
};
try {
  const info = await initBackend('webgpu', { quiet: true });
  const h = webgpuDevice();
  const { vendor, architecture, device, description } = h!.adapterInfo;
  const limits: Record<string, number> = {};
  for (const key in h!.device.limits) limits[key] = (h!.device.limits as unknown as Record<string, number>)[key];
  report.adapter = { vendor, architecture, device, description, backend: h!.backend, software: h!.software };
  report.backend = info;
  report.features = [...h!.device.features];
  report.limits = limits;
} catch (e) {
  report.adapter = null;
  report.error = (e as Error).message;
}
const text = JSON.stringify(report, null, 2);
process.stdout.write(`${text}\n`);
if (opts.json) writeFileSync(opts.json, `${text}\n`);
process.exitCode = report.adapter ? 0 : 1;
