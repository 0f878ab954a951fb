/**
 * src/python-compat/: code that exists only to match the Python reference tool and DocAPI byte for byte
 * (the other modules of this folder say the same); it imports nothing of the server, worker, client or processor.
 *
 * JSON read and written as Python's `json` module does, where clients can see the difference (docs/protocol.md §4.7.4,
 * §6.6: the metadata is stored as `json.dump(value, ensure_ascii=False, indent=4)` of `json.loads(body)`):
 *  - object members keep their order (JavaScript objects move integer-like keys to the front); a repeated key
 *    keeps its first position and takes its last value, as a Python dict does;
 *  - a number with a fraction or an exponent is a float and prints as Python's `repr` (`2.0`, `1000.0`,
 *    `1e-05`, `1e+16`), other numbers are exact integers of any size;
 *  - strings escape `"`, `\` and control characters only (ensure_ascii=False).
 * `parsePyJson` expects text that JSON.parse accepts (the caller validates first).
 */
export type PyJson = null | boolean | string | PyNumber | PyJson[] | PyObject;
export interface PyNumber {
  readonly kind: "int" | "float";
  /** The number's text as it appeared in the document. */
  readonly raw: string;
}
export interface PyObject {
  readonly kind: "object";
  readonly entries: [string, PyJson][];
}

const isNumber = (v: PyJson): v is PyNumber => typeof v === "object" && v !== null && !Array.isArray(v) && v.kind !== "object";
const isObject = (v: PyJson): v is PyObject => typeof v === "object" && v !== null && !Array.isArray(v) && v.kind === "object";

export function parsePyJson(text: string): PyJson {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const fail = (): never => {
    throw new SyntaxError(`invalid JSON at character ${i}`);
  };
  const value = (): PyJson => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: [string, PyJson][] = [];
      const at = new Map<string, number>();
      ws();
      if (text[i] === "}") {
        i++;
        return { kind: "object", entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const k = string();
        ws();
        if (text[i++] !== ":") fail();
        const v = value();
        const pos = at.get(k);
        if (pos === undefined) {
          at.set(k, entries.length);
          entries.push([k, v]);
        } else entries[pos] = [k, v];
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i++] !== "}") fail();
        return { kind: "object", entries };
      }
    }
    if (c === "[") {
      i++;
      const items: PyJson[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return items;
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i++] !== "]") fail();
        return items;
      }
    }
    if (c === '"') return string();
    if (text.startsWith("true", i)) return ((i += 4), true);
    if (text.startsWith("false", i)) return ((i += 5), false);
    if (text.startsWith("null", i)) return ((i += 4), null);
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m![0].length;
    return { kind: m![1] || m![2] ? "float" : "int", raw: m![0] };
  };
  const string = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const v = value();
  ws();
  if (i !== text.length) fail();
  return v;
}

/** Python's `repr` of a float given as a JavaScript number (shortest round-trip digits, Python's layout). */
export function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity"; // what json.dumps writes for inf
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const [mant, exp] = Math.abs(v).toExponential().split("e") as [string, string];
  const digits = mant.replace(".", "");
  const decpt = Number(exp) + 1; // value = 0.<digits> × 10^decpt
  const sign = v < 0 ? "-" : "";
  if (decpt <= -4 || decpt > 16) {
    const e = decpt - 1;
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

function pyString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** `json.dumps(value, ensure_ascii=False, indent=indent)` (no trailing newline, as json.dump writes). */
export function pyJsonDumps(value: PyJson, indent = 4): string {
  const pad = (level: number) => " ".repeat(indent * level);
  const dump = (v: PyJson, level: number): string => {
    if (v === null) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "string") return pyString(v);
    if (isNumber(v)) return v.kind === "int" ? BigInt(v.raw).toString() : pyFloatRepr(Number(v.raw));
    if (isObject(v)) {
      if (v.entries.length === 0) return "{}";
      const items = v.entries.map(([k, x]) => `${pad(level + 1)}${pyString(k)}: ${dump(x, level + 1)}`);
      return `{\n${items.join(",\n")}\n${pad(level)}}`;
    }
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => `${pad(level + 1)}${dump(x, level + 1)}`).join(",\n")}\n${pad(level)}]`;
  };
  return dump(value, 0);
}

/**
 * A Python float whose value is a whole number (`1.0`, `1e3`): JavaScript has one number type, so without this
 * `{{ x }}` in a prompt would print `1` where Python prints `1.0`. Compares and serialises as its number.
 */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
  toString(): string {
    return pyFloatRepr(this.value);
  }
}

/**
 * Plain JavaScript values for a parsed document: objects and arrays as usual (member order as JavaScript keeps it),
 * integers as numbers, floats as numbers except whole-number floats, which become PyFloat.
 */
export function toJsValue(v: PyJson): unknown {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(toJsValue);
  if (isObject(v)) return Object.fromEntries(v.entries.map(([k, x]) => [k, toJsValue(x)]));
  const n = Number(v.raw);
  return v.kind === "float" && Number.isInteger(n) ? new PyFloat(n) : n;
}
