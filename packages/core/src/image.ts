/**
 * Images for people: tiles of 28×28 (or any h×w) grayscale images in [−1, 1] laid out as a grid and
 * encoded as an 8-bit grayscale PNG by sharp. Pixel value = round((x + 1) · 127.5), clamped to 0..255,
 * so −1 is black and +1 white (MNIST's convention: white digit strokes on black).
 */
export interface GridOptions {
  /** Images per row (default: ⌈√n⌉). */
  cols?: number;
  /** Image height and width (default 28 × 28). */
  height?: number;
  width?: number;
  /** Pixels between tiles and around the grid (default 2). */
  pad?: number;
  /** Value of the padding, 0..255 (default 255: white lines between black tiles). */
  padValue?: number;
  /** Integer upscale factor, nearest neighbour (default 1). */
  scale?: number;
}

export interface GrayImage {
  width: number;
  height: number;
  /** Row-major, one byte per pixel. */
  pixels: Uint8Array;
}

export function toUint8Pixel(x: number): number {
  return Math.max(0, Math.min(255, Math.round((x + 1) * 127.5)));
}

/** Lays out `count` images (row-major, [count, h·w] in [−1, 1]) as a grid. */
export function gridImage(images: Float32Array, count: number, options: GridOptions = {}): GrayImage {
  const h = options.height ?? 28;
  const w = options.width ?? 28;
  if (images.length < count * h * w)
    throw new RangeError(`gridImage: ${images.length} values hold fewer than ${count} images of ${h}×${w}`);
  const cols = options.cols ?? Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / cols);
  const pad = options.pad ?? 2;
  const s = options.scale ?? 1;
  const width = cols * (w * s + pad) + pad;
  const height = rows * (h * s + pad) + pad;
  const pixels = new Uint8Array(width * height).fill(options.padValue ?? 255);
  for (let k = 0; k < count; k++) {
    const top = pad + Math.floor(k / cols) * (h * s + pad);
    const left = pad + (k % cols) * (w * s + pad);
    for (let y = 0; y < h * s; y++) {
      for (let x = 0; x < w * s; x++) {
        pixels[(top + y) * width + left + x] = toUint8Pixel(
          images[k * h * w + Math.floor(y / s) * w + Math.floor(x / s)],
        );
      }
    }
  }
  return { width, height, pixels };
}

/** sharp, loaded on first use (a GPU bundle without it can still train; see shared/gpu/pack.sh). */
type Sharp = typeof import('sharp').default;
async function loadSharp(): Promise<Sharp> {
  return (await import('sharp')).default;
}

/** Encodes a grayscale image as a 1-channel PNG. */
export async function encodePng(image: GrayImage): Promise<Buffer> {
  const sharp = await loadSharp();
  return sharp(Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength), {
    raw: { width: image.width, height: image.height, channels: 1 },
  })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}

/** Grid → PNG bytes in one call. */
export async function gridPng(images: Float32Array, count: number, options: GridOptions = {}): Promise<Buffer> {
  return encodePng(gridImage(images, count, options));
}

/** Decodes a PNG (or any image sharp reads) into 8-bit grayscale pixels. */
export async function decodeGray(png: Uint8Array): Promise<GrayImage> {
  const sharp = await loadSharp();
  const { data, info } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`expected 1 channel, got ${info.channels}`);
  return { width: info.width, height: info.height, pixels: new Uint8Array(data) };
}
