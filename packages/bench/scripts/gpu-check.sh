#!/usr/bin/env bash
# On a lent GPU machine (device tool, carry [".gpu-carry"]), from the project root:
#   bash packages/bench/scripts/gpu-check.sh --out "$OUT/gpu-check"
# Unpacks .gpu-carry/ (Vulkan loader, Node at /tmp/gpu/node, Dawn, sharp), then runs the bundled
# gpu-check (packages/bench/src/gpu-check/run.ts) with the remaining flags. Here, for the dry run:
#   bash packages/bench/scripts/gpu-check.sh --local --dry-run --out /tmp/gpu-check-dry
# (--local: this machine's node and node_modules, no unpacking).
set -euo pipefail
node=/tmp/gpu/node
if [ "${1:-}" = --local ]; then
  shift
  node=$(command -v node)
else
  bash .gpu-carry/unpack.sh
  # shellcheck disable=SC1091
  . /tmp/gpu/env
  export VK_DRIVER_FILES
  mkdir -p node_modules && tar -C node_modules -xJf .gpu-carry/sharp.tar.xz
fi
exec "$node" .gpu-carry/app.mjs gpu-check "$@"
