#!/usr/bin/env zx
// full: the seed's schedule — 20,000 generator iterations, snapshots and kept checkpoints at 0, 2,000,
// 10,000 and final — meant for a GPU (`--backend auto` picks WebGPU there). Then export, evaluate, render.
//   npx zx pipelines/full.mjs       (the same as: npx nx run-many -t pipeline -c full)
import { runProfile } from './lib.mjs';

await runProfile('full');
