import { describe, expect, it } from 'vitest';
import { fieldPath, parseGenerate, parseJsonLenient, parseTraverse, RequestError } from './requests.js';
import { sampleLatents } from './sampling.js';

const D = 4;
const seedOf = () => 42;

function rejection(f: () => unknown): { status: number; field: string; message: string; hint: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof RequestError) return { status: e.status, field: e.where, message: e.message, hint: e.hint };
    throw e;
  }
  throw new Error('expected a RequestError');
}

describe('parseGenerate', () => {
  it('samples count vectors from the seed (default 16, random seed reported)', () => {
    const r = parseGenerate({ count: 3, seed: 9 }, D);
    expect(r).toMatchObject({ count: 3, seed: 9, format: 'json', cols: 2, scale: 2 });
    expect(r.z).toEqual(sampleLatents(9, 3, D));
    expect(parseGenerate(undefined, D, undefined, seedOf)).toMatchObject({ count: 16, seed: 42 });
  });

  it('takes z as vectors or one vector, and fix sets a coordinate', () => {
    const r = parseGenerate(
      {
        z: [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ],
        fix: { index: 0, value: -2 },
      },
      D,
    );
    expect(r).toMatchObject({ count: 2, seed: null });
    expect(Array.from(r.z)).toEqual([-2, 2, 3, 4, -2, 6, 7, 8]);
    expect(Array.from(parseGenerate({ z: [0.5, 0, 0, 1] }, D).z)).toEqual([0.5, 0, 0, 1]);
  });

  it('chooses PNG by format or by Accept: image/png', () => {
    expect(parseGenerate({ format: 'png' }, D, undefined, seedOf).format).toBe('png');
    expect(parseGenerate({}, D, 'image/png', seedOf).format).toBe('png');
    expect(parseGenerate({ format: 'json' }, D, 'image/png', seedOf).format).toBe('json');
    expect(parseGenerate({}, D, 'application/json, image/png', seedOf).format).toBe('json');
    expect(parseGenerate({}, D, 'application/octet-stream', seedOf).format).toBe('f32');
    expect(parseGenerate({}, D, '*/*', seedOf).format).toBe('json');
  });

  it.each([
    [{ count: 0 }, 'count', /count must be an integer from 1 to 256, got 0/],
    [{ count: 257 }, 'count', /from 1 to 256, got 257/],
    [{ count: 2.5 }, 'count', /got 2.5/],
    [{ count: '4' }, 'count', /got "4"/],
    [{ seed: -1 }, 'seed', /seed must be an integer from 0 to 4294967295/],
    [{ z: [[1, 2, 3]] }, 'z[0]', /z\[0\] has 3 values; the model's latent size is 4/],
    [
      {
        z: [
          [1, 2, 3, 4],
          [1, 2, 3, 4, 5],
        ],
      },
      'z[1]',
      /has 5 values/,
    ],
    [{ z: [1, 2, 3] }, 'z', /z has 3 values/],
    [{ z: [[1, 2, NaN, 4]] }, 'z[0][2]', /z\[0\]\[2\] must be a finite float32 number \(\|x\| ≤ 3\.4028235e38\)/],
    [{ z: [[1, 2, 1e39, 4]] }, 'z[0][2]', /got 1e\+39/],
    [{ z: [[1, 2, -3.5e38, 4]] }, 'z[0][2]', /got -3.5e\+38/],
    [{ z: [[1, 2, 3, 'NaN']] }, 'z[0][3]', /got "NaN"/],
    [{ z: [1e39, 0, 0, 0] }, 'z[0]', /got 1e\+39/],
    [{ fix: { index: 0, value: 1e39 } }, 'fix.value', /fix.value must be a finite float32 number .*got 1e\+39/],
    [{ fix: { index: 0, value: 'NaN' } }, 'fix.value', /got "NaN"/],
    [{ fix: { index: 0, value: Infinity } }, 'fix.value', /got Infinity/],
    [null, 'body', /must be a JSON object/],
    [{ z: [[1, 2, 3, Infinity]] }, 'z[0][3]', /got Infinity/],
    [{ z: [[1, null, 3, 4]] }, 'z[0][1]', /got null/],
    [{ z: [[1, 2, 3, 4], 'x'] }, 'z[1]', /must be an array of 4 numbers/],
    [{ z: [] }, 'z', /z is empty/],
    [{ z: 'abc' }, 'z', /must be an array of latent vectors/],
    [{ z: [[1, 2, 3, 4]], seed: 1 }, 'seed', /either seed or z/],
    [{ z: [[1, 2, 3, 4]], count: 2 }, 'count', /count 2 differs from the 1 vectors/],
    [{ fix: { index: 4, value: 1 } }, 'fix.index', /fix.index 4 is out of range/],
    [{ fix: { index: 1 } }, 'fix.value', /fix.value is required/],
    [{ format: 'gif' }, 'format', /must be "json", "png" or "f32"/],
    [{ scale: 9 }, 'scale', /from 1 to 8/],
    [{ colour: 'red' }, 'colour', /unknown field "colour"/],
    [[1, 2], 'body', /must be a JSON object/],
    ['count=3', 'body', /must be a JSON object/],
  ])('%j → 400 naming %s', (body, field, message) => {
    const e = rejection(() => parseGenerate(body, D, undefined, seedOf));
    expect(e).toMatchObject({ status: 400, field });
    expect(e.message).toMatch(message);
  });

  it('takes the largest float32 and rounds to it; the cap of 256 images is in the hint', () => {
    expect(parseGenerate({ z: [3.4028235e38, -3.4028235e38, 0, 0] }, D).z[0]).toBe(3.4028234663852886e38);
    expect(() => parseGenerate({ z: [3.41e38, 0, 0, 0] }, D)).toThrow(/got 3.41e\+38/);
    expect(rejection(() => parseGenerate({ count: 257 }, D)).hint).toMatch(/1 to 256 images per request/);
  });

  it('rejects more than 256 vectors in z', () => {
    const z = Array.from({ length: 257 }, () => [0, 0, 0, 0]);
    expect(rejection(() => parseGenerate({ z }, D))).toMatchObject({
      field: 'z',
      message: 'z has 257 vectors, at most 256 per request',
    });
  });
});

describe('parseTraverse', () => {
  it('takes up to 256 images: rows × values', () => {
    const values = new Array(32).fill(0);
    expect(parseTraverse({ index: 0, rows: 8, values }, D, undefined, seedOf).z.length).toBe(256 * D);
    const e = rejection(() => parseTraverse({ index: 0, rows: 9, values }, D, undefined, seedOf));
    expect(e).toMatchObject({ status: 400, field: 'rows' });
    expect(e.hint).toMatch(/rows × values ≤ 256/);
  });

  it('defaults to E9: 10 values in [−2, 2], one row', () => {
    const r = parseTraverse({ index: 2, seed: 5 }, D);
    expect(r.values).toHaveLength(10);
    expect(r).toMatchObject({ rows: 1, seed: 5, index: 2 });
    expect(r.z.length).toBe(10 * D);
  });

  it.each([
    [{}, 'index', /index is required/],
    [{ index: 4 }, 'index', /index 4 is out of range/],
    [{ index: 0, values: [] }, 'values', /at least one value/],
    [{ index: 0, values: [0, NaN] }, 'values[1]', /finite float32 number/],
    [{ index: 0, values: [0, 1e39] }, 'values[1]', /got 1e\+39/],
    [{ index: 0, values: [-Infinity] }, 'values[0]', /got -Infinity/],
    [{ index: 0, values: ['NaN'] }, 'values[0]', /got "NaN"/],
    [{ index: 0, rows: 17 }, 'rows', /from 1 to 16/],
    [{ index: 0, rows: 16, values: new Array(17).fill(0) }, 'rows', /rows × values = 16 × 17 = 272 images, more/],
    [{ index: 0, rows: 16, values: new Array(32).fill(0) }, 'rows', /512 images/],
    [{ index: 0, values: new Array(33).fill(0) }, 'values', /at most 32 values/],
    [null, 'body', /must be a JSON object/],
  ])('%j → 400 naming %s', (body, field, message) => {
    const e = rejection(() => parseTraverse(body, D, undefined, seedOf));
    expect(e).toMatchObject({ status: 400, field });
    expect(e.message).toMatch(message);
  });
});

describe('parseJsonLenient', () => {
  it('reads NaN and ±Infinity tokens (Python json.dumps) so validation can name the field', () => {
    expect(parseJsonLenient('{"z": [[1, NaN, -Infinity, Infinity]]}')).toEqual({ z: [[1, NaN, -Infinity, Infinity]] });
    expect(parseJsonLenient('{"s": "NaN in a string", "t": "a \\" NaN"}')).toEqual({
      s: 'NaN in a string',
      t: 'a " NaN',
    });
    expect(() => parseJsonLenient('{"a": 1')).toThrow();
    expect(() => parseJsonLenient('{"a": NaNa}')).toThrow();
  });

  it('fieldPath formats zod paths', () => {
    expect(fieldPath(['z', 3, 5])).toBe('z[3][5]');
    expect(fieldPath(['fix', 'index'])).toBe('fix.index');
    expect(fieldPath([])).toBe('body');
  });
});
