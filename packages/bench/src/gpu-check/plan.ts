/**
 * The GPU check's plan: which steps run with which arguments and time limits, for the GPU machine
 * (`full`) or for a dry run here on the software adapter (`tiny`). Pure: paths and sizes in, steps out.
 */
export interface CheckPaths {
  node: string;
  app: string;
  python: string;
  anchor: string;
  mnist: string;
  out: string;
  /** The artifacts root of the runs (WGAN_ARTIFACTS); data paths are given explicitly under it. */
  work: string;
}

export interface Step {
  id: string;
  what: string;
  command: string[];
  limitS: number;
  /** A JSON file the step writes (relative to `out`), read back into the summary. */
  json?: string;
  /** Run only when these earlier steps passed. */
  after?: string[];
  /** A missing PyTorch makes this step `skipped` (dry run) rather than failed. */
  needsTorch?: boolean;
}

export type Size = 'full' | 'tiny';

export const LONG_RUN = { full: 20_000, tiny: 50 } as const;
export const SHORT_RUN = { full: 2_000, tiny: 20 } as const;
export const SHORT_RUN_NAME = 'gpu-check-short';
export const LONG_RUN_NAME = 'gpu-check-long';

/** Train flags shared by both runs: fused WebGPU, no progress bar, one checkpoint at the end. */
export function trainArgs(size: Size, name: string, iterations: number, work: string): string[] {
  const model =
    size === 'tiny' ? ['--generator-hidden', '32,32,32', '--critic-hidden', '32,32', '--batch-size', '16'] : [];
  return [
    'train',
    '--name',
    name,
    '--implementation',
    'webgpu-fused',
    '--backend',
    'webgpu',
    '--iterations',
    String(iterations),
    '--checkpoint-every',
    String(iterations),
    '--snapshot-every',
    String(iterations),
    '--no-progress',
    '--fresh',
    '--data',
    `${work}/data/mnist`,
    ...model,
  ];
}

export function planSteps(size: Size, p: CheckPaths): Step[] {
  const app = (...args: string[]) => [p.node, p.app, ...args];
  const tiny = size === 'tiny';
  const out = (name: string) => `${p.out}/${name}`;
  // The classifier and evaluate on WebGPU too (the bundle's wasm backend does not start: no .wasm file).
  const scoring = ['--backend', 'webgpu'];
  return [
    {
      id: 'adapter',
      what: 'the adapter Dawn gives and what --backend auto decides',
      command: app('adapter', '--json', out('adapter.json')),
      limitS: 45,
      json: 'adapter.json',
    },
    {
      id: 'kernel-tests',
      what: 'WebGPU kernel, fused-trainer and tfjs parity tests on this adapter',
      command: app('kernel-tests', '--json', out('kernel-tests.json'), ...(tiny ? ['--files', 'kernels'] : [])),
      limitS: tiny ? 90 : 150,
      json: 'kernel-tests.json',
    },
    {
      id: 'bench-fused',
      what: 'ms per generator iteration of the fused WebGPU trainer (seed-001 MLP, B 64)',
      command: app(
        'fused',
        '--json',
        out('bench-fused.json'),
        ...(tiny
          ? ['--model', 'tiny', '--iters', '20', '--rounds', '2', '--warmup', '2', '--sync', '2']
          : ['--data', p.mnist]),
      ),
      limitS: tiny ? 60 : 90,
      json: 'bench-fused.json',
    },
    {
      id: 'bench-torch',
      what: 'the same work in PyTorch (torch_wgan_gp.py), timed only',
      command: [
        p.python,
        p.anchor,
        '--data',
        p.mnist,
        '--device',
        tiny ? 'cpu' : 'cuda',
        '--iters',
        '0',
        '--bench',
        tiny ? '5' : '200',
        '--out',
        out('torch'),
      ],
      limitS: tiny ? 60 : 75,
      json: `torch/torch_anchor_${tiny ? 'cpu' : 'cuda'}.json`,
      needsTorch: true,
    },
    { id: 'prep', what: 'data-prep of the carried MNIST', command: app('prep', '--source', p.mnist), limitS: 45 },
    {
      id: 'train-short',
      what: `${SHORT_RUN[size]} fused iterations`,
      after: ['prep'],
      command: app(...trainArgs(size, SHORT_RUN_NAME, SHORT_RUN[size], p.work)),
      limitS: tiny ? 120 : 150,
    },
    {
      id: 'classifier',
      what: "the evaluate stage's MNIST classifier",
      after: ['prep'],
      command: app(
        'evaluate',
        'classifier',
        '--data',
        `${p.work}/data/mnist`,
        '--out',
        `${p.work}/classifier/mnist`,
        '--epochs',
        '1',
        ...scoring,
        ...(tiny ? ['--max-steps', '5'] : []),
      ),
      limitS: tiny ? 240 : 90,
    },
    {
      id: 'evaluate-short',
      what: 'IS / FD / Ŵ₁ of the short run',
      after: ['train-short', 'classifier'],
      command: app(
        'evaluate',
        '--run',
        SHORT_RUN_NAME,
        '--samples',
        tiny ? '200' : '10000',
        '--classifier',
        `${p.work}/classifier/mnist`,
        '--out',
        `${p.work}/eval/${SHORT_RUN_NAME}`,
        ...scoring,
      ),
      limitS: tiny ? 360 : 90,
    },
  ];
}

/** A step's limit: its own, cut to what is left of the whole check's budget. */
export function stepLimit(ownS: number, remainingS: number): number {
  return Math.max(0, Math.min(ownS, Math.floor(remainingS)));
}

export interface LongRunDecision {
  run: boolean;
  iterations: number;
  limitS: number;
  reason: string;
}

/**
 * Whether the long run fits: its iterations at the short run's ms/iteration, plus a fixed start-up and
 * a safety factor, must fit in what is left of the budget (less a reserve for writing the summary).
 */
export function decideLongRun(
  msPerIter: number | null,
  remainingS: number,
  iterations: number,
  startupS = 20,
  safety = 1.25,
  reserveS = 10,
): LongRunDecision {
  const available = Math.floor(remainingS - reserveS);
  if (msPerIter === null || !Number.isFinite(msPerIter) || msPerIter <= 0) {
    return { run: false, iterations, limitS: 0, reason: 'no ms/iteration from the short run' };
  }
  const expectedS = startupS + (iterations * msPerIter * safety) / 1000;
  const estimate = `${iterations} × ${msPerIter.toFixed(2)} ms × ${safety} + ${startupS} s = ${expectedS.toFixed(0)} s`;
  if (expectedS > available) return { run: false, iterations, limitS: 0, reason: `${estimate} > ${available} s left` };
  return { run: true, iterations, limitS: available, reason: `${estimate} ≤ ${available} s left` };
}

/** webgpu-fused against PyTorch, from the two bench steps' JSON (null where either is missing). */
export function fusedVsTorch(
  fused: unknown,
  torch: unknown,
): { fusedMs: number; torchMs: number; ratio: number } | null {
  const fusedMs = (fused as { msPerIter?: unknown } | undefined)?.msPerIter;
  const torchMs = (torch as { ms_per_iter?: unknown } | undefined)?.ms_per_iter;
  if (typeof fusedMs !== 'number' || typeof torchMs !== 'number' || !(torchMs > 0)) return null;
  return { fusedMs, torchMs, ratio: Number((fusedMs / torchMs).toFixed(3)) };
}
