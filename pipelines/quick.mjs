#!/usr/bin/env zx
// quick: MNIST, 500 generator iterations of the seed-001 WGAN-GP on the fastest backend present — a
// look in minutes on a CPU. Then export, evaluate (E1–E10, IS, FD) and render.
//   npx zx pipelines/quick.mjs      (the same as: npx nx run-many -t pipeline -c quick)
import { runProfile } from './lib.mjs';

await runProfile('quick');
