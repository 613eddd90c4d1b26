import { describe, expect, it } from 'vitest';
import { LONG_RUN, decideLongRun, fusedVsTorch, planSteps, stepLimit, type CheckPaths } from './plan.js';

const paths: CheckPaths = {
  node: '/tmp/gpu/node',
  app: '.gpu-carry/app.mjs',
  python: 'python3',
  anchor: '.gpu-carry/anchors/torch_wgan_gp.py',
  mnist: '.gpu-carry/mnist',
  out: '/out',
  work: '/work',
};

describe('the GPU check plan', () => {
  it('runs the adapter first and every step under a limit that fits the 9-minute call', () => {
    const steps = planSteps('full', paths);
    expect(steps[0].id).toBe('adapter');
    expect(steps.map((s) => s.id)).toEqual([
      'adapter',
      'kernel-tests',
      'bench-fused',
      'bench-torch',
      'prep',
      'train-short',
      'classifier',
      'evaluate-short',
    ]);
    for (const s of steps) expect(s.limitS).toBeGreaterThan(0);
    // Each step's own limit leaves room for the others inside the device tool's 10-minute command.
    expect(Math.max(...steps.map((s) => s.limitS))).toBeLessThanOrEqual(150);
  });

  it('benches PyTorch on CUDA on the GPU machine and on the CPU in the dry run', () => {
    const torch = (size: 'full' | 'tiny') => planSteps(size, paths).find((s) => s.id === 'bench-torch')!;
    expect(torch('full').command).toContain('cuda');
    expect(torch('full').json).toBe('torch/torch_anchor_cuda.json');
    expect(torch('tiny').command).toContain('cpu');
  });

  it('trains on the fused WebGPU trainer with the data under the work folder, scoring only after both inputs', () => {
    const steps = planSteps('full', paths);
    const train = steps.find((s) => s.id === 'train-short')!;
    expect(train.command.join(' ')).toContain('--implementation webgpu-fused --backend webgpu --iterations 2000');
    expect(train.command.join(' ')).toContain('--data /work/data/mnist');
    expect(steps.find((s) => s.id === 'evaluate-short')!.after).toEqual(['train-short', 'classifier']);
  });
});

describe('stepLimit', () => {
  it("cuts a step's limit to the whole budget left, never below 0", () => {
    expect(stepLimit(150, 400)).toBe(150);
    expect(stepLimit(150, 99.7)).toBe(99);
    expect(stepLimit(150, -3)).toBe(0);
  });
});

describe('decideLongRun', () => {
  it('runs 20,000 iterations when they fit, with the budget left as the limit', () => {
    const d = decideLongRun(5, 300, LONG_RUN.full);
    // 20 s + 20,000 × 5 ms × 1.25 = 145 s ≤ 290 s
    expect(d).toMatchObject({ run: true, iterations: 20_000, limitS: 290 });
    expect(d.reason).toContain('145 s ≤ 290 s left');
  });

  it('does not start a run that would be killed, and says why', () => {
    const d = decideLongRun(12, 300, LONG_RUN.full);
    expect(d.run).toBe(false);
    expect(d.reason).toContain('320 s > 290 s left');
  });

  it('does not run without a usable ms/iteration from the short run', () => {
    for (const ms of [null, 0, Number.NaN]) expect(decideLongRun(ms, 500, 20_000).run).toBe(false);
  });
});

describe('fusedVsTorch', () => {
  it("divides the fused ms/iteration by the anchor's, null when either is missing", () => {
    expect(fusedVsTorch({ msPerIter: 3 }, { ms_per_iter: 4 })).toEqual({ fusedMs: 3, torchMs: 4, ratio: 0.75 });
    expect(fusedVsTorch({ msPerIter: 3 }, undefined)).toBeNull();
    expect(fusedVsTorch(undefined, { ms_per_iter: 4 })).toBeNull();
  });
});
