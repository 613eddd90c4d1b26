import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PipelineError } from './errors.js';

/**
 * Names and paths that users give (a run, a dataset, a study, an export's iteration, `--out`) must stay
 * inside the folder they belong to: a run name of `..` with `--fresh` would otherwise delete the whole
 * artifacts root. Every stage checks user-given names with `artifactName` and user-given paths with
 * `pathInside` before it touches anything.
 */

/** A name that is one plain folder name: letters, digits, `_`, `-`, `.`, `+`, `=`, `,`; not hidden, at most 128. */
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._+=,-]{0,127}$/;

/**
 * Checks that `value` is one plain folder name and returns it. Refuses the empty name, `.` and `..`,
 * separators, absolute paths, hidden names (they collide with temporaries and locks) and anything longer
 * than 128 characters, with an error that names the flag.
 */
export function artifactName(value: unknown, flag: string): string {
  const s = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof s !== 'string' || s.length === 0) {
    throw new PipelineError('an empty name is not allowed', flag, `give ${flag} a plain name such as "my-run"`);
  }
  if (!NAME_PATTERN.test(s)) {
    const why =
      s === '.' || s === '..'
        ? `"${s}" names a parent or the folder itself`
        : isAbsolute(s)
          ? `"${s}" is an absolute path`
          : /[/\\]/.test(s)
            ? `"${s}" contains a path separator`
            : s.startsWith('.')
              ? `"${s}" starts with a dot (names starting with "." are reserved for temporaries and locks)`
              : `"${s}" has characters other than letters, digits and . _ - + = , (or is over 128 characters)`;
    throw new PipelineError(
      `${why}; a name must be one plain folder name`,
      flag,
      `give ${flag} a plain name such as "my-run"`,
    );
  }
  return s;
}

/** `base/…names`, each name checked with `artifactName`; the result is strictly inside `base`. */
export function folderInside(base: string, flag: string, ...names: unknown[]): string {
  const parts = names.map((n) => artifactName(n, flag));
  return pathInside(base, parts.join(sep), flag);
}

/**
 * Resolves a user-given path (relative paths against `base`) and checks that it lies strictly inside
 * `base` (not `base` itself); returns the absolute path.
 */
export function pathInside(base: string, userPath: string, flag: string): string {
  if (typeof userPath !== 'string' || userPath.length === 0 || userPath.includes('\0')) {
    throw new PipelineError('an empty path is not allowed', flag, `give ${flag} a folder inside ${base}`);
  }
  const root = resolve(base);
  const full = resolve(root, userPath);
  if (!isStrictlyInside(root, full)) {
    throw new PipelineError(
      `"${userPath}" resolves to ${full}, outside ${root}`,
      flag,
      `give ${flag} a folder inside ${root}`,
    );
  }
  return full;
}

/** True when `path` is a descendant of `folder` (both resolved), never `folder` itself. */
export function isStrictlyInside(folder: string, path: string): boolean {
  const rel = relative(resolve(folder), resolve(path));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * True when `key` is a plain relative POSIX path of a file inside a folder: non-empty segments separated
 * by `/`, none of them `.` or `..`, no leading `/`, no backslash, no NUL, no drive letter.
 */
export function isPlainRelativePath(key: string): boolean {
  if (key.length === 0 || key.startsWith('/') || key.includes('\\') || key.includes('\0') || /^[A-Za-z]:/.test(key))
    return false;
  return key.split('/').every((segment) => segment.length > 0 && segment !== '.' && segment !== '..');
}

/**
 * Follows a pointer file (`checkpoints/latest`, `export/<run>/latest`): a text file holding the name of a
 * folder beside it. The name must be one plain folder name matching `pattern`, so a damaged or hostile
 * pointer (`../../../../somewhere`) can never lead outside the pointer's folder. Returns that folder's path.
 */
export function followPointer(pointer: string, pattern: RegExp, hint: string): string {
  const name = readFileSync(pointer, 'utf8').trim();
  const base = dirname(pointer);
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  if (!pattern.test(name) || !NAME_PATTERN.test(name) || !isStrictlyInside(base, join(base, name))) {
    const what = `${basename(base)}/${basename(pointer)}`;
    throw new PipelineError(`${what} names ${shown}, not a folder beside it matching ${pattern}`, pointer, hint);
  }
  return join(base, name);
}
