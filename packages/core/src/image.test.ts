import { describe, expect, it } from 'vitest';
import { decodeGray, gridImage, gridPng, toUint8Pixel } from './image.js';

describe('grids of images', () => {
  it('maps −1 → 0, 0 → 128 (127.5 rounded), +1 → 255 and clamps', () => {
    expect([-1, 0, 1, -3, 3].map(toUint8Pixel)).toEqual([0, 128, 255, 0, 255]);
  });

  it('lays 3 images of 2×2 out as a 2-column grid with padding', () => {
    const images = Float32Array.from([-1, -1, -1, -1, 1, 1, 1, 1, -1, 1, -1, 1]);
    const g = gridImage(images, 3, { height: 2, width: 2, pad: 1, padValue: 77 });
    expect([g.width, g.height]).toEqual([2 * 3 + 1, 2 * 3 + 1]);
    const at = (x: number, y: number) => g.pixels[y * g.width + x];
    expect(at(0, 0)).toBe(77);
    expect([at(1, 1), at(2, 2)]).toEqual([0, 0]); // image 0: black
    expect([at(4, 1), at(5, 2)]).toEqual([255, 255]); // image 1: white
    expect([at(1, 4), at(2, 4), at(1, 5), at(2, 5)]).toEqual([0, 255, 0, 255]); // image 2: stripes
    expect([at(4, 4), at(5, 5)]).toEqual([77, 77]); // empty cell keeps the pad value
  });

  it('encodes a 1-channel PNG that decodes to the same pixels', async () => {
    const images = Float32Array.from({ length: 4 * 28 * 28 }, (_, i) => ((i % 28) / 27) * 2 - 1);
    const png = await gridPng(images, 4, { cols: 2, scale: 2 });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const back = await decodeGray(png);
    const direct = gridImage(images, 4, { cols: 2, scale: 2 });
    expect([back.width, back.height]).toEqual([direct.width, direct.height]);
    expect(Buffer.from(back.pixels).equals(Buffer.from(direct.pixels))).toBe(true);
  });
});
