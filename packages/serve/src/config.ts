import { z } from '@wgan/core';
import { DEFAULT_LIMITS } from './server.js';

const ms = () => z.number().int().positive();

/** serve's config: flags > env (WGAN_MODEL, PORT, HOST) > config file > these defaults. */
export const serveSchema = z
  .object({
    /**
     * An export folder inside the artifacts root (export/<run>/<checkpoint>); wins over `run`. Checked by
     * resolveModelDir.
     */
    model: z.string().optional(),
    /**
     * Serve this run's newest export (<artifacts root>/export/<run>/latest); one plain name, checked by
     * resolveModelDir.
     */
    run: z.string().default('default'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Loopback by default; 0.0.0.0 to serve the network. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Largest request body in bytes. */
    bodyLimit: z
      .number()
      .int()
      .positive()
      .default(1 << 20),
    /** onnxruntime intra-op threads (default: onnxruntime's choice, one per core). */
    threads: z.number().int().positive().optional(),
    /**
     * Let onnxruntime's threads spin-wait between runs (faster on an idle many-core machine, slower on a busy small
     * one).
     */
    spinning: z.boolean().default(false),
    /** A request's headers and body must arrive within this many ms (else 408, connection closed). */
    requestTimeoutMs: ms().default(DEFAULT_LIMITS.requestTimeoutMs),
    /** A socket silent both ways for this many ms is closed. */
    idleTimeoutMs: ms().default(DEFAULT_LIMITS.idleTimeoutMs),
    /** An idle keep-alive socket is closed after this many ms. */
    keepAliveTimeoutMs: ms().default(DEFAULT_LIMITS.keepAliveTimeoutMs),
    /** Open sockets at most (more are closed on accept). */
    maxConnections: z.number().int().positive().default(DEFAULT_LIMITS.maxConnections),
    /** Requests per keep-alive socket before it is closed (0: no limit). */
    maxRequestsPerSocket: z.number().int().nonnegative().default(DEFAULT_LIMITS.maxRequestsPerSocket),
    /** Generations running at once. */
    queueConcurrency: z.number().int().positive().default(DEFAULT_LIMITS.queueConcurrency),
    /** Generations waiting for a turn; one more gets 503 with Retry-After. */
    queueSize: z.number().int().nonnegative().default(DEFAULT_LIMITS.queueSize),
  })
  .strict();

export type ServeConfig = z.output<typeof serveSchema>;

/** The environment's say, as overrides (a non-numeric PORT is passed through for the schema to reject). */
export function envOverrides(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  return {
    model: env.WGAN_MODEL || undefined,
    port: env.PORT ? (/^\d+$/.test(env.PORT) ? Number(env.PORT) : env.PORT) : undefined,
    host: env.HOST || undefined,
  };
}
