/**
 * Request validation with pydantic-v2/FastAPI error semantics (protocol §2.4), driven by plain zod
 * schemas so that the very same schemas generate the OpenAPI document.
 *
 * Two passes per request part (path, query, body):
 *  1. `coerce` walks schema and value together and applies pydantic's "lax" scalar rules
 *     (`"1"`/`1.0` → int, `"yes"`/`0` → bool, numeric strings → float, UUIDs normalised to lower
 *     case, query datetimes in any ISO-ish form → canonical UTC); what cannot be coerced becomes a
 *     pydantic-typed error (int_parsing, int_from_float, bool_parsing, uuid_parsing, …).
 *  2. zod parses the coerced value; its issues are translated to pydantic types (missing,
 *     extra_forbidden, string_type, enum, dict_type, list_type, …). Issues at a location that
 *     already failed coercion are dropped, so each bad input is reported once.
 * All errors of all parts are collected and reported together as one 422.
 *
 * Text that PostgreSQL cannot store is refused here, never stripped (422): the coerce pass refuses a NUL
 * character (text and jsonb have none) and a lone UTF-16 surrogate (not Unicode; jsonb refuses its
 * escape) in every typed string (path, query, body) and in every string and member name of a record
 * (`z.record`: the jsonb columns engine_settings and engine definitions). Other free-form JSON (unions,
 * unknown values: the metadata document, stored as a file) may hold NUL but no lone surrogate, which
 * cannot be written as UTF-8. JSON bodies nested deeper than MAX_JSON_DEPTH are refused before they are
 * parsed, by a linear scan, so that no recursive walker (ours, zod's, JSON.stringify) can overflow.
 */
import type { z } from "zod";
import { AppError } from "../errors.ts";
import { isoFromMicros } from "../../shared/timestamps.ts";

export type Loc = (string | number)[];

export interface ValidationIssue {
  type: string;
  loc: Loc;
  msg: string;
  /** Absent only in the duplicate-image-names error of §4.5. */
  input?: unknown;
  ctx?: Record<string, unknown>;
}

type AnySchema = z.ZodType;
// zod v4 keeps the definition under `_zod.def`; only the members used here are typed.
interface Def {
  type: string;
  format?: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  catchall?: AnySchema;
  options?: AnySchema[];
  entries?: Record<string, string | number>;
}
const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

export function validationError(details: ValidationIssue[], detail?: string): AppError {
  return new AppError("REQUEST_VALIDATION_ERROR", { details, detail });
}

const TRUE_STRINGS = new Set(["1", "on", "t", "true", "y", "yes"]);
const FALSE_STRINGS = new Set(["0", "off", "f", "false", "n", "no"]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses an ISO 8601 datetime (T or space, optional fraction/offset), a bare date or a Unix timestamp to canonical UTC `…ffffffZ`. */
export function parseLaxDatetime(v: string): string | { error: string; type: string } {
  const s = v.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    const secs = Math.abs(n) > 2e10 ? n / 1000 : n; // pydantic: large numbers are milliseconds
    if (!Number.isFinite(secs) || Math.abs(secs) > 8.64e12) return { type: "datetime_parsing", error: "invalid timestamp" };
    return isoFromMicros(BigInt(Math.round(secs * 1e6)));
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/.exec(s);
  if (!m) {
    return /^\d{4}-\d{2}-\d{2}/.test(s)
      ? { type: "datetime_parsing", error: "invalid datetime separator or time" }
      : { type: "datetime_from_date_parsing", error: "input is too short or has an invalid date format" };
  }
  const [, y, mo, d, hh = "00", mi = "00", ss = "00", frac = "", zone] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mi), Number(ss));
  const check = new Date(base);
  if (
    Number.isNaN(base) ||
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(hh) > 23 ||
    Number(mi) > 59 ||
    Number(ss) > 59
  ) {
    return { type: "datetime_parsing", error: "date or time out of range" };
  }
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== "Z") {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offsetMin = (zm[1] === "-" ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3] ?? 0));
  }
  const utc = new Date(base - offsetMin * 60_000);
  return `${utc.toISOString().slice(0, 19)}.${frac.padEnd(6, "0")}Z`;
}

const UUID_RE = /^[0-9a-f]{32}$/;
/** pydantic accepts hyphenated or plain hex, any case, optional braces/urn prefix; we normalise to lower-case hyphenated. */
export function normaliseUuid(v: string): string | null {
  let s = v.trim().toLowerCase();
  if (s.startsWith("urn:uuid:")) s = s.slice(9);
  if (s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1);
  const hex = s.replace(/-/g, "");
  if (!UUID_RE.test(hex) || (s.includes("-") && !/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/.test(s))) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function uuidError(v: string): string {
  const bad = /[^0-9a-fA-F-]/.exec(v);
  if (bad)
    return `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${bad[0]}\` at ${bad.index + 1}`;
  return `invalid group count: expected 5, found ${v.split("-").length}`;
}

/** The one rule for text (see the header): undefined when `s` can be stored (in PostgreSQL unless `nul` is allowed). */
function textIssue(s: string, loc: Loc, allowNul = false): ValidationIssue | undefined {
  if (!allowNul && s.includes("\u0000")) {
    return { type: "value_error", loc, msg: "Value error, text must not contain the NUL character (\\u0000)", input: s };
  }
  if (!s.isWellFormed()) {
    return {
      type: "string_unicode",
      loc,
      msg: "Input should be a valid string, unable to parse raw data as a unicode string (lone surrogate)",
      input: s,
    };
  }
  return undefined;
}

/** textIssue for every string and member name inside free-form JSON; iterative, as the value may be deep. */
function freeFormTextIssues(value: unknown, loc: Loc, errors: ValidationIssue[], allowNul: boolean): void {
  const stack: [unknown, Loc][] = [[value, loc]];
  while (stack.length > 0) {
    const [v, l] = stack.pop()!;
    if (typeof v === "string") {
      const issue = textIssue(v, l, allowNul);
      if (issue) errors.push(issue);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], [...l, i]]);
    } else if (isPlainObject(v)) {
      for (const [k, x] of Object.entries(v).reverse()) {
        const issue = textIssue(k, [...l, k, "[key]"], allowNul);
        if (issue) errors.push({ ...issue, input: k });
        stack.push([x, [...l, k]]);
      }
    }
  }
}

/** Pass 1: lax coercion. Returns the coerced value; pushes errors for values that cannot be coerced. */
function coerce(schema: AnySchema, value: unknown, loc: Loc, errors: ValidationIssue[]): unknown {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
    case "nonoptional":
      if (value === undefined || value === null) return value;
      return coerce(def.innerType!, value, loc, errors);
    case "pipe":
      return coerce(def.in!, value, loc, errors);
    case "number": {
      const isInt = typeof def.format === "string" && def.format.includes("int");
      if (typeof value === "number") {
        if (isInt && !Number.isInteger(value)) {
          errors.push({
            type: "int_from_float",
            loc,
            msg: "Input should be a valid integer, got a number with a fractional part",
            input: value,
          });
        }
        return value;
      }
      if (typeof value === "string") {
        const t = value.trim();
        if (isInt) {
          if (/^[+-]?\d+$/.test(t)) return Number(t);
          if (/^[+-]?\d+\.0*$/.test(t)) return Number(t);
          errors.push({
            type: "int_parsing",
            loc,
            msg: "Input should be a valid integer, unable to parse string as an integer",
            input: value,
          });
          return value;
        }
        if (t !== "" && Number.isFinite(Number(t))) return Number(t);
        errors.push({
          type: "float_parsing",
          loc,
          msg: "Input should be a valid number, unable to parse string as a number",
          input: value,
        });
        return value;
      }
      if (value !== undefined) {
        errors.push(
          isInt
            ? { type: "int_type", loc, msg: "Input should be a valid integer", input: value }
            : { type: "float_type", loc, msg: "Input should be a valid number", input: value },
        );
      }
      return value;
    }
    case "boolean": {
      if (typeof value === "boolean" || value === undefined) return value;
      if (value === 0 || value === 1) return value === 1;
      if (typeof value === "string") {
        const t = value.trim().toLowerCase();
        if (TRUE_STRINGS.has(t)) return true;
        if (FALSE_STRINGS.has(t)) return false;
        errors.push({ type: "bool_parsing", loc, msg: "Input should be a valid boolean, unable to interpret input", input: value });
        return value;
      }
      errors.push(
        typeof value === "number"
          ? { type: "bool_parsing", loc, msg: "Input should be a valid boolean, unable to interpret input", input: value }
          : { type: "bool_type", loc, msg: "Input should be a valid boolean", input: value },
      );
      return value;
    }
    case "string": {
      if (typeof value !== "string") return value;
      if (def.format === undefined) {
        const issue = textIssue(value, loc);
        if (issue) errors.push(issue);
        return value;
      }
      if (def.format === "guid" || def.format === "uuid") {
        const u = normaliseUuid(value);
        if (u === null) {
          const error = uuidError(value);
          errors.push({ type: "uuid_parsing", loc, msg: `Input should be a valid UUID, ${error}`, input: value, ctx: { error } });
          return value;
        }
        return u;
      }
      if (def.format === "datetime") {
        const r = parseLaxDatetime(value);
        if (typeof r !== "string") {
          const kind = r.type === "datetime_from_date_parsing" ? "datetime or date" : "datetime";
          errors.push({ type: r.type, loc, msg: `Input should be a valid ${kind}, ${r.error}`, input: value, ctx: { error: r.error } });
          return value;
        }
        return r;
      }
      return value;
    }
    case "object": {
      if (!isPlainObject(value)) return value;
      const out: Record<string, unknown> = { ...value };
      for (const [k, s] of Object.entries(def.shape!)) {
        if (Object.hasOwn(value, k)) out[k] = coerce(s, value[k], [...loc, k], errors);
      }
      return out;
    }
    case "array":
      if (!Array.isArray(value)) return value;
      return value.map((v, i) => coerce(def.element!, v, [...loc, i], errors));
    case "record":
      if (isPlainObject(value)) freeFormTextIssues(value, loc, errors, false);
      return value;
    case "union":
    case "unknown":
    case "any":
      freeFormTextIssues(value, loc, errors, true);
      return value;
    default:
      return value;
  }
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function quoteList(values: unknown[]): string {
  const q = values.map((v) => (typeof v === "string" ? `'${v}'` : String(v)));
  return q.length <= 1 ? (q[0] ?? "") : `${q.slice(0, -1).join(", ")} or ${q.at(-1)}`;
}

/** Pass 2: zod issue → pydantic error object. */
function translate(issue: z.core.$ZodIssue, root: unknown, prefix: Loc): ValidationIssue[] {
  const path = issue.path as (string | number)[];
  const loc: Loc = [...prefix, ...path];
  const input = valueAt(root, path);
  // A required field that is absent is `missing` whatever its type (zod reports an absent enum as invalid_value).
  if (input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value")) {
    const parent = path.length ? valueAt(root, path.slice(0, -1)) : null;
    return [{ type: "missing", loc, msg: "Field required", input: parent ?? null }];
  }
  switch (issue.code) {
    case "invalid_type": {
      const expected = issue.expected as string;
      if (expected === "string") return [{ type: "string_type", loc, msg: "Input should be a valid string", input }];
      if (expected === "object") {
        return [{ type: "model_attributes_type", loc, msg: "Input should be a valid dictionary or object to extract fields from", input }];
      }
      if (expected === "record") return [{ type: "dict_type", loc, msg: "Input should be a valid dictionary", input }];
      if (expected === "array") return [{ type: "list_type", loc, msg: "Input should be a valid list", input }];
      if (expected === "boolean") return [{ type: "bool_type", loc, msg: "Input should be a valid boolean", input }];
      if (expected === "int") return [{ type: "int_type", loc, msg: "Input should be a valid integer", input }];
      if (expected === "number") return [{ type: "float_type", loc, msg: "Input should be a valid number", input }];
      if (expected === "null" || expected === "nonoptional") return [{ type: "missing", loc, msg: "Field required", input: null }];
      return [{ type: `${expected}_type`, loc, msg: `Input should be a valid ${expected}`, input }];
    }
    case "unrecognized_keys":
      return issue.keys.map((k) => ({
        type: "extra_forbidden",
        loc: [...loc, k],
        msg: "Extra inputs are not permitted",
        input: valueAt(root, [...path, k]),
      }));
    case "invalid_value": {
      const expected = quoteList(issue.values as unknown[]);
      return [{ type: "enum", loc, msg: `Input should be ${expected}`, input, ctx: { expected } }];
    }
    case "invalid_format":
      if (issue.format === "guid" || issue.format === "uuid") {
        const error = typeof input === "string" ? uuidError(input) : "invalid UUID";
        return [{ type: "uuid_parsing", loc, msg: `Input should be a valid UUID, ${error}`, input, ctx: { error } }];
      }
      if (issue.format === "datetime") {
        return [{ type: "datetime_parsing", loc, msg: "Input should be a valid datetime", input, ctx: { error: "invalid datetime" } }];
      }
      return [{ type: "string_pattern_mismatch", loc, msg: issue.message, input }];
    case "too_big":
      if (issue.origin === "string") {
        return [
          {
            type: "string_too_long",
            loc,
            msg: `String should have at most ${issue.maximum} characters`,
            input,
            ctx: { max_length: issue.maximum },
          },
        ];
      }
      return [
        { type: "less_than_equal", loc, msg: `Input should be less than or equal to ${issue.maximum}`, input, ctx: { le: issue.maximum } },
      ];
    case "too_small":
      if (issue.origin === "string") {
        return [
          {
            type: "string_too_short",
            loc,
            msg: `String should have at least ${issue.minimum} characters`,
            input,
            ctx: { min_length: issue.minimum },
          },
        ];
      }
      return [
        {
          type: "greater_than_equal",
          loc,
          msg: `Input should be greater than or equal to ${issue.minimum}`,
          input,
          ctx: { ge: issue.minimum },
        },
      ];
    case "invalid_union":
      return [{ type: "union_type", loc, msg: "Input does not match any allowed type", input }];
    default: {
      const params = (issue as { params?: { type?: string } }).params;
      return [{ type: params?.type ?? "value_error", loc, msg: params?.type ? issue.message : `Value error, ${issue.message}`, input }];
    }
  }
}

const startsWith = (a: Loc, b: Loc) => b.length <= a.length && b.every((x, i) => a[i] === x);

/**
 * Validates one request part. `prefix` is `["body"]`, `["query"]` or `["path"]`. Returns the parsed
 * value (schema output) or undefined and appends the errors to `errors`.
 */
export function validatePart<S extends AnySchema>(
  schema: S,
  value: unknown,
  prefix: Loc,
  errors: ValidationIssue[],
): z.output<S> | undefined {
  const coerceErrors: ValidationIssue[] = [];
  const coerced = coerce(schema, value, prefix, coerceErrors);
  const r = schema.safeParse(coerced);
  if (r.success && coerceErrors.length === 0) return r.data;
  const zodErrors = r.success ? [] : r.error.issues.flatMap((i) => translate(i, coerced, prefix));
  errors.push(...coerceErrors, ...zodErrors.filter((e) => !coerceErrors.some((c) => startsWith(e.loc, c.loc))));
  return undefined;
}

/**
 * JSON body decoding with FastAPI 0.117 rules (§2.4): no Content-Type or a JSON content type →
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
