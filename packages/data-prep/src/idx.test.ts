import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PipelineError } from '@wgan/core';
import { encodeIdx, IMAGE_MAGIC, LABEL_MAGIC, parseImages, parseLabels } from './idx.js';

const px = (n: number) => Uint8Array.from({ length: n * 784 }, (_, i) => i % 256);

describe('IDX parser', () => {
  it('reads images: header, count, row-major pixels', () => {
    const bytes = encodeIdx(IMAGE_MAGIC, [2, 28, 28], px(2));
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0, 0, 8, 3, 0, 0, 0, 2]);
    const images = parseImages(bytes, 'f');
    expect(images.count).toBe(2);
    expect(images.pixels.length).toBe(2 * 784);
    expect(images.pixels[0]).toBe(0);
    expect(images.pixels[783]).toBe(783 % 256);
    expect(images.pixels[784]).toBe(784 % 256);
  });

  it('reads gzipped files the same as raw ones', () => {
    const raw = encodeIdx(LABEL_MAGIC, [5], Uint8Array.from([3, 1, 4, 1, 5]));
    expect(Array.from(parseLabels(gzipSync(raw), 'f.gz').labels)).toEqual([3, 1, 4, 1, 5]);
    expect(Array.from(parseLabels(raw, 'f').labels)).toEqual([3, 1, 4, 1, 5]);
  });

  const bad: [string, () => unknown, RegExp][] = [
    [
      'an image file with the label magic',
      () => parseImages(encodeIdx(LABEL_MAGIC, [1], Uint8Array.of(1)), 'x'),
      /wrong magic number 2049/,
    ],
    [
      'a label file with the image magic',
      () => parseLabels(encodeIdx(IMAGE_MAGIC, [1, 28, 28], px(1)), 'x'),
      /wrong magic number 2051/,
    ],
    [
      'a non-uint8 IDX type',
      () => parseImages(encodeIdx(0x00000d03, [1, 28, 28], px(1)), 'x'),
      /wrong magic number 0x00000d03/,
    ],
    [
      '32×32 images',
      () => parseImages(encodeIdx(IMAGE_MAGIC, [1, 32, 32], new Uint8Array(1024)), 'x'),
      /wrong dimensions \[1, 32, 32\]/,
    ],
    ['a truncated image file', () => parseImages(encodeIdx(IMAGE_MAGIC, [3, 28, 28], px(2)), 'x'), /truncated/],
    ['trailing bytes', () => parseLabels(encodeIdx(LABEL_MAGIC, [2], Uint8Array.of(1, 2, 3)), 'x'), /1 bytes more/],
    [
      'a label of 10',
      () => parseLabels(encodeIdx(LABEL_MAGIC, [3], Uint8Array.of(1, 10, 2)), 'x'),
      /label 10 at index 1 is outside 0..9/,
    ],
    ['a header cut short', () => parseLabels(Uint8Array.of(0, 0, 8), 'x'), /too short/],
    [
      'a damaged gzip stream',
      () => parseLabels(gzipSync(encodeIdx(LABEL_MAGIC, [400], new Uint8Array(400))).subarray(0, 20), 'x'),
      /gzip data is damaged or truncated/,
    ],
  ];
  it.each(bad)('rejects %s with a PipelineError naming the file', (_name, parse, message) => {
    let err: unknown;
    try {
      parse();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).message).toMatch(message);
    expect((err as PipelineError).where).toBe('x');
  });
});
