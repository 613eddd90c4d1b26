import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeGray, type GrayImage } from '@wgan/core';
import { labelledPng, sampleGrid, snapshotStrip, stripLayout, traversalStrip } from './grids.js';

const PIXELS = 784;

/** n images, image k filled with the constant values[k]. */
function constantImages(values: number[]): Float32Array {
  const out = new Float32Array(values.length * PIXELS);
  values.forEach((v, k) => out.fill(v, k * PIXELS, (k + 1) * PIXELS));
  return out;
}

/** n images with a per-image gradient pattern, so tiles differ pixel by pixel. */
function patternImages(n: number, seed: number): Float32Array {
  return Float32Array.from(
    { length: n * PIXELS },
    (_, i) => Math.sin(i * 0.37 + seed) * Math.cos((i % PIXELS) * 0.05 * seed),
  );
}

const px = (v: number) => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));

/** The tile at (left, top) of size s×s, compared with image k of `images` upscaled by `scale`. */
function tileMatches(
  img: GrayImage,
  left: number,
  top: number,
  images: Float32Array,
  k: number,
  scale: number,
): boolean {
  for (let y = 0; y < 28 * scale; y++) {
    for (let x = 0; x < 28 * scale; x++) {
      const expected = px(images[k * PIXELS + Math.floor(y / scale) * 28 + Math.floor(x / scale)]);
      if (img.pixels[(top + y) * img.width + left + x] !== expected) return false;
    }
  }
  return true;
}

describe('sampleGrid', () => {
  it('lays a 2×2 grid of constant images out byte for byte', async () => {
    const images = constantImages([-1, 1, 0, 0.5]);
    const png = await sampleGrid(images, 2, { scale: 1, pad: 2 });
    const img = await decodeGray(png);
    const size = 2 * (28 + 2) + 2;
    expect([img.width, img.height]).toEqual([size, size]);
    // Independent expectation: white padding (255), tile k at (2 + 30·col, 2 + 30·row) holding px(v_k).
    const expected = new Uint8Array(size * size).fill(255);
    const values = [0, 255, 128, 191]; // −1, +1, 0 (127.5 rounds to 128), 0.5 (191.25 → 191)
    values.forEach((v, k) => {
      const top = 2 + Math.floor(k / 2) * 30;
      const left = 2 + (k % 2) * 30;
      for (let y = 0; y < 28; y++) expected.fill(v, (top + y) * size + left, (top + y) * size + left + 28);
    });
    expect(Buffer.from(img.pixels).equals(Buffer.from(expected))).toBe(true);
  });

  it('8×8 at scale 2 and 10×10 have the sizes the layout implies; too few images is an error', async () => {
    const g8 = await decodeGray(await sampleGrid(patternImages(64, 1), 8));
    expect([g8.width, g8.height]).toEqual([8 * 58 + 2, 8 * 58 + 2]);
    const images = patternImages(100, 2);
    const g10 = await decodeGray(await sampleGrid(images, 10, { scale: 1 }));
    expect([g10.width, g10.height]).toEqual([302, 302]);
    expect(tileMatches(g10, 2 + 9 * 30, 2 + 9 * 30, images, 99, 1)).toBe(true);
    await expect(sampleGrid(patternImages(99, 3), 10)).rejects.toThrow(/99 images given/);
  });
});

describe('labelledPng', () => {
  it('keeps every gray level of the canvas exact where no text is drawn', async () => {
    const image = { width: 256, height: 40, pixels: new Uint8Array(256 * 40) };
    for (let y = 0; y < 20; y++) for (let x = 0; x < 256; x++) image.pixels[y * 256 + x] = x;
    image.pixels.fill(255, 20 * 256);
    const png = await labelledPng(image, [{ text: 'iter 2,000', x: 10, y: 36, size: 12 }]);
    expect((await sharp(png).metadata()).channels).toBe(1);
    const out = await decodeGray(png);
    expect(Buffer.from(out.pixels.subarray(0, 20 * 256)).equals(Buffer.from(image.pixels.subarray(0, 20 * 256)))).toBe(
      true,
    );
    const textBand = out.pixels.subarray(24 * 256, 40 * 256);
    expect(textBand.some((p) => p < 100)).toBe(true); // the label was drawn, dark on white
  });
});

describe('snapshotStrip', () => {
  it("has one row per snapshot with the snapshot's images in order and a label beside each row", async () => {
    const snaps = [0, 2000, 10_000].map((iteration, r) => ({ iteration, images: patternImages(64, r + 1) }));
    const perRow = 5;
    const options = { scale: 1, pad: 2, title: 'G(z)' };
    const layout = stripLayout(snaps.length, perRow, options);
    const png = await snapshotStrip(snaps, perRow, options);
    expect((await sharp(png).metadata()).channels).toBe(1);
    const img = await decodeGray(png);
    expect([img.width, img.height]).toEqual([layout.width, layout.height]);
    expect(layout.height).toBe(layout.top + 3 * 30 + 2);
    snaps.forEach((snap, r) => {
      const top = layout.top + r * layout.rowHeight + 2;
      for (let k = 0; k < perRow; k++)
        expect(tileMatches(img, layout.labelWidth + 2 + k * 30, top, snap.images, k, 1)).toBe(true);
      // The label column of this row holds dark text pixels.
      let dark = 0;
      for (let y = top; y < top + 28; y++)
        for (let x = 0; x < layout.labelWidth; x++) if (img.pixels[y * img.width + x] < 128) dark++;
      expect(dark).toBeGreaterThan(20);
    });
    // Row 1 does not show row 0's images.
    expect(tileMatches(img, layout.labelWidth + 2, layout.top + layout.rowHeight + 2, snaps[0].images, 0, 1)).toBe(
      false,
    );
  });

  it('refuses an empty list and a non-positive row length', async () => {
    await expect(snapshotStrip([], 8)).rejects.toThrow(/no snapshots/);
    await expect(snapshotStrip([{ iteration: 0, images: patternImages(1, 1) }], 0)).rejects.toThrow(/perRow/);
  });
});

describe('traversalStrip', () => {
  it('lays one column per z_i value (several rows for several base vectors) and labels the values', async () => {
    const values = Array.from({ length: 10 }, (_, k) => -2 + (4 * k) / 9);
    const images = patternImages(20, 4);
    const png = await traversalStrip(images, values, { index: 7, scale: 1, title: 'z' });
    expect((await sharp(png).metadata()).channels).toBe(1);
    const img = await decodeGray(png);
    const gridWidth = 10 * 30 + 2;
    expect(img.width).toBe(64 + gridWidth);
    expect(img.height).toBe(26 + (2 * 30 + 2) + 22);
    expect(tileMatches(img, 64 + 2, 26 + 2, images, 0, 1)).toBe(true);
    expect(tileMatches(img, 64 + 2 + 9 * 30, 26 + 2 + 30, images, 19, 1)).toBe(true);
    const labelBand = img.pixels.subarray((26 + 62) * img.width);
    expect(labelBand.some((p) => p < 100)).toBe(true);
  });

  it('refuses a count that is not a whole number of rows', async () => {
    await expect(traversalStrip(patternImages(15, 1), new Array(10).fill(0))).rejects.toThrow(/whole number of rows/);
  });
});
