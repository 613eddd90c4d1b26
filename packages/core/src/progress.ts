import cliProgress from 'cli-progress';

/**
 * Progress for long work: a cli-progress bar on a terminal (value/total, rate, ETA and custom fields),
 * plain periodic lines elsewhere (CI logs), at most one every `plainEverySeconds`.
 */
export interface Progress {
  update(value: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export interface ProgressOptions {
  total: number;
  label: string;
  /** Unit of one step, shown with the rate: "it", "img", "req". */
  unit?: string;
  /** Extra fields shown after the bar, in this order. */
  fields?: string[];
  stream?: NodeJS.WriteStream;
  plainEverySeconds?: number;
  /** Start value (a resumed run). */
  start?: number;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const unit = options.unit ?? 'it';
  const fields = options.fields ?? [];
  const start = options.start ?? 0;
  const t0 = Date.now();
  if (stream.isTTY && !process.env.CI) {
    const extra = fields.map((f) => `${f} {${f}}`).join(' | ');
    const bar = new cliProgress.SingleBar(
      {
        format:
          `${options.label} [{bar}] {value}/{total} | {rate} ` +
          `${unit}/s | ETA {eta_formatted}${extra ? ` | ${extra}` : ''}`,
        stream,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(options.total, start, { rate: '0.0', ...Object.fromEntries(fields.map((f) => [f, '-'])) });
    return {
      update(value, payload = {}) {
        const seconds = (Date.now() - t0) / 1000;
        bar.update(value, { rate: seconds > 0 ? ((value - start) / seconds).toFixed(1) : '0.0', ...payload });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const every = (options.plainEverySeconds ?? 10) * 1000;
  let last = 0;
  let lastValue = start;
  const print = (value: number, payload: Record<string, string | number>) => {
    const seconds = (Date.now() - t0) / 1000;
    const rate = seconds > 0 ? (value - start) / seconds : 0;
    const eta = rate > 0 ? Math.round((options.total - value) / rate) : NaN;
    const extra = Object.entries(payload)
      .map(([k, v]) => `${k} ${v}`)
      .join(' | ');
    stream.write(
      `${options.label} ${value}/${options.total} | ${rate.toFixed(1)} ${unit}/s | ` +
        `ETA ${Number.isFinite(eta) ? `${eta}s` : '-'}${extra ? ` | ${extra}` : ''}\n`,
    );
  };
  return {
    update(value, payload = {}) {
      lastValue = value;
      const now = Date.now();
      if (now - last >= every || value >= options.total) {
        last = now;
        print(value, payload);
      }
    },
    stop() {
      if (lastValue < options.total) print(lastValue, {});
    },
  };
}
