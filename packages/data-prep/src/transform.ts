/**
 * The pixel transform shared by every stage: uint8 p ∈ {0..255} → x = p / 127.5 − 1 ∈ [−1, 1],
 * the same as torchvision's ToTensor() then Normalize((0.5,), (0.5,)) (the seed's transform), exact at
 * 0 → −1, 127.5 → 0, 255 → 1.
 */
export function normalizePixel(p: number): number {
  return p / 127.5 - 1;
}

export function normalizeImages(pixels: Uint8Array, out: Float32Array = new Float32Array(pixels.length)): Float32Array {
  const lut = new Float32Array(256);
  for (let p = 0; p < 256; p++) lut[p] = normalizePixel(p);
  for (let i = 0; i < pixels.length; i++) out[i] = lut[pixels[i]];
  return out;
}

/** Inverse, for pictures: x ∈ [−1, 1] → uint8, rounded and clamped. */
export function denormalizeToUint8(x: Float32Array): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((x[i] + 1) * 127.5)));
  return out;
}
