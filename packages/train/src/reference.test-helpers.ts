/**
 * Float64 references for tests, written independently of the tfjs code: a dense-chain network evaluated
 * with plain arrays, its input gradient by the chain rule, and central finite differences.
 */
export interface RefLayer {
  W: number[][]; // [in][out]
  b: number[];
}

export interface RefNet {
  layers: RefLayer[];
  /** Hidden activation slope for negative inputs (0.2 = LeakyReLU(0.2), 0 = ReLU). */
  alpha: number;
  /** Output activation: 'none' | 'tanh'. */
  out: 'none' | 'tanh';
}

export function forwardRef(net: RefNet, x: number[]): number[] {
  let a = x;
  net.layers.forEach((layer, k) => {
    const h = layer.b.map((bj, j) => bj + a.reduce((s, ai, i) => s + ai * layer.W[i][j], 0));
    const last = k === net.layers.length - 1;
    a = last ? (net.out === 'tanh' ? h.map(Math.tanh) : h) : h.map((v) => (v > 0 ? v : net.alpha * v));
  });
  return a;
}

/** ∇ₓD(x) for a scalar-output chain, by the chain rule in float64. */
export function inputGradientRef(net: RefNet, x: number[]): number[] {
  const hs: number[][] = [];
  let a = x;
  net.layers.forEach((layer, k) => {
    const h = layer.b.map((bj, j) => bj + a.reduce((s, ai, i) => s + ai * layer.W[i][j], 0));
    hs.push(h);
    a = k === net.layers.length - 1 ? h : h.map((v) => (v > 0 ? v : net.alpha * v));
  });
  // backward: dD/dh_K = 1 (scalar output, no activation)
  let delta = [1];
  for (let k = net.layers.length - 1; k >= 0; k--) {
    const W = net.layers[k].W;
    const dA = W.map((row) => row.reduce((s, w, j) => s + w * delta[j], 0)); // d/d a_{k-1}
    if (k === 0) return dA;
    delta = dA.map((v, i) => v * (hs[k - 1][i] > 0 ? 1 : net.alpha));
  }
  return [];
}

/** Central finite difference of f at θ along each coordinate. */
export function finiteDifferences(f: (theta: number[]) => number, theta: number[], h = 1e-6): number[] {
  return theta.map((_, i) => {
    const plus = theta.slice();
    const minus = theta.slice();
    plus[i] += h;
    minus[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

/** Flattens a RefNet's parameters in the order kernel, bias per layer (tfjs's [in, out] kernel layout). */
export function flattenRef(net: RefNet): number[] {
  return net.layers.flatMap((l) => [...l.W.flat(), ...l.b]);
}

export function unflattenRef(like: RefNet, theta: number[]): RefNet {
  let o = 0;
  const layers = like.layers.map((l) => {
    const W = l.W.map((row) => row.map(() => theta[o++]));
    const b = l.b.map(() => theta[o++]);
    return { W, b };
  });
  return { ...like, layers };
}

export function randomRefNet(sizes: number[], rand: () => number, alpha: number, out: 'none' | 'tanh', scale = 1): RefNet {
  const layers = sizes.slice(0, -1).map((n, k) => ({
    W: Array.from({ length: n }, () => Array.from({ length: sizes[k + 1] }, () => (rand() * 2 - 1) * scale / Math.sqrt(n))),
    b: Array.from({ length: sizes[k + 1] }, () => (rand() * 2 - 1) * 0.1),
  }));
  return { layers, alpha, out };
}

export function relativeError(a: number[], b: number[]): number {
  const num = Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));
  const den = Math.max(1e-12, Math.sqrt(b.reduce((s, v) => s + v * v, 0)));
  return num / den;
}
