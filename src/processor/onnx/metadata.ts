/**
 * The `metadata_props` of an ONNX file (ModelProto field 14, entries {1: key, 2: value}), read with
 * a minimal protobuf scan of the top-level fields: onnxruntime-node does not expose them, and the
 * YOLO class names live there (docs/processor.md §8.3: `names`, a Python dict literal `{0: 'Image', 1: 'Photograph'}`).
 */
import { OnnxModelError } from "./errors.ts";

const METADATA_PROPS = 14;

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new Error("truncated varint");
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error("varint too long");
  }
  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw new Error("truncated field");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** Skips one field's value; returns the length-delimited bytes when it is one. */
  field(wire: number): Uint8Array | null {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else if (wire === 2) return this.bytes();
    else throw new Error(`unsupported wire type ${wire}`);
    if (this.pos > this.buf.length) throw new Error("truncated field");
    return null;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The key → value metadata of an ONNX model file's bytes. Throws OnnxModelError for bytes that are no protobuf. */
export function readOnnxMetadata(model: Uint8Array, where: string): Map<string, string> {
  const props = new Map<string, string>();
  try {
    const r = new Reader(model);
    while (!r.done) {
      const tag = r.varint();
      const value = r.field(tag & 7);
      if (tag >>> 3 !== METADATA_PROPS || !value) continue;
      const e = new Reader(value);
      let key = "",
        val = "";
      while (!e.done) {
        const t = e.varint();
        const v = e.field(t & 7);
        if (v && t >>> 3 === 1) key = utf8.decode(v);
        if (v && t >>> 3 === 2) val = utf8.decode(v);
      }
      props.set(key, val);
    }
  } catch (e) {
    throw new OnnxModelError(`${where}: not an ONNX model file (${(e as Error).message})`);
  }
  return props;
}

/** Class names from Ultralytics' `names` metadata (`{0: 'Image', 1: "Children's book"}`), in class-id order. */
export function parseClassNames(text: string): string[] | null {
  const names: string[] = [];
  const re = /(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g;
  for (const m of text.matchAll(re)) {
    const raw = m[2] ?? m[3] ?? "";
    names[Number(m[1])] = raw.replace(/\\(.)/g, "$1");
  }
  if (names.length === 0 || names.some((n) => n === undefined) || names.length !== Object.keys(names).length) return null;
  return names;
}
