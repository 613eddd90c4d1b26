import { z } from '@wgan/core';

/**
 * render's config. The figures follow seed 000's "Logging (minimum)": running L_D and L_G, the batch
 * Wasserstein estimate Ŵ₁ = E[D(x)] − E[D(G(z))], the gradient penalty with an optional histogram of
 * ‖∇D(x̂)‖₂, and fixed-noise grids "at regular intervals (e.g., iteration 0, 2,000, 10,000, final)".
 */
export const renderSchema = z
  .object({
    /** Run name: reads artifacts/runs/<run> and artifacts/eval/<run>, writes artifacts/render/<run>. */
    run: z.string().default('default'),
    /** Run folder (default artifacts/runs/<run>). */
    runDir: z.string().optional(),
    /** Evaluation folder (default artifacts/eval/<run>); figures from it are skipped when absent. */
    evalDir: z.string().optional(),
    /** Output folder (default artifacts/render/<run>). */
    out: z.string().optional(),
    /** Nearest-neighbour upscale of each 28×28 tile in grids and strips. */
    tileScale: z.number().int().min(1).max(8).default(2),
    /** PNG pixels per SVG pixel of the plots (2 = sharp on high-density screens and in print). */
    plotScale: z.number().min(0.5).max(4).default(2),
    /** Most snapshot rows in snapshots-strip.png (evenly spread, first and last always kept). */
    stripRows: z.number().int().min(1).max(50).default(8),
    /** Images per snapshot row (the first of the 64 z_fixed images). */
    stripPerRow: z.number().int().min(1).max(64).default(16),
    /** Moving-average window of the training curves, in iterations ("auto": ~2% of the run). */
    smooth: z.union([z.literal('auto'), z.number().int().positive()]).default('auto'),
    /** Bins of the gradient-norm histogram. */
    histogramBins: z.number().int().min(2).max(200).default(40),
    /** Also keep each plot's SVG next to its PNG. */
    svg: z.boolean().default(false),
  })
  .strict();

export type RenderConfig = z.output<typeof renderSchema>;

/** `--smooth 50` / `--smooth auto`. */
export function parseSmooth(text: string): number | 'auto' {
  return text === 'auto' ? 'auto' : Number(text);
}
