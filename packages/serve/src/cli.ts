#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { createLogger, PipelineError, resolveConfig, runCli } from '@wgan/core';
import { envOverrides, serveSchema } from './config.js';
import { loadGenerator, resolveModelDir } from './model.js';
import { createServer } from './server.js';

const program = new Command()
  .name('serve')
  .description('serves an exported generator over HTTP (onnxruntime-node, fastify), with a web page at /')
  .option('--model <dir>', 'export folder inside the artifacts root, e.g. export/default/00020000 (env WGAN_MODEL)')
  .option('--run <name>', 'serve the run\'s newest export: artifacts/export/<name>/latest (default "default")')
  .option('--port <n>', 'port, 0 for any free one (env PORT, default 8080)', Number)
  .option('--host <addr>', 'address to listen on (env HOST, default 127.0.0.1)')
  .option('--body-limit <bytes>', 'largest request body (default 1048576)', Number)
  .option('--request-timeout <ms>', 'headers and body must arrive within this, else 408 (default 10000)', Number)
  .option('--idle-timeout <ms>', 'close a socket with no traffic either way this long (default 60000)', Number)
  .option('--keep-alive-timeout <ms>', 'close an idle keep-alive socket after this (default 5000)', Number)
  .option('--max-connections <n>', 'open sockets at most; more are closed on accept (default 256)', Number)
  .option('--max-requests-per-socket <n>', 'requests per keep-alive socket, 0 = no limit (default 1000)', Number)
  .option('--queue-concurrency <n>', 'generations running at once (default 2)', Number)
  .option('--queue-size <n>', 'generations waiting; one more gets 503 + Retry-After (default 32)', Number)
  .option('--threads <n>', 'onnxruntime intra-op threads', Number)
  .option('--spinning', "let onnxruntime's threads spin-wait between runs (idle many-core machines)")
  .option('--config <file>', 'JSON config file (env and flags override it)')
  .option('--dry-run', 'print the resolved config and the model folder, start nothing')
  .option('--verbose', 'print the stack of a failure')
  .showHelpAfterError();

await runCli(async () => {
  const opts = program.parse().opts();
  const flags = {
    model: opts.model,
    run: opts.run,
    port: opts.port,
    host: opts.host,
    bodyLimit: opts.bodyLimit,
    threads: opts.threads,
    spinning: opts.spinning,
    requestTimeoutMs: opts.requestTimeout,
    idleTimeoutMs: opts.idleTimeout,
    keepAliveTimeoutMs: opts.keepAliveTimeout,
    maxConnections: opts.maxConnections,
    maxRequestsPerSocket: opts.maxRequestsPerSocket,
    queueConcurrency: opts.queueConcurrency,
    queueSize: opts.queueSize,
  };
  const env = envOverrides();
  const merged = Object.fromEntries(
    Object.keys({ ...env, ...flags }).map((k) => [k, (flags as Record<string, unknown>)[k] ?? env[k]]),
  );
  const config = resolveConfig(serveSchema, {
    file: opts.config,
    overrides: merged,
    source: 'flags or env (WGAN_MODEL, PORT, HOST)',
  });
  const dir = await resolveModelDir(config);
  if (opts.dryRun) {
    process.stdout.write(`${JSON.stringify({ config, model: dir }, null, 2)}\n`);
    return;
  }
  const logger = createLogger({ name: 'serve' });
  const model = await loadGenerator(dir, { intraOpThreads: config.threads, spinning: config.spinning });
  const app = await createServer({ model, logger, bodyLimit: config.bodyLimit, limits: config });
  const address = await app.listen({ port: config.port, host: config.host }).catch(async (e: NodeJS.ErrnoException) => {
    await model.release();
    if (e.code === 'EADDRINUSE')
      throw new PipelineError(
        `port ${config.port} is already in use`,
        '--port',
        'stop the other server or pick another port (--port 0 takes any free one)',
      );
    if (e.code === 'EACCES')
      throw new PipelineError(`no permission to listen on port ${config.port}`, '--port', 'use a port above 1023');
    if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
      throw new PipelineError(
        `cannot listen on host ${config.host}`,
        '--host',
        'use 127.0.0.1, 0.0.0.0 or an address of this machine',
      );
    throw e;
  });
  logger.info('model loaded', {
    dir,
    run: model.meta.run,
    iteration: model.meta.iteration,
    latentDim: model.latentDim,
  });
  process.stdout.write(`listening on ${address}\n`);

  // Graceful shutdown: stop accepting, let in-flight requests finish, release the session, exit 0.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    await app.close();
    await model.release();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
});
