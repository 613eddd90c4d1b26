#!/usr/bin/env -S npx tsx
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { workspaceRoot } from '@wgan/core';
import { detectInvocation } from './invocation.js';

/**
 * `experiments:pipeline`: runs the three experiment targets (cached by Nx, in parallel) when the
 * experiments are asked for by name — `npx nx run experiments:pipeline` — and passes when
 * `nx run-many -t pipeline` sweeps over every project (the experiments stay out of the default pipeline;
 * Nx has no setting for that, see invocation.ts). This target itself is not cached: it only
 * decides, and the work and its cache live in the `ring`, `wdistance` and `gan-vs-wgan` targets.
 */
const TARGETS = ['wdistance', 'ring', 'gan-vs-wgan'];
const invocation = detectInvocation('experiments');
if (invocation.kind === 'many') {
  process.stdout.write(
    `experiments: not part of the default pipeline (nx ${invocation.args.join(' ')}); ` +
      `run them with \`npx nx run experiments:pipeline\`\n`,
  );
} else {
  // a clean environment for the inner nx (the outer task's NX_TASK_* / NX_TERMINAL_* belong to this task)
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^NX_(TASK_|TERMINAL_)/.test(k)));
  const root = workspaceRoot();
  const nxPackage = createRequire(join(root, 'package.json')).resolve('nx/package.json');
  const nxBin = join(
    dirname(nxPackage),
    (JSON.parse(readFileSync(nxPackage, 'utf8')) as { bin: { nx: string } }).bin.nx,
  );
  const result = spawnSync(
    process.execPath,
    [nxBin, 'run-many', '-t', TARGETS.join(','), '-p', 'experiments', '--outputStyle=stream', ...process.argv.slice(2)],
    { cwd: root, env, stdio: 'inherit' },
  );
  process.exitCode = result.status ?? 1;
}
