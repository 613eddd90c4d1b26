/**
 * One error type for every stage: what went wrong, which input it concerns (a file, a config key,
 * a request field) and how to fix it. CLIs catch it in one place (`runCli`) and print
 *
 *     error: <message> (<where>)
 *       fix: <hint>
 *
 * then exit 2 for bad input, 1 for internal failures.
 */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  constructor(
    message: string,
    /** The offending input: a path, a config key path, a request field. */
    readonly where: string,
    /** What the user should do about it. */
    readonly hint: string,
    /** 2 = bad input (the default), 1 = internal failure. */
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }

  /** The two-line form the CLIs print. */
  format(): string {
    return `error: ${this.message} (${this.where})\n  fix: ${this.hint}`;
  }
}

export function isPipelineError(e: unknown): e is PipelineError {
  return e instanceof PipelineError;
}

/** The resource failures a user can act on (disk, quota, file handles, memory), with what to free. */
const RESOURCE_ERRORS: Record<string, { what: string; fix: (where: string) => string }> = {
  ENOSPC: {
    what: 'no space left on the device',
    fix: (w) =>
      `free disk space on the filesystem holding ${w} (\`df -h ${w}\`; old runs, exports and checkpoints ` +
      'under the artifacts root are the large files), then run again',
  },
  EDQUOT: {
    what: 'disk quota exceeded',
    fix: (w) => `free space in your quota on the filesystem holding ${w} (\`quota -s\`), then run again`,
  },
  EMFILE: {
    what: 'too many open files in this process',
    fix: () => 'raise the limit (`ulimit -n 4096`) or stop other work in this shell, then run again',
  },
  ENFILE: {
    what: 'too many open files on this system',
    fix: () => 'close other programs holding many files, then run again',
  },
  ENOMEM: {
    what: 'out of memory',
    fix: () => 'stop other programs using memory, or use a smaller --batch-size / --samples, then run again',
  },
};

/** A failure from the operating system that names a resource (ENOSPC, EDQUOT, EMFILE, ENFILE, ENOMEM). */
export function resourceError(e: unknown): { code: string; message: string; hint: string } | null {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !(code in RESOURCE_ERRORS)) return null;
  const err = e as NodeJS.ErrnoException & { dest?: string };
  const path = err.path ?? err.dest;
  const where = path ?? process.cwd();
  const known = RESOURCE_ERRORS[code];
  const during = err.syscall ? ` during ${err.syscall}` : '';
  return { code, message: `${known.what}${during}${path ? ` of ${path}` : ''} (${code})`, hint: known.fix(where) };
}

/**
 * Gives a resource failure that names no path (a write on an open file descriptor) the folder it was
 * writing, so the message says where to free space; returns the error.
 */
export function inFolder<E>(e: E, folder: string): E {
  if (resourceError(e) && !(e as NodeJS.ErrnoException).path) (e as NodeJS.ErrnoException).path = folder;
  return e;
}

/** Whether failures print their stack: `--verbose` on the command line or WGAN_VERBOSE=1. */
export function verboseErrors(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes('--verbose') || env.WGAN_VERBOSE === '1';
}

/**
 * Runs a CLI's main function: typed errors become one red line and exit code 2 (bad input) or 1;
 * resource failures (a full disk, too many open files) name the path and what to free, exit 1; anything
 * else is an internal failure (exit 1). Stacks are printed for internal failures, and for every failure
 * with `--verbose` (or WGAN_VERBOSE=1).
 */
export async function runCli(
  main: () => Promise<void>,
  options: { stderr?: { write(s: string): unknown }; verbose?: boolean } = {},
): Promise<void> {
  const stderr = options.stderr ?? process.stderr;
  const verbose = options.verbose ?? verboseErrors();
  const stack = (e: unknown) => (verbose && e instanceof Error && e.stack ? `\n${e.stack}` : '');
  try {
    await main();
  } catch (e) {
    const resource = isPipelineError(e) ? null : resourceError(e);
    if (isPipelineError(e)) {
      stderr.write(`${red(e.format())}${stack(e)}\n`);
      process.exitCode = e.exitCode;
    } else if (resource) {
      stderr.write(`${red(`error: ${resource.message}`)}\n  fix: ${resource.hint}${stack(e)}\n`);
      process.exitCode = 1;
    } else {
      stderr.write(`${red('internal error:')} ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    }
  }
}

function red(s: string): string {
  return process.stderr.isTTY ? `\x1b[31m${s}\x1b[0m` : s;
}
