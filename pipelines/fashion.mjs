#!/usr/bin/env zx
// fashion: the same WGAN-GP on Fashion-MNIST (Debian's dataset-fashion-mnist, or MNIST_DIR=<folder>),
// run "fashion", quick schedule; evaluated with a classifier trained on Fashion-MNIST.
//   npx zx pipelines/fashion.mjs    (the same as: npx nx run-many -t pipeline -c fashion)
import { runProfile } from './lib.mjs';

await runProfile('fashion', { run: 'fashion' });
