#!/usr/bin/env bash
# Packs .gpu-carry/ for the GPU check (run from the project root): shared/gpu/pack.sh with the bench
# bundle (gpu-main.ts; `vitest` aliased to the small runner so the WebGPU test files run without it, and
# MNIST carried), plus sharp (evaluate writes PNGs) as .gpu-carry/sharp.tar.xz.
set -euo pipefail
shared=${WGAN_SHARED:-}
for c in "$shared" ../shared /work/shared; do
  [ -n "$c" ] && [ -x "$c/gpu/pack.sh" ] && { shared=$(cd "$c" && pwd); break; }
done
[ -x "$shared/gpu/pack.sh" ] || { echo "pack-gpu-check: no shared/gpu/pack.sh (set WGAN_SHARED)" >&2; exit 2; }
root=$(pwd)
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qx '/.gpu-carry/' "$exclude" 2>/dev/null || echo '/.gpu-carry/' >> "$exclude"
if [ -d .git ]; then
  PACK_MNIST=1 "$shared/gpu/pack.sh" packages/bench/src/gpu-main.ts \
    --alias:vitest=./packages/bench/src/gpu-tests/vitest-shim.ts
else
  # A git worktree (.git is a file, which pack.sh cannot add its exclude line to): pack in a scratch
  # folder that links this checkout's packages and node_modules, then move the result here.
  scratch=$(mktemp -d)
  mkdir -p "$scratch/.git/info"
  ln -s "$root/packages" "$scratch/packages"
  ln -s "$root/node_modules" "$scratch/node_modules"
  for f in package.json tsconfig.base.json; do ln -s "$root/$f" "$scratch/$f"; done
  [ -d .gpu-carry ] && mv .gpu-carry "$scratch/.gpu-carry"
  (cd "$scratch" && PACK_MNIST=1 "$shared/gpu/pack.sh" packages/bench/src/gpu-main.ts \
    --alias:vitest=./packages/bench/src/gpu-tests/vitest-shim.ts)
  mv "$scratch/.gpu-carry" .gpu-carry
  rm -rf "$scratch"
fi
[ -s .gpu-carry/sharp.tar.xz ] || tar -C node_modules -cJf .gpu-carry/sharp.tar.xz sharp @img
du -sh .gpu-carry
