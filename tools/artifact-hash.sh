#!/usr/bin/env bash
# Prints one line per artifact folder given (relative to the artifacts root, $WGAN_ARTIFACTS or
# ./artifacts): the sha256 of its manifest.json, or "absent". Nx cannot hash git-ignored files as
# inputs, so the stages' pipeline targets declare their upstream artifacts through this runtime input:
# a changed upstream manifest (a new data set, a retrained run) reruns the stage; an unchanged one
# leaves it a cache hit.
root=${WGAN_ARTIFACTS:-artifacts}
for a in "$@"; do
  m="$root/$a/manifest.json"
  if [ -f "$m" ]; then echo "$a $(sha256sum < "$m" | cut -c1-64)"; else echo "$a absent"; fi
done
