/**
 * The part of vitest's API that the WebGPU test files use, so that esbuild can bundle those files (alias
 * `vitest` → this file) and run them on a GPU machine that has Node but no node_modules. `describe`/`it`
 * only record; `runRegistered` runs the recorded tests in order and returns one result per test.
 */
import { isDeepStrictEqual } from 'node:util';

type TestFn = () => unknown | Promise<unknown>;
interface TestCase {
  name: string;
  suite: string[];
  fn: TestFn;
  skip: boolean;
}
export interface TestResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  ms: number;
  error?: string;
}

const registered: TestCase[] = [];
const suiteStack: string[] = [];
const skipStack: boolean[] = [];

function record(name: string, fn: TestFn, skip = false): void {
  registered.push({ name, suite: [...suiteStack], fn, skip: skip || skipStack.some(Boolean) });
}

function suite(name: string, fn: () => void, skip = false): void {
  suiteStack.push(name);
  skipStack.push(skip);
  try {
    fn();
  } finally {
    suiteStack.pop();
    skipStack.pop();
  }
}

function format(template: string, value: unknown, index: number): string {
  const args = Array.isArray(value) ? value : [value];
  let i = 0;
  return template.replace(/%[sdifjo#%]/g, (m) => (m === '%%' ? '%' : m === '%#' ? String(index) : String(args[i++])));
}

export const describe = Object.assign((name: string, fn: () => void) => suite(name, fn), {
  skipIf: (condition: unknown) => (name: string, fn: () => void) => suite(name, fn, Boolean(condition)),
  skip: (name: string, fn: () => void) => suite(name, fn, true),
});

export const it = Object.assign((name: string, fn: TestFn, _timeout?: number) => record(name, fn), {
  skip: (name: string, fn: TestFn) => record(name, fn, true),
  skipIf: (condition: unknown) => (name: string, fn: TestFn) => record(name, fn, Boolean(condition)),
  each:
    <T>(table: readonly T[]) =>
    (name: string, fn: (value: T) => unknown, _timeout?: number) =>
      table.forEach((value, index) => {
        const args = (Array.isArray(value) ? value : [value]) as unknown[];
        record(format(name, value, index), () => (fn as (...a: unknown[]) => unknown)(...args));
      }),
});
export const test = it;

class AssertionError extends Error {}

interface Asymmetric {
  asymmetricMatch(actual: unknown): boolean;
  toString(): string;
}
const isAsymmetric = (v: unknown): v is Asymmetric =>
  typeof v === 'object' && v !== null && typeof (v as Asymmetric).asymmetricMatch === 'function';

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return String(v);
  }
}

function matchesObject(actual: unknown, expected: unknown): boolean {
  if (isAsymmetric(expected)) return expected.asymmetricMatch(actual);
  if (typeof expected !== 'object' || expected === null) return Object.is(actual, expected);
  if (typeof actual !== 'object' || actual === null) return false;
  return Object.entries(expected).every(([k, v]) => matchesObject((actual as Record<string, unknown>)[k], v));
}

function thrownMatches(error: unknown, expected: unknown): boolean {
  if (expected === undefined) return true;
  const message = error instanceof Error ? error.message : String(error);
  if (expected instanceof RegExp) return expected.test(message);
  if (typeof expected === 'string') return message.includes(expected);
  if (typeof expected === 'function') return error instanceof (expected as new () => unknown);
  return matchesObject(error, expected);
}

type Matchers = Record<string, (...args: unknown[]) => void>;

function matchers(actual: unknown, negate: boolean, label: string | undefined): Matchers {
  const check = (pass: boolean, what: string) => {
    if (pass === negate)
      throw new AssertionError(`${label ? `${label}: ` : ''}expected ${show(actual)} ${negate ? 'not ' : ''}${what}`);
  };
  const num = (v: unknown) => v as number;
  return {
    toBe: (e) => check(Object.is(actual, e), `to be ${show(e)}`),
    toEqual: (e) => check(isDeepStrictEqual(actual, e) || matchesObject(actual, e), `to equal ${show(e)}`),
    toStrictEqual: (e) => check(isDeepStrictEqual(actual, e), `to strictly equal ${show(e)}`),
    toBeGreaterThan: (e) => check(num(actual) > num(e), `to be > ${show(e)}`),
    toBeGreaterThanOrEqual: (e) => check(num(actual) >= num(e), `to be ≥ ${show(e)}`),
    toBeLessThan: (e) => check(num(actual) < num(e), `to be < ${show(e)}`),
    toBeLessThanOrEqual: (e) => check(num(actual) <= num(e), `to be ≤ ${show(e)}`),
    toBeCloseTo: (e, digits = 2) =>
      check(Math.abs(num(actual) - num(e)) < 10 ** -num(digits) / 2, `to be close to ${e}`),
    toBeNaN: () => check(Number.isNaN(actual), 'to be NaN'),
    toBeTruthy: () => check(Boolean(actual), 'to be truthy'),
    toBeFalsy: () => check(!actual, 'to be falsy'),
    toBeDefined: () => check(actual !== undefined, 'to be defined'),
    toBeUndefined: () => check(actual === undefined, 'to be undefined'),
    toBeNull: () => check(actual === null, 'to be null'),
    toHaveLength: (e) => check((actual as { length: number }).length === e, `to have length ${e}`),
    toContain: (e) => check((actual as { includes(x: unknown): boolean }).includes(e), `to contain ${show(e)}`),
    toMatch: (e) =>
      check(e instanceof RegExp ? e.test(String(actual)) : String(actual).includes(String(e)), `to match ${e}`),
    toMatchObject: (e) => check(matchesObject(actual, e), `to match object ${show(e)}`),
    toThrow: (e) => {
      let threw = false;
      let error: unknown;
      try {
        (actual as () => unknown)();
      } catch (err) {
        threw = true;
        error = err;
      }
      check(
        threw && thrownMatches(error, e),
        `to throw ${e === undefined ? '' : String(e)} (got ${threw ? show(error) : 'no throw'})`,
      );
    },
  };
}

function rejects(actual: unknown, label: string | undefined): Record<string, (...args: unknown[]) => Promise<void>> {
  const settle = async (): Promise<{ rejected: boolean; reason: unknown }> => {
    try {
      await (actual as Promise<unknown>);
      return { rejected: false, reason: undefined };
    } catch (reason) {
      return { rejected: true, reason };
    }
  };
  const fail = (what: string) => {
    throw new AssertionError(`${label ? `${label}: ` : ''}expected a rejection ${what}`);
  };
  return {
    toThrow: async (e) => {
      const r = await settle();
      if (!r.rejected || !thrownMatches(r.reason, e)) fail(`throwing ${String(e)} (got ${show(r.reason)})`);
    },
    toMatchObject: async (e) => {
      const r = await settle();
      if (!r.rejected || !matchesObject(r.reason, e)) fail(`matching ${show(e)} (got ${show(r.reason)})`);
    },
  };
}

export const expect = Object.assign(
  (actual: unknown, label?: string): Matchers & { not: Matchers; rejects: ReturnType<typeof rejects> } =>
    Object.assign(matchers(actual, false, label), {
      not: matchers(actual, true, label),
      rejects: rejects(actual, label),
    }),
  {
    stringMatching: (re: RegExp | string): Asymmetric => ({
      asymmetricMatch: (a) => typeof a === 'string' && (re instanceof RegExp ? re.test(a) : a.includes(re)),
      toString: () => `stringMatching(${String(re)})`,
    }),
  },
);

/** Runs the tests recorded so far whose "suite > name" matches `filter`, one after another. */
export async function runRegistered(filter: RegExp | null, report: (r: TestResult) => void): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const t of registered.splice(0)) {
    const name = [...t.suite, t.name].join(' > ');
    if (filter && !filter.test(name)) continue;
    const started = performance.now();
    let result: TestResult;
    if (t.skip) {
      result = { name, status: 'skipped', ms: 0 };
    } else {
      try {
        await t.fn();
        result = { name, status: 'passed', ms: performance.now() - started };
      } catch (e) {
        result = { name, status: 'failed', ms: performance.now() - started, error: (e as Error).stack ?? String(e) };
      }
    }
    results.push(result);
    report(result);
  }
  return results;
}
