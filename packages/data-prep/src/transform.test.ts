import { describe, expect, it } from 'vitest';
import { denormalizeToUint8, normalizeImages, normalizePixel } from './transform.js';

describe('pixel transform x = p / 127.5 − 1', () => {
  it('is exact at 0, 127.5 and 255', () => {
    expect(normalizePixel(0)).toBe(-1);
    expect(normalizePixel(127.5)).toBe(0);
    expect(normalizePixel(255)).toBe(1);
    expect(Array.from(normalizeImages(Uint8Array.of(0, 255)))).toEqual([-1, 1]);
  });

  it('matches ToTensor + Normalize(0.5, 0.5) in float32 for every pixel value, and inverts', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const x = normalizeImages(all);
    for (let p = 0; p < 256; p++) {
      expect(x[p]).toBe(Math.fround(p / 127.5 - 1));
      expect(Math.abs(x[p] - (p / 255 - 0.5) / 0.5)).toBeLessThan(1e-7);
    }
    expect(Array.from(denormalizeToUint8(x))).toEqual(Array.from(all));
  });
});
