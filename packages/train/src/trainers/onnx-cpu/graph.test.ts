import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { decodeModel, GraphBuilder, IR_VERSION, onnx, OPSET } from './graph.js';

describe('GraphBuilder', () => {
  it('encodes a model that onnx-proto decodes back field by field', () => {
    const g = new GraphBuilder('tiny');
    const x = g.reserve('x');
    const w = g.floatInitializer('w', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6]));
    const b = g.floatInitializer('b', [3], new Float32Array([0.5, -0.5, 0]));
    const y = g.node('Gemm', [x, w, b], 'gemm', { transB: 0, alpha: { float: 1 } });
    const a = g.node('LeakyRelu', [y], 'act', { alpha: { float: 0.2 } });
    g.output(a, 'y');
    const bytes = g.encode({
      inputs: [{ name: 'x', shape: ['N', 2] }],
      outputs: [{ name: 'y', shape: ['N', 3] }],
      producerVersion: '9.9.9',
      metadata: { k: 'v' },
    });
    const m = decodeModel(bytes);
    expect(Number(m.irVersion)).toBe(IR_VERSION);
    expect(Number(m.opsetImport[0].version)).toBe(OPSET);
    expect(m.producerVersion).toBe('9.9.9');
    expect(m.metadataProps.map((p) => [p.key, p.value])).toEqual([['k', 'v']]);
    expect(m.graph.node.map((n) => n.opType)).toEqual(['Gemm', 'LeakyRelu', 'Identity']);
    const leaky = m.graph.node[1].attribute[0];
    expect(leaky.type).toBe(onnx.AttributeProto.AttributeType.FLOAT);
    expect(leaky.f).toBeCloseTo(0.2, 7);
    const dim = m.graph.input[0].type!.tensorType!.shape!.dim!;
    expect([dim[0].dimParam, Number(dim[1].dimValue)]).toEqual(['N', 2]);
    const wt = m.graph.initializer[0];
    expect(wt.dims.map(Number)).toEqual([2, 3]);
    expect(Array.from(new Float32Array(new Uint8Array(wt.rawData).buffer))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('runs in onnxruntime with a dynamic batch: y = leakyRelu(x·W + b)', async () => {
    const g = new GraphBuilder('tiny');
    const x = g.reserve('x');
    const y = g.node(
      'Gemm',
      [
        x,
        g.floatInitializer('w', [2, 1], new Float32Array([1, -2])),
        g.floatInitializer('b', [1], new Float32Array([0.25])),
      ],
      'gemm',
    );
    g.output(g.node('LeakyRelu', [y], 'act', { alpha: { float: 0.2 } }), 'y');
    const bytes = g.encode({
      inputs: [{ name: 'x', shape: ['N', 2] }],
      outputs: [{ name: 'y', shape: ['N', 1] }],
      producerVersion: '0',
    });
    const s = await ort.InferenceSession.create(bytes);
    for (const rows of [1, 3]) {
      const input = new Float32Array([1, 1, 3, 1, 0, 0]).slice(0, rows * 2);
      const out = (await s.run({ x: new ort.Tensor('float32', input, [rows, 2]) })).y;
      const expected = [1 - 2 + 0.25, 3 - 2 + 0.25, 0.25].slice(0, rows).map((v) => (v > 0 ? v : 0.2 * v));
      expect(out.dims).toEqual([rows, 1]);
      Array.from(out.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    }
    await s.release();
  });

  it('gives clashing names fresh suffixes and refuses a taken output name', () => {
    const g = new GraphBuilder('g');
    expect([g.fresh('a'), g.fresh('a'), g.fresh('a')]).toEqual(['a', 'a_1', 'a_2']);
    expect(() => g.output('a', 'a')).toThrow(/already used/);
    expect(() => g.floatInitializer('w', [2, 2], new Float32Array(3))).toThrow(/3 values for dims \[2,2\]/);
  });
});
