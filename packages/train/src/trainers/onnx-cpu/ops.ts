import { GraphBuilder, type AttributeValue } from './graph.js';

/**
 * Tensor algebra on top of GraphBuilder, so that a training step reads like the maths: every method
 * adds one ONNX node (opset 17) and returns its output's name. Float scalars become cached initializers.
 */
export class Ops {
  private readonly scalars = new Map<number, string>();
  private readonly int64s = new Map<string, string>();

  constructor(readonly g: GraphBuilder) {}

  private op(type: string, inputs: string[], stem: string, attrs: Record<string, AttributeValue> = {}): string {
    return this.g.node(type, inputs, stem, attrs);
  }

  /** A float32 scalar constant (shape []). */
  scalar(value: number): string {
    let name = this.scalars.get(value);
    if (!name) {
      name = this.g.floatInitializer(`const_${String(value).replace(/[^0-9a-z]/gi, '_')}`, [], Float32Array.of(value));
      this.scalars.set(value, name);
    }
    return name;
  }

  /** An int64 vector constant (axes, slice bounds, shapes). */
  ints(values: number[]): string {
    const key = values.join(',');
    let name = this.int64s.get(key);
    if (!name) {
      name = this.g.int64Initializer(`ints_${key.replace(/[^0-9]/g, '_')}`, values);
      this.int64s.set(key, name);
    }
    return name;
  }

  /** A float32 constant tensor. */
  constant(stem: string, dims: number[], values: Float32Array): string {
    return this.g.floatInitializer(stem, dims, values);
  }

  add(a: string, b: string, stem = 'add'): string {
    return this.op('Add', [a, b], stem);
  }
  sub(a: string, b: string, stem = 'sub'): string {
    return this.op('Sub', [a, b], stem);
  }
  mul(a: string, b: string, stem = 'mul'): string {
    return this.op('Mul', [a, b], stem);
  }
  div(a: string, b: string, stem = 'div'): string {
    return this.op('Div', [a, b], stem);
  }
  /** Elementwise maximum. */
  max(a: string, b: string, stem = 'max'): string {
    return this.op('Max', [a, b], stem);
  }
  sqrt(a: string, stem = 'sqrt'): string {
    return this.op('Sqrt', [a], stem);
  }
  square(a: string, stem = 'square'): string {
    return this.op('Mul', [a, a], stem);
  }
  neg(a: string, stem = 'neg'): string {
    return this.op('Neg', [a], stem);
  }
  abs(a: string, stem = 'abs'): string {
    return this.op('Abs', [a], stem);
  }
  tanh(a: string, stem = 'tanh'): string {
    return this.op('Tanh', [a], stem);
  }
  sigmoid(a: string, stem = 'sigmoid'): string {
    return this.op('Sigmoid', [a], stem);
  }
  relu(a: string, stem = 'relu'): string {
    return this.op('Relu', [a], stem);
  }
  leakyRelu(a: string, alpha: number, stem = 'lrelu'): string {
    return this.op('LeakyRelu', [a], stem, { alpha: { float: alpha } });
  }
  /** a·b (both 2-D). */
  matmul(a: string, b: string, stem = 'mm'): string {
    return this.op('MatMul', [a, b], stem);
  }
  /** op(a)·op(b) with transposes folded into the product (MLAS handles them without copies). */
  gemm(a: string, b: string, options: { transA?: boolean; transB?: boolean; bias?: string }, stem = 'gemm'): string {
    const inputs = options.bias ? [a, b, options.bias] : [a, b];
    return this.op('Gemm', inputs, stem, { transA: options.transA ? 1 : 0, transB: options.transB ? 1 : 0 });
  }
  /** Rows [start, end) of a 2-D tensor. */
  rows(a: string, start: number, end: number, stem = 'rows'): string {
    return this.op('Slice', [a, this.ints([start]), this.ints([end]), this.ints([0])], stem);
  }
  concatRows(parts: string[], stem = 'concat'): string {
    return this.op('Concat', parts, stem, { axis: 0 });
  }
  /** Columns [start, end) of a 2-D tensor. */
  cols(a: string, start: number, end: number, stem = 'cols'): string {
    return this.op('Slice', [a, this.ints([start]), this.ints([end]), this.ints([1])], stem);
  }
  concatCols(parts: string[], stem = 'concatc'): string {
    return this.op('Concat', parts, stem, { axis: 1 });
  }
  /** Sum over `axes`, keeping dims. */
  sum(a: string, axes: number[], stem = 'sum', keepdims = true): string {
    return this.op('ReduceSum', [a, this.ints(axes)], stem, { keepdims: keepdims ? 1 : 0 });
  }
  /** Mean of every element, as a scalar tensor of shape []. */
  meanAll(a: string, stem = 'mean'): string {
    return this.op('ReduceMean', [a], stem, { keepdims: 0 });
  }
  /** Sum of every element, as shape []. */
  sumAll(a: string, stem = 'sumall'): string {
    return this.op('ReduceSum', [a], stem, { keepdims: 0 });
  }
  greater(a: string, b: string, stem = 'gt'): string {
    return this.op('Greater', [a, b], stem);
  }
  equal(a: string, b: string, stem = 'eq'): string {
    return this.op('Equal', [a, b], stem);
  }
  where(cond: string, a: string, b: string, stem = 'where'): string {
    return this.op('Where', [cond, a, b], stem);
  }
  castFloat(a: string, stem = 'cast'): string {
    return this.op('Cast', [a], stem, { to: 1 });
  }
  clip(a: string, lo: number, hi: number, stem = 'clip'): string {
    return this.op('Clip', [a, this.scalar(lo), this.scalar(hi)], stem);
  }
  reshape(a: string, shape: number[], stem = 'reshape'): string {
    return this.op('Reshape', [a, this.ints(shape)], stem);
  }
  /** Stacks scalars (shape []) into a vector. */
  stack(scalars: string[], stem = 'stack'): string {
    return this.op(
      'Concat',
      scalars.map((s) => this.reshape(s, [1])),
      stem,
      { axis: 0 },
    );
  }
  identity(a: string, stem = 'id'): string {
    return this.op('Identity', [a], stem);
  }
}
