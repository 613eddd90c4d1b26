import { createLogger } from '@wgan/core';
import { classifierSchema } from './src/classifier.js';
import { buildClassifier } from './src/classifier-stage.js';
const config = classifierSchema.parse({ epochs: Number(process.env.E ?? 1), backend: 'wasm', out: '/tmp/cls-test' , maxSteps: process.env.S ? Number(process.env.S) : null});
const r = await buildClassifier(config, { logger: createLogger({ name: 'cls' }), progress: false });
console.log(JSON.stringify(r.meta));
