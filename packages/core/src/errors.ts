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

/**
 * Runs a CLI's main function: typed errors become one red line and exit code 2 (bad input) or 1;
 * anything else is an internal failure (exit 1, stack printed).
 */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (isPipelineError(e)) {
      process.stderr.write(`${red(e.format())}\n`);
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`${red('internal error:')} ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    }
  }
}

function red(s: string): string {
  return process.stderr.isTTY ? `\x1b[31m${s}\x1b[0m` : s;
}
