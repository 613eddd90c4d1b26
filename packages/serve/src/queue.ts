import { RequestError } from './requests.js';

/**
 * A bounded work queue: at most `concurrency` tasks run at once and at most `maxWaiting` wait for a
 * turn. A task offered to a full queue is refused at once with a 503 RequestError whose `retryAfterS`
 * estimates when a place frees up (from the recent mean task time), so a burst of clients costs the
 * server a fixed amount of memory instead of one request's worth per client.
 */
export interface QueueOptions {
  /** Tasks running at once (each one onnxruntime run plus its encoding). */
  concurrency: number;
  /** Tasks waiting for a turn; one more is refused with 503. */
  maxWaiting: number;
}

export class QueueFullError extends RequestError {
  constructor(
    readonly retryAfterS: number,
    running: number,
    waiting: number,
  ) {
    super(
      503,
      `the server is busy: ${running} generations running and ${waiting} waiting (the queue is full)`,
      'server',
      `retry after ${retryAfterS} s (the Retry-After header), or send fewer images per request`,
    );
  }
}

export class GenerationQueue {
  readonly concurrency: number;
  readonly maxWaiting: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Exponential moving average of a task's duration in ms (for Retry-After). */
  private meanTaskMs = 100;

  constructor(options: QueueOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new Error(`queue concurrency must be an integer ≥ 1, got ${options.concurrency}`);
    }
    if (!Number.isInteger(options.maxWaiting) || options.maxWaiting < 0) {
      throw new Error(`queue size must be an integer ≥ 0, got ${options.maxWaiting}`);
    }
    this.concurrency = options.concurrency;
    this.maxWaiting = options.maxWaiting;
  }

  /** Tasks running and waiting now. */
  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Runs `task` when a place is free; throws QueueFullError at once when the waiting line is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new QueueFullError(this.retryAfterS(), this.running, this.waiting.length);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    const t0 = performance.now();
    try {
      return await task();
    } finally {
      this.meanTaskMs = 0.8 * this.meanTaskMs + 0.2 * (performance.now() - t0);
      const next = this.waiting.shift();
      // The place passes straight to the next waiter, so `running` never drops below a waiting line.
      if (next) next();
      else this.running--;
    }
  }

  /** Whole seconds until the queue has likely drained by one full line (≥ 1). */
  private retryAfterS(): number {
    const queued = this.running + this.waiting.length;
    return Math.max(1, Math.ceil((this.meanTaskMs * queued) / this.concurrency / 1000));
  }
}
