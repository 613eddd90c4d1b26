import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workspace root: the nearest folder above this file (or `from`) that holds nx.json. */
export function workspaceRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/** Where stages read and write artifacts: `$WGAN_ARTIFACTS`, else `<workspace>/artifacts`. */
export function artifactsRoot(): string {
  return resolve(process.env.WGAN_ARTIFACTS ?? join(workspaceRoot(), 'artifacts'));
}

/** Standard artifact locations, relative to the artifacts root. */
export const artifactPaths = {
  data: (dataset: string) => join(artifactsRoot(), 'data', dataset),
  run: (name: string) => join(artifactsRoot(), 'runs', name),
  export: (run: string, iter: number | string) => join(artifactsRoot(), 'export', run, String(iter)),
  eval: (run: string) => join(artifactsRoot(), 'eval', run),
  classifier: (dataset: string) => join(artifactsRoot(), 'classifier', dataset),
  render: (run: string) => join(artifactsRoot(), 'render', run),
  experiments: (name: string) => join(artifactsRoot(), 'experiments', name),
  bench: () => join(artifactsRoot(), 'bench'),
};
