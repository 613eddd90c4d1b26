/**
 * One entry point for the GPU machine, bundled by ../shared/gpu/pack.sh (tfjs and every JS dependency
 * inlined; Dawn, sharp and onnxruntime stay outside). Subcommands run the project's own CLIs:
 *   node .gpu-carry/app.mjs prep  --source .gpu-carry/mnist      (data-prep)
 *   node .gpu-carry/app.mjs train --backend webgpu --iterations 2000 ...
 *   node .gpu-carry/app.mjs bench --backends webgpu
 *   node .gpu-carry/app.mjs profile --backend webgpu --manual
 *   node .gpu-carry/app.mjs fused --profile --data .gpu-carry/mnist          (the fused trainer alone, per kernel)
 *   node .gpu-carry/app.mjs evaluate --run NAME          (and `evaluate classifier`)
 *   node .gpu-carry/app.mjs adapter                      (the adapter and --backend auto's decision, JSON)
 *   node .gpu-carry/app.mjs kernel-tests                 (the WebGPU test files, without vitest)
 *   node .gpu-carry/app.mjs gpu-check --out DIR          (all of the above as one timed check; gpu-check/run.ts)
 * Pack:  ../shared/gpu/pack.sh packages/bench/src/gpu-main.ts   (PACK_MNIST=1 to carry MNIST); for
 *        kernel-tests and gpu-check, packages/bench/scripts/pack-gpu-check.sh (aliases vitest, adds sharp).
 */
const command = process.argv[2];
process.argv.splice(2, 1);
process.env.WGAN_ENTRY_ARGS = command ?? '';
switch (command) {
  case 'prep':
    await import('../../data-prep/src/cli.js');
    break;
  case 'train':
    await import('../../train/src/cli.js');
    break;
  case 'bench':
    await import('./cli.js');
    break;
  case 'profile':
    await import('./profile-tfjs.js');
    break;
  case 'fused':
    await import('../../train/bench/fused-webgpu.js');
    break;
  case 'evaluate':
    await import('../../evaluate/src/cli.js');
    break;
  case 'adapter':
    await import('./adapter-report.js');
    break;
  case 'kernel-tests':
    await import('./gpu-tests/run-tests.js');
    break;
  case 'gpu-check':
    await import('./gpu-check/run.js');
    break;
  default:
    process.stderr.write(
      'usage: app.mjs prep|train|bench|profile|fused|evaluate|adapter|kernel-tests|gpu-check [flags]\n',
    );
    process.exitCode = 2;
}
