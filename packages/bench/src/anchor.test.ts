import { describe, expect, it } from 'vitest';
import { classifyBlas } from './anchor.js';

describe('classifyBlas', () => {
  it('names OpenBLAS behind Debian alternatives', () => {
    expect(classifyBlas(['/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3'])).toEqual({
      kind: 'openblas',
      library: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3',
    });
  });

  it("recognises netlib's reference BLAS, which makes the anchor ~17x slower", () => {
    expect(classifyBlas(['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0']).kind).toBe('reference');
  });

  it('prefers MKL over a generic libblas loaded beside it', () => {
    expect(
      classifyBlas(['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0', '/opt/intel/lib/libmkl_core.so.2']).kind,
    ).toBe('mkl');
  });

  it('says unknown when no BLAS library is mapped', () => {
    expect(classifyBlas([])).toEqual({ kind: 'unknown', library: null });
  });
});
