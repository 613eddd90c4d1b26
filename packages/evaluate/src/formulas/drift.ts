/**
 * E8 (seed 000): fixed-noise drift in image space. G_t = the stack of images generated from z_fixed at
 * iteration t (values in [−1, 1], before any de-normalisation); d = mean(|G_{t'} − G_t|) over every pixel
 * of every image. The seed names three times t₁ < t₂ < t₃ and reports d₁₂, d₂₃; the pipeline snapshots
 * at 0, 2,000, 10,000 and the final iteration, so `drifts` holds every consecutive pair.
 */
export function meanAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0)
    throw new RangeError(`E8: snapshots of ${a.length} and ${b.length} values`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

export interface Snapshot {
  iteration: number;
  images: ArrayLike<number>;
}

export interface E8 {
  /** The snapshot iterations used, ascending (t₁, t₂, t₃, …). */
  iterations: number[];
  d12: number;
  d23: number;
  drifts: { from: number; to: number; d: number }[];
}

export function e8FixedNoiseDrift(snapshots: readonly Snapshot[]): E8 {
  const sorted = [...snapshots].sort((a, b) => a.iteration - b.iteration);
  if (sorted.length < 3) throw new RangeError(`E8 needs three snapshots, got ${sorted.length}`);
  const drifts = sorted
    .slice(1)
    .map((s, i) => ({ from: sorted[i].iteration, to: s.iteration, d: meanAbsDifference(s.images, sorted[i].images) }));
  return { iterations: sorted.map((s) => s.iteration), d12: drifts[0].d, d23: drifts[1].d, drifts };
}

/**
 * Which snapshots E8 compares, out of the iterations available (≤ the evaluated checkpoint): the seed's
 * milestones 0, 2,000 and 10,000 where present, and the last one (final). With fewer than three of
 * those, the first, the one nearest the middle and the last available snapshot.
 */
export function driftIterations(
  available: readonly number[],
  milestones: readonly number[] = [0, 2000, 10000],
): number[] {
  const sorted = [...new Set(available)].sort((a, b) => a - b);
  if (sorted.length < 3) return sorted;
  const last = sorted[sorted.length - 1];
  const chosen = [...new Set([...milestones.filter((m) => sorted.includes(m)), last])].sort((a, b) => a - b);
  if (chosen.length >= 3) return chosen;
  const first = sorted[0];
  const middle = (first + last) / 2;
  const inner = sorted.slice(1, -1).reduce((best, t) => (Math.abs(t - middle) < Math.abs(best - middle) ? t : best));
  return [first, inner, last];
}
