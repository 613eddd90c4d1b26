#!/usr/bin/env node
/**
 * Nx runtime input: one sha256 over the content identity of artifacts, for targets that read artifacts
 * without depending on the task that writes them (evaluate's tests read the real MNIST artifact when it
 * exists). Nx does not hash git-ignored files such as artifacts/ as file inputs, and it computes runtime
 * inputs before any task of the run starts — so the pipeline targets, whose upstream stage runs in the
 * same invocation, declare their upstream artifacts with `dependentTasksOutputFiles` instead, which Nx
 * hashes after the upstream task has run.
 *
 *   node tools/artifact-fingerprint.mjs runs/default/checkpoints/* data/mnist
 *
 * Paths are relative to $WGAN_ARTIFACTS (default <workspace>/artifacts); a trailing /* stands for every
 * entry of the folder. An artifact folder counts by its manifest's config and file checksums (not its
 * createdAt, so re-running a stage with the same result keeps the cache); a plain file by its bytes; a
 * missing path as "missing". Plain JavaScript, so it starts in milliseconds.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspace = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(process.env.WGAN_ARTIFACTS ?? join(workspace, 'artifacts'));
const hash = createHash('sha256');

function add(rel) {
  const p = join(root, rel);
  hash.update(`${rel}\0`);
  if (!existsSync(p)) return hash.update('missing\0');
  if (statSync(p).isDirectory()) {
    const manifest = join(p, 'manifest.json');
    if (!existsSync(manifest)) return hash.update('incomplete\0');
    const { config, files } = JSON.parse(readFileSync(manifest, 'utf8'));
    return hash.update(`${JSON.stringify({ config, files })}\0`);
  }
  hash.update(readFileSync(p));
}

for (const arg of process.argv.slice(2)) {
  if (arg.endsWith('/*')) {
    const dir = arg.slice(0, -2);
    const full = join(root, dir);
    if (!existsSync(full)) add(dir);
    else
      for (const name of readdirSync(full)
        .filter((n) => !n.startsWith('.'))
        .sort())
        add(`${dir}/${name}`);
  } else {
    add(arg);
  }
}
process.stdout.write(`${hash.digest('hex')}\n`);
