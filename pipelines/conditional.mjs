#!/usr/bin/env zx
// conditional: the class-conditional WGAN-GP MLP (train --conditional: the label's one-hot joins z and the
// critic's input; the penalty is taken with respect to the image for the fixed label), run "conditional",
// quick schedule (500 iterations); exported as (z, label) → image, evaluated with the label agreement,
// IS and FD per requested class and a 10 × 10 grid whose row k is digit k, then rendered.
//   npx zx pipelines/conditional.mjs    (the same as: npx nx run-many -t pipeline -c conditional)
import { runProfile } from './lib.mjs';

await runProfile('conditional', { run: 'conditional' });
