import onnxProto from 'onnx-proto';

/**
 * A small builder over onnx-proto's generated protobuf classes (ONNX IR v8): nodes, initializers and
 * typed graph inputs/outputs go in, the encoded ModelProto bytes come out. Nothing here writes protobuf
 * by hand; the field numbers and wire format are onnx-proto's (protobufjs).
 */
export const { onnx } = onnxProto;

/**
 * ONNX IR version 8 (onnx 1.10–1.12) and the default operator set 17, both read by onnx ≥ 1.12 and onnxruntime ≥ 1.13.
 */
export const IR_VERSION = 8;
export const OPSET = 17;

/** A dimension: a fixed size, or a name for a dynamic one ("N", the batch). */
export type Dim = number | string;

export type AttributeValue = number | number[] | string | { float: number } | { floats: number[] };

export interface ValueInfo {
  name: string;
  /** float32 tensors only (the pipeline exports nothing else). */
  shape: Dim[];
  docString?: string;
}

export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  /** A fresh value name with the given stem ("dense0", "dense0_1", ...). */
  fresh(stem: string): string {
    let name = stem;
    while (this.names.has(name)) name = `${stem}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  /** A float32 constant (weights): `values` row-major in `dims`. */
  floatInitializer(stem: string, dims: number[], values: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new Error(`initializer ${stem}: ${values.length} values for dims [${dims}]`);
    const name = this.fresh(stem);
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: littleEndianBytes(values),
      }),
    );
    return name;
  }

  /** An int64 constant (Reshape's target shape, Transpose-free shapes). */
  int64Initializer(stem: string, values: number[]): string {
    const name = this.fresh(stem);
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims: [values.length],
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: littleEndianBytes(data),
      }),
    );
    return name;
  }

  /** Adds a node; returns the name of its (single) output. */
  node(opType: string, inputs: string[], outputStem: string, attributes: Record<string, AttributeValue> = {}): string {
    const output = this.fresh(outputStem);
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: [output],
        name: this.fresh(`${opType}_${outputStem}`),
        attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
      }),
    );
    return output;
  }

  /** Renames the value `from` to `to` by an Identity node (graph outputs get their public name). */
  output(from: string, to: string): string {
    if (this.names.has(to)) throw new Error(`value name ${to} already used`);
    this.names.add(to);
    this.nodes.push(
      onnx.NodeProto.create({ opType: 'Identity', input: [from], output: [to], name: this.fresh(`Identity_${to}`) }),
    );
    return to;
  }

  /**
   * Gives the node output `from` the name `to`, in its producer and every consumer (a graph output
   * without the copy an Identity node makes). Only for values produced by a node of this graph.
   */
  rename(from: string, to: string): string {
    if (this.names.has(to)) throw new Error(`value name ${to} already used`);
    const producer = this.nodes.find((n) => (n.output ?? []).includes(from));
    if (!producer) throw new Error(`rename: ${from} is not produced by a node`);
    this.names.add(to);
    for (const n of this.nodes) {
      n.output = (n.output ?? []).map((v) => (v === from ? to : v));
      n.input = (n.input ?? []).map((v) => (v === from ? to : v));
    }
    return to;
  }

  reserve(name: string): string {
    if (this.names.has(name)) throw new Error(`value name ${name} already used`);
    this.names.add(name);
    return name;
  }

  /** Encodes the model: one graph, the given inputs/outputs, metadata as string properties. */
  encode(options: {
    inputs: ValueInfo[];
    outputs: ValueInfo[];
    docString?: string;
    producerVersion: string;
    metadata?: Record<string, string>;
  }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: OPSET })],
      producerName: 'wgan-pipeline',
      producerVersion: options.producerVersion,
      modelVersion: 1,
      docString: options.docString ?? '',
      graph: onnx.GraphProto.create({
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: options.inputs.map(valueInfo),
        output: options.outputs.map(valueInfo),
      }),
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) =>
        onnx.StringStringEntryProto.create({ key, value }),
      ),
    });
    const err = onnx.ModelProto.verify(model);
    if (err) throw new Error(`onnx-proto rejected the model: ${err}`);
    return onnx.ModelProto.encode(model).finish();
  }

  /** Op types used, in order of first use (for the manifest and tests). */
  opTypes(): string[] {
    return [...new Set(this.nodes.map((n) => n.opType))];
  }
}

type Decoded<T> = { [K in keyof T]-?: NonNullable<T[K]> };
export type DecodedNode = Decoded<InstanceType<typeof onnx.NodeProto>> & {
  attribute: Decoded<InstanceType<typeof onnx.AttributeProto>>[];
};
export type DecodedGraph = Omit<Decoded<InstanceType<typeof onnx.GraphProto>>, 'node' | 'initializer'> & {
  node: DecodedNode[];
  initializer: Decoded<InstanceType<typeof onnx.TensorProto>>[];
};

/** Decodes model bytes (tests read models back this way). Decoded messages carry every field, defaults included. */
export function decodeModel(
  bytes: Uint8Array,
): Omit<InstanceType<typeof onnx.ModelProto>, 'graph'> & { graph: DecodedGraph } {
  return onnx.ModelProto.decode(bytes) as Omit<InstanceType<typeof onnx.ModelProto>, 'graph'> & { graph: DecodedGraph };
}

function valueInfo(v: ValueInfo): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name: v.name,
    docString: v.docString ?? '',
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: v.shape.map((d) =>
            onnx.TensorShapeProto.Dimension.create(typeof d === 'number' ? { dimValue: d } : { dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

function attribute(name: string, value: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new Error(`attribute ${name}: ${value} is not an integer (use { float } for floats)`);
    return onnx.AttributeProto.create({ name, type: T.INT, i: value });
  }
  if (typeof value === 'string')
    return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: value });
  if ('float' in value) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value.float });
  return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: value.floats });
}

/** The bytes of a typed array in little-endian order (ONNX raw_data is always little-endian). */
function littleEndianBytes(values: Float32Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  if (values instanceof Float32Array) values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else values.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return out;
}
