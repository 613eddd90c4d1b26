/**
 * Runs the WebGPU kernel and fused-trainer test files outside vitest (inside the GPU bundle, where
 * `vitest` is aliased to ./vitest-shim.ts): one file after another, one line per test, JSON at the end.
 *   node .gpu-carry/app.mjs kernel-tests [--files matmul,kernels] [--grep <regex>] [--json <file>]
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { runRegistered, type TestResult } from './vitest-shim.js';
import { webgpuDevice } from '@wgan/core/backend';

/** The test files, each a literal import so that esbuild bundles it. */
const FILES: Record<string, () => Promise<unknown>> = {
  kernels: () => import('../../../train/src/trainers/webgpu-fused/kernels/kernels.test.js'),
  matmul: () => import('../../../train/src/trainers/webgpu-fused/kernels/matmul.test.js'),
  'fused-trainer': () => import('../../../train/src/trainers/webgpu-fused/trainer.test.js'),
  'parity-table': () => import('../../../train/src/trainers/parity.test.js'),
  'conv-penalty': () => import('../../../train/src/trainers/webgpu-fused/conv-penalty.test.js'),
};

const opts = new Command('kernel-tests')
  .description("Runs the WebGPU test files on this machine's adapter, without vitest.")
  .option('--files <names>', `comma-separated, of ${Object.keys(FILES).join(', ')}`, Object.keys(FILES).join(','))
  .option('--grep <regex>', 'only tests whose "suite > name" matches')
  .option('--json <file>', 'write the results as JSON here')
  .parse()
  .opts<{ files: string; grep?: string; json?: string }>();

const names = opts.files
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = names.filter((n) => !(n in FILES));
if (unknown.length) {
  process.stderr.write(`kernel-tests: unknown --files ${unknown.join(', ')}; use ${Object.keys(FILES).join(', ')}\n`);
  process.exit(2);
}
const filter = opts.grep ? new RegExp(opts.grep) : null;
const files: { file: string; results: TestResult[] }[] = [];
for (const file of names) {
  await FILES[file]();
  const results = await runRegistered(filter, (r) => {
    const tail = r.status === 'failed' ? `\n${r.error}` : '';
    process.stdout.write(
      `${r.status === 'passed' ? 'ok  ' : r.status === 'skipped' ? 'skip' : 'FAIL'} ` +
        `${file}: ${r.name} (${r.ms.toFixed(0)} ms)${tail}\n`,
    );
  });
  files.push({ file, results });
}
const all = files.flatMap((f) => f.results);
const count = (s: TestResult['status']) => all.filter((r) => r.status === s).length;
const handles = webgpuDevice();
const summary = {
  adapter: handles ? { description: handles.description, backend: handles.backend, software: handles.software } : null,
  passed: count('passed'),
  failed: count('failed'),
  skipped: count('skipped'),
  files,
};
process.stdout.write(
  `kernel-tests: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped` +
    ` on ${summary.adapter ? `${summary.adapter.description} (${summary.adapter.backend})` : 'no adapter'}\n`,
);
if (opts.json) writeFileSync(opts.json, `${JSON.stringify(summary, null, 2)}\n`);
// A run where everything skipped (no adapter) is not a pass.
process.exitCode = summary.failed > 0 || summary.passed === 0 ? 1 : 0;
handles?.device.destroy();
