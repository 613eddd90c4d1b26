import { classHistogram, evalCurves, parseEvalReport, renderPng } from '@wgan/render';
import type { FigureRenderer } from './evaluate-run.js';

/**
 * report.html's plots, drawn by render (vega-lite → SVG → PNG): IS, FD and Ŵ₁ against the checkpoint
 * iteration (with --all-checkpoints) and the generated class histogram next to the real test set's.
 * A figure whose data is absent is left out (render says why).
 */
export const reportFigures: FigureRenderer = async ({ report }) => {
  const parsed = parseEvalReport(report);
  const wanted = [
    {
      id: 'eval-curves',
      title: 'Inception score, Fréchet distance and Ŵ₁ against iteration',
      built: evalCurves(parsed),
    },
    {
      id: 'class-histogram',
      title: 'Class histogram of generated samples (classifier labels)',
      built: classHistogram(parsed),
    },
  ];
  const out = [];
  for (const { id, title, built } of wanted) {
    if (!('spec' in built)) continue;
    out.push({
      id,
      title,
      png: (await renderPng(built.spec, { scale: 2 })).png,
      ...(built.note ? { caption: built.note } : {}),
    });
  }
  return out;
};
