import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PipelineError, writeFloat32 } from '@wgan/core';
import {
  fileInside,
  findGradNorms,
  listSnapshots,
  parseEvalReport,
  parseMetrics,
  readImages,
  reportNumber,
  spread,
} from './inputs.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'render-inputs-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('parseMetrics', () => {
  it('reads numbers, turns null and missing fields into NaN, sorts by iteration', () => {
    const text = `${JSON.stringify({ iteration: 2, lossD: -1.5, lossG: 0.5, gp: null })}\n${JSON.stringify({ iteration: 1, lossD: -1, extra: 'ignored' })}\n`;
    const { records, replaced, droppedPartialLine } = parseMetrics(text);
    expect(records.map((r) => r.iteration)).toEqual([1, 2]);
    expect(records[1].lossD).toBe(-1.5);
    expect(records[1].gp).toBeNaN();
    expect(records[0].lossG).toBeNaN();
    expect([replaced, droppedPartialLine]).toEqual([0, false]);
  });

  it('keeps the later line of a re-logged iteration (resumed run)', () => {
    const lines = [
      { iteration: 1, lossD: 1 },
      { iteration: 2, lossD: 2 },
      { iteration: 2, lossD: 20 },
      { iteration: 3, lossD: 3 },
    ];
    const { records, replaced } = parseMetrics(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    expect(records.map((r) => r.lossD)).toEqual([1, 20, 3]);
    expect(replaced).toBe(1);
  });

  it('drops a cut-off last line but refuses a damaged line in the middle, naming file and line', () => {
    const cut = parseMetrics('{"iteration":1,"lossD":1}\n{"iteration":2,"lo');
    expect(cut.records).toHaveLength(1);
    expect(cut.droppedPartialLine).toBe(true);
    let error: unknown;
    try {
      parseMetrics('{"iteration":1}\n{oops}\n{"iteration":3}\n', 'runs/x/metrics.jsonl');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).where).toBe('runs/x/metrics.jsonl:2');
    expect(() => parseMetrics('{"step":1}\n')).toThrow(/no numeric "iteration"/);
  });
});

describe('run folder files', () => {
  it('lists snapshots by iteration and ignores other files', async () => {
    await mkdir(join(root, 'snapshots'));
    for (const name of ['iter-00002000.f32', 'iter-00000000.f32', 'iter-00002000.png', 'notes.txt', 'iter-12.f32'])
      await writeFile(join(root, 'snapshots', name), '');
    expect((await listSnapshots(root)).map((s) => s.iteration)).toEqual([0, 2000]);
    expect(await listSnapshots(join(root, 'nope'))).toEqual([]);
  });

  it('reads whole images and refuses a truncated tensor file', async () => {
    await writeFloat32(join(root, 'a.f32'), new Float32Array(2 * 784).fill(0.5));
    expect((await readImages(join(root, 'a.f32'))).count).toBe(2);
    await writeFloat32(join(root, 'b.f32'), new Float32Array(784 + 3));
    await expect(readImages(join(root, 'b.f32'))).rejects.toThrow(/not a whole number of 28×28 images/);
  });

  it('spread keeps first and last and spaces the rest evenly', () => {
    const items = Array.from({ length: 11 }, (_, i) => i * 1000);
    expect(spread(items, 3)).toEqual([0, 5000, 10_000]);
    expect(spread(items, 6)).toEqual([0, 2000, 4000, 6000, 8000, 10_000]);
    expect(spread([1, 2], 8)).toEqual([1, 2]);
    expect(spread(items, 1)).toEqual([10_000]);
  });

  it('finds per-interpolate gradient norms in train-stats.json where they may be', () => {
    expect(findGradNorms({ gradNorms: [1, 2] })?.values).toEqual([1, 2]);
    expect(
      findGradNorms({
        E6: [
          { gBar: 1, norms: [0.5] },
          { gBar: 1, norms: [0.9, 1.1] },
        ],
      }),
    ).toEqual({ values: [0.9, 1.1], where: 'E6[1].norms' });
    expect(findGradNorms({ E6: { g: [1] } })?.where).toBe('E6.g');
    expect(findGradNorms({ E6: [{ gBar: 1, sG: 0.1, gp: 0.2 }] })).toBeUndefined();
    expect(findGradNorms(undefined)).toBeUndefined();
  });
});

describe('parseEvalReport', () => {
  it('reads numbers or {mean, std} estimates, and skips what it cannot read', () => {
    expect([
      reportNumber(2),
      reportNumber({ mean: 3, std: 1 }),
      reportNumber({ value: 4 }),
      reportNumber('5'),
      reportNumber(undefined),
    ]).toEqual([2, 3, 4, NaN, NaN]);
    const report = parseEvalReport({
      E1: [60000, 1, 2],
      inceptionScore: { fake: { mean: 8.1, std: 0.1 }, realTest: 9.8 },
      frechet: { fakeVsTest: 12, trainVsTest: 0.5 },
      checkpoints: [
        { iteration: 2000, inceptionScore: { mean: 5 }, frechet: { fakeVsTest: 40 }, wassersteinGap: 2.5 },
        { iteration: 1000, inceptionScore: 3, frechet: 80, wassersteinGap: null },
        { note: 'no iteration: ignored' },
      ],
      traversal: { index: 3, values: [-2, 0, 2], file: 'traversal.f32' },
      samples: { file: 'samples.f32', count: 100 },
      classHistogram: { fake: [5, 5], realTest: [4, 6] },
    });
    expect(report.checkpoints).toEqual([
      { iteration: 1000, inceptionScore: 3, frechet: 80, wassersteinGap: NaN },
      { iteration: 2000, inceptionScore: 5, frechet: 40, wassersteinGap: 2.5 },
    ]);
    expect(report.inceptionScore).toEqual({ fake: 8.1, realTest: 9.8 });
    expect(report.traversal).toEqual({ index: 3, values: [-2, 0, 2], file: 'traversal.f32' });
    expect(report.samples).toEqual({ file: 'samples.f32', count: 100 });
    expect(report.classHistogram).toEqual({
      labels: ['0', '1'],
      series: [
        { name: 'generated', values: [5, 5] },
        { name: 'real test', values: [4, 6] },
      ],
    });
    expect(parseEvalReport({ traversal: { values: 'x' } })).toEqual({});
    expect(parseEvalReport(null)).toEqual({});
  });

  it('resolves report files only inside the eval folder', () => {
    expect(fileInside('/a/eval', 'samples.f32')).toBe('/a/eval/samples.f32');
    expect(fileInside('/a/eval', 'sub/t.f32')).toBe('/a/eval/sub/t.f32');
    expect(fileInside('/a/eval', '../runs/x.f32')).toBeUndefined();
    expect(fileInside('/a/eval', '/etc/passwd')).toBeUndefined();
    expect(fileInside('/a/eval', '.')).toBeUndefined();
  });
});

describe("parseEvalReport on the evaluate stage's own layout", () => {
  it('finds the samples and the traversal through files.* and E9', async () => {
    const { parseEvalReport } = await import('./inputs.js');
    const report = parseEvalReport({
      files: { samples: 'samples.f32', traversal: 'traversal.f32' },
      E9: { latentIndex: 3, values: [-2, 0, 2], r: 0.9 },
    });
    expect(report.samples).toEqual({ file: 'samples.f32' });
    expect(report.traversal).toEqual({ file: 'traversal.f32', values: [-2, 0, 2], index: 3 });
  });
});
