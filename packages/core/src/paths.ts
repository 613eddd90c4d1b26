import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PipelineError } from './errors.js';
import { folderInside, isStrictlyInside, pathInside } from './names.js';

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
  const env = process.env.WGAN_ARTIFACTS;
  return resolve(env !== undefined && env !== '' ? env : join(workspaceRoot(), 'artifacts'));
}

/**
 * Resolves a user-given artifact path (`--data`, `--out`, `--run-dir`, `--classifier`, …) inside the
 * artifacts root: a relative path is relative to the root (`data/mnist`), and may also be written in the
 * workspace-relative form the READMEs and pipelines use (`artifacts/data/mnist`: the leading `artifacts/`
 * names the root, wherever `WGAN_ARTIFACTS` puts it); an absolute path must lie inside the root. The root
 * itself and anything outside it are refused (exit 2, naming the flag).
 */
export function artifactPath(userPath: unknown, flag: string, root: string = artifactsRoot()): string {
  if (typeof userPath !== 'string' || userPath.length === 0) {
    throw new PipelineError(
      'an empty path is not allowed',
      flag,
      `give ${flag} a folder inside the artifacts root ${root}`,
    );
  }
  if (isAbsolute(userPath)) {
    if (!isStrictlyInside(root, userPath)) {
      const hint = `give ${flag} a path inside ${root} (relative paths are relative to it), or set WGAN_ARTIFACTS`;
      throw new PipelineError(`"${userPath}" is outside the artifacts root ${root}`, flag, hint);
    }
    return resolve(userPath);
  }
  const legacy = /^artifacts(?:[/\\]|$)/.exec(userPath);
  const relativeToRoot = legacy ? userPath.slice(legacy[0].length) : userPath;
  return pathInside(root, relativeToRoot === '' ? '.' : relativeToRoot, flag);
}

/**
 * Standard artifact locations under the artifacts root. Every name is checked with `artifactName`
 * (`flag` names the option it came from in the error), so none of them can leave its folder.
 */
export const artifactPaths = {
  data: (dataset: string, flag = '--dataset') => folderInside(join(artifactsRoot(), 'data'), flag, dataset),
  run: (name: string, flag = '--run') => folderInside(join(artifactsRoot(), 'runs'), flag, name),
  export: (run: string, iter: number | string, flag = '--run') =>
    folderInside(join(artifactsRoot(), 'export'), flag, run, iter),
  eval: (run: string, flag = '--run') => folderInside(join(artifactsRoot(), 'eval'), flag, run),
  classifier: (dataset: string, flag = '--dataset') => folderInside(join(artifactsRoot(), 'classifier'), flag, dataset),
  render: (run: string, flag = '--run') => folderInside(join(artifactsRoot(), 'render'), flag, run),
  experiments: (name: string, flag = '--name') => folderInside(join(artifactsRoot(), 'experiments'), flag, name),
  compare: (name: string, flag = '--name') => folderInside(join(artifactsRoot(), 'compare'), flag, name),
  bench: () => join(artifactsRoot(), 'bench'),
};
