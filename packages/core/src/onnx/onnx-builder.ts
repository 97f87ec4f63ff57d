import onnxProto from 'onnx-proto';

/**
 * Small helpers over the generated ONNX protobuf classes (onnx-proto, ONNX v1.10 schema), so the
 * exporters read as a list of nodes. `onnx-proto` is CommonJS: its namespace sits on the default
 * export under ESM.
 */
export const { onnx } = onnxProto;
export type OnnxNode = ReturnType<typeof onnx.NodeProto.create>;
export type OnnxTensor = ReturnType<typeof onnx.TensorProto.create>;
export type OnnxValueInfo = ReturnType<typeof onnx.ValueInfoProto.create>;

export const ML_DOMAIN = 'ai.onnx.ml';
const utf8 = new TextEncoder();

export type AttributeValue = number | string | readonly number[] | readonly string[] | { readonly floats: readonly number[] };

/**
 * Builds an attribute. Numbers are INT when integral unless wrapped as `{ floats: [...] }`
 * or named in `floatNames`, since ONNX attribute types are strict.
 */
function attribute(name: string, value: AttributeValue, floatNames: readonly string[]) {
  const A = onnx.AttributeProto.AttributeType;
  const isFloat = floatNames.includes(name);
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: A.STRING, s: utf8.encode(value) });
  if (typeof value === 'number') {
    return isFloat
      ? onnx.AttributeProto.create({ name, type: A.FLOAT, f: value })
      : onnx.AttributeProto.create({ name, type: A.INT, i: value });
  }
  if ('floats' in value) return onnx.AttributeProto.create({ name, type: A.FLOATS, floats: [...value.floats] });
  if (value.every((v) => typeof v === 'string')) {
    return onnx.AttributeProto.create({ name, type: A.STRINGS, strings: (value as readonly string[]).map((s) => utf8.encode(s)) });
  }
  return isFloat
    ? onnx.AttributeProto.create({ name, type: A.FLOATS, floats: [...(value as readonly number[])] })
    : onnx.AttributeProto.create({ name, type: A.INTS, ints: [...(value as readonly number[])] });
}

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly domain?: string;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
  /** Attribute names whose scalar number is a FLOAT (e.g. `default_float`). */
  readonly floatAttributes?: readonly string[];
}

export function node(spec: NodeSpec): OnnxNode {
  return onnx.NodeProto.create({
    opType: spec.op,
    domain: spec.domain ?? '',
    name: spec.outputs[0] ?? spec.op,
    input: [...spec.inputs],
    output: [...spec.outputs],
    attribute: Object.entries(spec.attributes ?? {}).map(([k, v]) => attribute(k, v, spec.floatAttributes ?? [])),
  });
}

/** A float32 initializer; values are rounded to float32 as ONNX stores them. */
export function floatTensor(name: string, dims: readonly number[], values: readonly number[]): OnnxTensor {
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [...values] });
}

/** A tensor value description with a symbolic batch dimension `N` followed by fixed dims. */
export function valueInfo(name: string, elemType: 'float' | 'string', dims: readonly (number | 'N')[]): OnnxValueInfo {
  const T = onnx.TensorProto.DataType;
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: elemType === 'float' ? T.FLOAT : T.STRING,
        shape: { dim: dims.map((d) => (d === 'N' ? { dimParam: 'N' } : { dimValue: d })) },
      },
    },
  });
}
