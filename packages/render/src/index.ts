// @wgan/render's public surface: what the other stages import, by name (a module's other exports stay internal).
export { lineChart, scatter, heatmap, barChart, stackPanels, renderPng, type Spec, PLOT_CONFIG } from './plots.js';
export { labelledPng, type Label } from './grids.js';
export { parseEvalReport } from './inputs.js';
export { evalCurves, classHistogram } from './figures.js';
export { renderSchema, type RenderConfig } from './config.js';
export { planRender, renderRun, type RenderIndex } from './render-run.js';
