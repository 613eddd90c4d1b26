/**
 * One entry point for the GPU machine, bundled by ../shared/gpu/pack.sh (tfjs and every JS dependency
 * inlined; Dawn, sharp and onnxruntime stay outside). Subcommands run the project's own CLIs:
 *   node .gpu-carry/app.mjs prep  --source .gpu-carry/mnist      (data-prep)
 *   node .gpu-carry/app.mjs train --backend webgpu --iterations 2000 ...
 *   node .gpu-carry/app.mjs bench --backends webgpu
 *   node .gpu-carry/app.mjs profile --backend webgpu --manual
 *   node .gpu-carry/app.mjs fused --profile --data .gpu-carry/mnist          (the fused trainer alone, per kernel)
 * Pack:  ../shared/gpu/pack.sh packages/bench/src/gpu-main.ts   (PACK_MNIST=1 to carry MNIST)
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
  default:
    process.stderr.write('usage: app.mjs prep|train|bench|profile|fused [flags]\n');
    process.exitCode = 2;
}
