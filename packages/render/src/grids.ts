import sharp from 'sharp';
import { encodePng, gridImage, type GrayImage } from '@wgan/core';

/**
 * Image figures built on core's `gridImage` (pixel-exact tiles, [−1, 1] → 0..255) and labelled with
 * text: the pixels are laid out here in a raw grayscale canvas, then sharp composites a transparent SVG
 * holding only the text over it. Tiles are never resampled, so what the figure shows is exactly what the
 * generator produced; text never overlaps a tile, so the tiles' bytes survive the composite unchanged.
 */

const PIXELS = 784;
const FONT = 'DejaVu Sans, Liberation Sans, Helvetica, Arial, sans-serif';

export interface TileOptions {
  /** Integer nearest-neighbour upscale of each 28×28 tile (default 2). */
  scale?: number;
  /** Pixels between tiles (default 2). */
  pad?: number;
}

/**
 * A side × side grid of the first side² images (x: [n, 784] in [−1, 1], n ≥ side²) as a grayscale PNG:
 * `sampleGrid(x, 8)` is the 8×8 grid of the fixed-noise snapshots, `sampleGrid(x, 10)` the 10×10 grid
 * of evaluation samples.
 */
export async function sampleGrid(images: Float32Array, side: number, options: TileOptions = {}): Promise<Buffer> {
  const count = side * side;
  if (images.length < count * PIXELS)
    throw new RangeError(`sampleGrid: ${images.length / PIXELS} images given, a ${side}×${side} grid needs ${count}`);
  return encodePng(gridImage(images, count, { cols: side, scale: options.scale ?? 2, pad: options.pad ?? 2 }));
}

export interface Label {
  text: string;
  x: number;
  /** Baseline y. */
  y: number;
  anchor?: 'start' | 'middle' | 'end';
  size?: number;
  bold?: boolean;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A transparent SVG of the size of `image` holding the labels (black text). */
export function labelsSvg(width: number, height: number, labels: Label[]): string {
  const texts = labels.map(
    (l) =>
      `<text x="${l.x}" y="${l.y}" text-anchor="${l.anchor ?? 'start'}" ` +
      `font-size="${l.size ?? 12}"${l.bold ? ' font-weight="bold"' : ''}>${escapeXml(l.text)}</text>`,
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 ` +
    `0 ${width} ${height}"><g font-family="${FONT}" fill="#000000">${texts.join('')}</g></svg>`
  );
}

/** Draws labels onto a grayscale canvas and encodes a 1-channel PNG. */
export async function labelledPng(image: GrayImage, labels: Label[]): Promise<Buffer> {
  const raw = Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength);
  const base = sharp(raw, { raw: { width: image.width, height: image.height, channels: 1 } });
  if (labels.length === 0) return base.toColourspace('b-w').png().toBuffer();
  const overlay = Buffer.from(labelsSvg(image.width, image.height, labels));
  // Composite on an RGB copy, then back to one channel: the text is black on white, the tiles are gray.
  return sharp(await base.toColourspace('srgb').png().toBuffer())
    .composite([{ input: overlay, top: 0, left: 0 }])
    .removeAlpha()
    .toColourspace('b-w')
    .png()
    .toBuffer();
}

/** Copies `src` into `dst` at (left, top). */
function blit(dst: GrayImage, src: GrayImage, left: number, top: number): void {
  for (let y = 0; y < src.height; y++) {
    dst.pixels.set(src.pixels.subarray(y * src.width, (y + 1) * src.width), (top + y) * dst.width + left);
  }
}

/** A generous estimate of a 14 px bold title's width (DejaVu Sans averages under 9 px a character). */
function titleWidth(title: string): number {
  return Math.ceil(title.length * 9 + 16);
}

function blank(width: number, height: number): GrayImage {
  return { width, height, pixels: new Uint8Array(width * height).fill(255) };
}

export interface Snapshot {
  iteration: number;
  /** [n, 784] in [−1, 1]; the first `perRow` images are shown. */
  images: Float32Array;
}

export interface StripOptions extends TileOptions {
  /** Text above the rows (default none). */
  title?: string;
  /** Width of the label column on the left, px (default 118). */
  labelWidth?: number;
}

/** Where the snapshot strip puts things; exported so tests can check the layout. */
export interface StripLayout {
  width: number;
  height: number;
  top: number;
  labelWidth: number;
  rowHeight: number;
  rowWidth: number;
}

export function stripLayout(rows: number, perRow: number, options: StripOptions = {}): StripLayout {
  const scale = options.scale ?? 2;
  const pad = options.pad ?? 2;
  const labelWidth = options.labelWidth ?? 118;
  const rowWidth = perRow * (28 * scale + pad) + pad;
  const rowHeight = 28 * scale + pad;
  const top = options.title ? 26 : 0;
  const width = Math.max(labelWidth + rowWidth, options.title ? titleWidth(options.title) : 0);
  return { width, height: top + rows * rowHeight + pad, top, labelWidth, rowHeight, rowWidth };
}

/**
 * Fixed-noise snapshots over training (seed 000: "iteration 0, 2,000, 10,000, final"), one row per
 * snapshot with its iteration written on the left: the same z_fixed column by column, so a column shows
 * one latent vector's image evolving.
 */
export async function snapshotStrip(
  snapshots: Snapshot[],
  perRow: number,
  options: StripOptions = {},
): Promise<Buffer> {
  if (snapshots.length === 0) throw new RangeError('snapshotStrip: no snapshots');
  if (!Number.isInteger(perRow) || perRow < 1)
    throw new RangeError(`snapshotStrip: perRow must be a positive integer, got ${perRow}`);
  const scale = options.scale ?? 2;
  const pad = options.pad ?? 2;
  const layout = stripLayout(snapshots.length, perRow, options);
  const canvas = blank(layout.width, layout.height);
  const labels: Label[] = options.title ? [{ text: options.title, x: 8, y: 18, size: 14, bold: true }] : [];
  snapshots.forEach((snap, r) => {
    const n = Math.min(perRow, Math.floor(snap.images.length / PIXELS));
    if (n < 1) throw new RangeError(`snapshotStrip: snapshot at iteration ${snap.iteration} holds no 28×28 image`);
    const row = gridImage(snap.images, n, { cols: perRow, scale, pad });
    const top = layout.top + r * layout.rowHeight;
    blit(canvas, row, layout.labelWidth, top);
    labels.push({
      text: `iter ${snap.iteration.toLocaleString('en-US')}`,
      x: layout.labelWidth - 8,
      y: top + pad + (28 * scale) / 2 + 5,
      anchor: 'end',
      size: 13,
    });
  });
  return labelledPng(canvas, labels);
}

export interface TraversalOptions extends TileOptions {
  /** The latent index swept (for the labels: "z[12]"). */
  index?: number;
  title?: string;
  /** Decimals of the value labels (default 2). */
  digits?: number;
}

/**
 * A latent traversal (E9): images[k] = G(z with z_i = values[k]); with values.length·r images, r rows
 * (one per base z). Each column is labelled with its z_i value underneath.
 */
export async function traversalStrip(
  images: Float32Array,
  values: readonly number[],
  options: TraversalOptions = {},
): Promise<Buffer> {
  const cols = values.length;
  if (cols === 0) throw new RangeError('traversalStrip: no values');
  const total = images.length / PIXELS;
  if (!Number.isInteger(total) || total < cols || total % cols !== 0) {
    throw new RangeError(
      `traversalStrip: ${images.length} values are not a whole number of rows of ${cols} images of 28×28`,
    );
  }
  const rows = total / cols;
  const scale = options.scale ?? 2;
  const pad = options.pad ?? 2;
  const tile = 28 * scale + pad;
  const labelWidth = 64;
  const top = 26;
  const grid = gridImage(images, total, { cols, scale, pad });
  const name = options.index === undefined ? 'z_i' : `z[${options.index}]`;
  const digits = options.digits ?? 2;
  const title =
    options.title ??
    `latent traversal: ${name} from ${fmt(values[0], digits)} ` +
      `to ${fmt(values[cols - 1], digits)}, other dimensions fixed`;
  const canvas = blank(Math.max(labelWidth + grid.width, titleWidth(title)), top + grid.height + 22);
  blit(canvas, grid, labelWidth, top);
  const labels: Label[] = [
    { text: title, x: 8, y: 18, size: 14, bold: true },
    { text: `${name} =`, x: labelWidth - 6, y: top + grid.height + 15, anchor: 'end', size: 12 },
  ];
  for (let r = 0; r < rows; r++)
    labels.push({
      text: rows > 1 ? `z #${r + 1}` : 'G(z)',
      x: labelWidth - 6,
      y: top + pad + r * tile + (28 * scale) / 2 + 5,
      anchor: 'end',
      size: 12,
    });
  values.forEach((v, k) =>
    labels.push({
      text: fmt(v, digits),
      x: labelWidth + pad + k * tile + (28 * scale) / 2,
      y: top + grid.height + 15,
      anchor: 'middle',
      size: 11,
    }),
  );
  return labelledPng(canvas, labels);
}

/** A signed number with a real minus sign (U+2212), as figures print it. */
function fmt(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return s.startsWith('-') ? `\u2212${s.slice(1)}` : s;
}
