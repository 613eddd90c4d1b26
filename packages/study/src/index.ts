// @wgan/study's public surface: entry points, config schema, result types (other exports stay internal).
export { parseStudySpec, readStudySpec, expandRuns, studySpecSchema, type StudySpec } from './spec.js';
export { summarize, welchTest, type Summary, type WelchResult } from './stats.js';
export { runLocal, type LocalOptions } from './local.js';
export { buildReport, writeReport, type StudyReport } from './report.js';
export { connectionFor, submitStudy, startWorker, type RunJobData, type WorkerOptions } from './queue.js';
