/**
 * Tiny ONNX models written in the tests themselves (no downloads): a minimal protobuf writer and
 * the few onnx.proto messages needed (field numbers from onnx/onnx.proto3):
 *   ModelProto { 1 ir_version, 7 graph, 8 opset_import, 14 metadata_props }
 *   GraphProto { 1 node, 2 name, 5 initializer, 11 input, 12 output }
 *   NodeProto { 1 input, 2 output, 4 op_type, 5 attribute }
 *   AttributeProto { 1 name, 3 i, 20 type (INT = 2) }
 *   TensorProto { 1 dims, 2 data_type (FLOAT = 1), 4 float_data (packed), 8 name }
 *   ValueInfoProto { 1 name, 2 type } TypeProto { 1 tensor_type { 1 elem_type, 2 shape { 1 dim { 1 dim_value | 2 dim_param } } } }
 *   OperatorSetIdProto { 1 domain, 2 version }  StringStringEntryProto { 1 key, 2 value }
 */
type Field = Uint8Array;

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function cat(parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Field `n` as a varint (wire type 0). */
const int = (n: number, v: number): Field => cat([varint(n * 8), varint(v)]);
/** Field `n` length-delimited (wire type 2): a message, a string or packed values. */
const bytes = (n: number, v: Uint8Array): Field => cat([varint(n * 8 + 2), varint(v.length), v]);
const str = (n: number, s: string): Field => bytes(n, new TextEncoder().encode(s));
const msg = (n: number, ...fields: Field[]): Field => bytes(n, cat(fields));

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  ints?: Record<string, number>;
}

export interface Constant {
  name: string;
  dims: number[];
  values: number[];
}

/** A tensor shape: numbers are fixed sizes, strings symbolic (any size). */
export type Shape = (number | string)[];

function valueInfo(n: number, name: string, shape: Shape): Field {
  const dims = shape.map((d) => msg(1, typeof d === "number" ? int(1, d) : str(2, d)));
  return msg(n, str(1, name), msg(2, msg(1, int(1, 1), msg(2, ...dims))));
}

function tensor(c: Constant): Field {
  const floats = new Uint8Array(new Float32Array(c.values).buffer);
  return msg(5, ...c.dims.map((d) => int(1, d)), int(2, 1), bytes(4, floats), str(8, c.name));
}

function node(n: Node): Field {
  const attrs = Object.entries(n.ints ?? {}).map(([k, v]) => msg(5, str(1, k), int(3, v), int(20, 2)));
  return msg(1, ...n.inputs.map((i) => str(1, i)), ...n.outputs.map((o) => str(2, o)), str(4, n.op), ...attrs);
}

/** An ONNX model file's bytes (IR 8, default opset 13). */
export function onnxModel(g: {
  input: [string, Shape];
  output: [string, Shape];
  nodes: Node[];
  constants?: Constant[];
  metadata?: Record<string, string>;
}): Uint8Array {
  const graph = msg(
    7,
    ...g.nodes.map(node),
    str(2, "test"),
    ...(g.constants ?? []).map(tensor),
    valueInfo(11, ...g.input),
    valueInfo(12, ...g.output),
  );
  const meta = Object.entries(g.metadata ?? {}).map(([k, v]) => msg(14, str(1, k), str(2, v)));
  return cat([int(1, 8), graph, msg(8, str(1, ""), int(2, 13)), ...meta]);
}

/**
 * A "YOLO detector" whose `[1, 4+nc, A]` output is the given head (rows cx, cy, w, h, then one
 * score row per class; A anchors), whatever the image: head + 0·mean(images), so the input is used.
 */
export function yoloModel(opts: { size: number; head: number[][]; names?: string }): Uint8Array {
  const rows = opts.head.length,
    anchors = opts.head[0]!.length;
  return onnxModel({
    input: ["images", [1, 3, opts.size, opts.size]],
    output: ["output0", [1, rows, anchors]],
    nodes: [
      { op: "ReduceMean", inputs: ["images"], outputs: ["mean"], ints: { keepdims: 0 } },
      { op: "Mul", inputs: ["mean", "zero"], outputs: ["nothing"] },
      { op: "Add", inputs: ["head", "nothing"], outputs: ["output0"] },
    ],
    constants: [
      { name: "zero", dims: [], values: [0] },
      { name: "head", dims: [1, rows, anchors], values: opts.head.flat() },
    ],
    metadata: opts.names === undefined ? {} : { names: opts.names, stride: "32" },
  });
}

/** An "image encoder": the per-channel mean of its input (GlobalAveragePool → Flatten), any image size unless `size`. */
export function meanColourModel(size?: number): Uint8Array {
  const hw: Shape = size ? [size, size] : ["height", "width"];
  return onnxModel({
    input: ["pixel_values", [1, 3, ...hw]],
    output: ["image_embeds", [1, 3]],
    nodes: [
      { op: "GlobalAveragePool", inputs: ["pixel_values"], outputs: ["pooled"] },
      { op: "Flatten", inputs: ["pooled"], outputs: ["image_embeds"], ints: { axis: 1 } },
    ],
  });
}
