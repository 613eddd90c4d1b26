import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PipelineError } from '@wgan/core';

/**
 * The ONNX project's own checker (`onnx.checker.check_model(..., full_check=True)`, which also runs
 * shape inference), through Debian's python3-onnx. It is optional: where python or the module is
 * missing the result says so, and callers record or print the reason.
 */
export const PYTHON = process.env.WGAN_PYTHON ?? '/usr/bin/python3';

export type CheckResult = { status: 'passed'; onnxVersion: string } | { status: 'skipped'; reason: string };

const SCRIPT = `
import sys
try:
    import onnx
except ImportError as e:
    print("SKIP python3-onnx is not installed (" + str(e) + ")")
    sys.exit(0)
for path in sys.argv[1:]:
    onnx.checker.check_model(onnx.load(path), full_check=True)
print("OK " + onnx.__version__)
`;

/** Why the checker cannot run here, or null when it can (cheap: one python start). */
export function checkerUnavailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (install python3-onnx)`;
  const r = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} has no onnx module (apt-get install python3-onnx)`;
}

/** Runs the checker on ONNX files; throws a PipelineError (internal) with the checker's message when one fails. */
export function checkOnnxModels(paths: string[]): CheckResult {
  if (!existsSync(PYTHON)) return { status: 'skipped', reason: `${PYTHON} not found (install python3-onnx)` };
  const r = spawnSync(PYTHON, ['-c', SCRIPT, ...paths], { encoding: 'utf8', timeout: 120_000 });
  const out = (r.stdout ?? '').trim();
  if (r.status === 0 && out.startsWith('SKIP ')) return { status: 'skipped', reason: out.slice(5) };
  if (r.status === 0 && out.startsWith('OK ')) return { status: 'passed', onnxVersion: out.slice(3) };
  const message = (r.stderr || out || String(r.error ?? `exit ${r.status}`)).trim().split('\n').slice(-3).join(' | ');
  throw new PipelineError(
    `the ONNX checker rejected the model: ${message}`,
    paths.join(', '),
    'this is a bug in the exporter: report it with the checkpoint',
    1,
  );
}
