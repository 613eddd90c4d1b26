/**
 * Stand-in for the native `sharp` module in esbuild bundles that run where sharp is not installed (the
 * GPU machines): @wgan/core's index imports sharp for PNG grids, which the benchmarks never draw. Pack with
 *   ../shared/gpu/pack.sh packages/train/bench/fused-webgpu.ts --alias:sharp=./packages/train/bench/sharp-stub.ts
 * esbuild then drops the import entirely (nothing uses it).
 */
export default function sharp(): never {
  throw new Error('sharp is not bundled in this build (benchmark bundle)');
}
