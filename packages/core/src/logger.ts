import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Structured logging: a human line on the terminal (`12:03:04 info  message key=value …`), and, when a
 * file is given, the same record as one JSON line `{"t":…,"level":…,"msg":…,…fields}` that a notebook
 * or a plot can read.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

export interface LoggerOptions {
  /** JSON-lines log file (appended). */
  file?: string;
  /** Where human lines go (default: stderr, so stdout stays for results). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Lowest level printed to the terminal (files get everything). */
  level?: Level;
  /** Prefix of the human lines, e.g. the stage name. */
  name?: string;
}

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function formatValue(v: unknown): string {
  if (typeof v === 'number')
    return Number.isInteger(v)
      ? String(v)
      : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)
        ? v.toExponential(3)
        : v.toFixed(4);
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const min = ORDER[options.level ?? (process.env.WGAN_LOG_LEVEL as Level | undefined) ?? 'info'] ?? ORDER.info;
  const log = (level: Level, msg: string, fields: Fields = {}) => {
    const now = new Date();
    if (options.file) {
      const record = `${JSON.stringify({ t: now.toISOString(), level, ...(options.name ? { stage: options.name } : {}), msg, ...fields })}\n`;
      try {
        appendFileSync(options.file, record);
      } catch (e) {
        // the log's folder is made on the first line (a stage refused before it writes leaves no folder)
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        mkdirSync(dirname(options.file), { recursive: true });
        appendFileSync(options.file, record);
      }
    }
    if (ORDER[level] < min) return;
    const kv = Object.entries(fields)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(' ');
    const tag = level === 'info' ? '' : `${level} `;
    const line =
      `${now.toTimeString().slice(0, 8)} ` +
      `${options.name ? `[${options.name}] ` : ''}${tag}${msg}${kv ? `  ${kv}` : ''}`;
    stream.write(
      `${stream.isTTY && level !== 'info' ? (level === 'error' ? '\x1b[31m' : level === 'warn' ? '\x1b[33m' : '\x1b[2m') + line + '\x1b[0m' : line}\n`,
    );
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  };
}

/**
 * An append-only JSON-lines file (metrics.jsonl): one object per line, written synchronously so a
 * killed process leaves only whole lines behind (each line is one write call).
 */
export class JsonlWriter {
  private fd: number;
  constructor(
    readonly path: string,
    mode: 'a' | 'w' = 'a',
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, mode);
  }
  write(record: object): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
  }
  flush(): void {
    fsyncSync(this.fd);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** A logger that prints nothing (tests, and callers that report through their own output). */
export function silentLogger(): Logger {
  return createLogger({ level: 'error', stream: { write: () => true } as unknown as NodeJS.WritableStream });
}
