import { describe, expect, it } from 'vitest';
import { resolveConfig } from '@wgan/core';
import { envOverrides, serveSchema } from './config.js';

describe('serve config', () => {
  it('reads WGAN_MODEL, PORT and HOST from the environment', () => {
    expect(envOverrides({ WGAN_MODEL: '/m', PORT: '9000', HOST: '0.0.0.0' })).toEqual({
      model: '/m',
      port: 9000,
      host: '0.0.0.0',
    });
    expect(envOverrides({})).toEqual({ model: undefined, port: undefined, host: undefined });
  });

  it('defaults: run default, loopback, port 8080, spinning off; a bad PORT names the key', () => {
    expect(resolveConfig(serveSchema, { overrides: envOverrides({}) })).toEqual({
      run: 'default',
      port: 8080,
      host: '127.0.0.1',
      bodyLimit: 1 << 20,
      spinning: false,
      requestTimeoutMs: 10_000,
      idleTimeoutMs: 60_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 256,
      maxRequestsPerSocket: 1000,
      queueConcurrency: 2,
      queueSize: 32,
    });
    expect(() => resolveConfig(serveSchema, { overrides: { queueConcurrency: 0 } })).toThrow(/queueConcurrency/);
    expect(() => resolveConfig(serveSchema, { overrides: envOverrides({ PORT: 'eighty' }), source: 'env' })).toThrow(
      /port: Invalid input/,
    );
    expect(() => resolveConfig(serveSchema, { overrides: { port: 70000 } })).toThrow(/port/);
  });
});
