/**
 * JSON request bodies with FastAPI 0.117 rules (docs/protocol.md, request validation): which content types are
 * parsed, the nesting limit checked before parsing (by a linear scan, so that no recursive walker — ours, zod's,
 * JSON.stringify — can overflow), and the position and wording of a syntax error as Python's json module reports it.
 */
import type { ValidationIssue } from "../../python-compat/pydantic-errors.ts";

/**
 * JSON body decoding with FastAPI 0.117 rules (docs/protocol.md §2.4): no Content-Type or a JSON content type →
 * parse (syntax error → json_invalid, raised before authentication by the caller); another content
 * type → the raw text is validated as a JSON string value; empty body or `null` → undefined.
 * `parsed` tells whether the text was parsed as JSON (routes that keep Python's view of it re-read it).
 */
export function decodeJsonBody(
  text: string,
  contentType: string | undefined,
): { value: unknown; parsed: boolean } | { error: ValidationIssue } {
  if (text.length === 0) return { value: undefined, parsed: false };
  const ct = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const jsonish = ct === "" || ct === "application/json" || (ct.startsWith("application/") && ct.endsWith("+json"));
  if (!jsonish) return { value: text, parsed: false };
  const tooDeep = depthExceededAt(text);
  if (tooDeep >= 0) {
    const message = `Nesting deeper than ${MAX_JSON_DEPTH} arrays/objects`;
    return { error: { type: "json_invalid", loc: ["body", tooDeep], msg: "JSON decode error", input: {}, ctx: { error: message } } };
  }
  try {
    const v = JSON.parse(text);
    return { value: v === null ? undefined : v, parsed: true };
  } catch (e) {
    const { offset, message } = jsonErrorPosition(text, (e as Error).message);
    return { error: { type: "json_invalid", loc: ["body", offset], msg: "JSON decode error", input: {}, ctx: { error: message } } };
  }
}

/** Deepest nesting of arrays/objects a JSON body may have (Python's json gives up near 1000 with a RecursionError). */
export const MAX_JSON_DEPTH = 512;

/**
 * Offset of the first `[`/`{` (outside strings) that opens a level deeper than MAX_JSON_DEPTH, or -1: one linear
 * scan, no recursion, on any text (well-formed or not).
 */
export function depthExceededAt(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/** Best-effort character offset of a JSON syntax error (Python reports one; JavaScriptCore does not). */
export function jsonErrorPosition(text: string, fallback: string): { offset: number; message: string } {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const fail = (message: string): never => {
    throw { offset: i, message };
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail("Expecting property name enclosed in double quotes");
        str();
        ws();
        if (text[i] !== ":") fail("Expecting ':' delimiter");
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") return void i++;
        fail("Expecting ',' delimiter");
      }
    }
    if (ch === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") return void i++;
        fail("Expecting ',' delimiter");
      }
    }
    if (ch === '"') return void str();
    const lit = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i));
    if (lit) return void (i += lit[0].length);
    fail("Expecting value");
  };
  // Python's scanstring: the opening quote's offset for an unterminated string, the backslash's for a bad escape,
  // the `u`'s for a bad \uXXXX, the character's for a raw control character.
  const str = () => {
    const start = i;
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined || (c === "\\" && i + 1 >= text.length)) {
        i = start;
        fail("Unterminated string starting at");
      }
      if (c === '"') return void i++;
      if (c === "\\") {
        const e = text[i + 1]!;
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i++;
            fail("Invalid \\uXXXX escape");
          }
          i += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) fail("Invalid \\escape");
        i += 2;
        continue;
      }
      if (c!.charCodeAt(0) < 0x20) fail("Invalid control character at");
      i++;
    }
  };
  try {
    value();
    ws();
    if (i < text.length) fail("Extra data");
    return { offset: 0, message: fallback };
  } catch (e) {
    if (typeof e === "object" && e && "offset" in e) return e as { offset: number; message: string };
    return { offset: 0, message: fallback };
  }
}
