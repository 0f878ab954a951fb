/**
 * Request validation with pydantic-v2/FastAPI error semantics (docs/protocol.md §2.4), driven by plain zod
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
 * cannot be written as UTF-8. JSON bodies are decoded before this, by json-body.ts; the error objects and
 * their messages are pydantic's, from src/python-compat/pydantic-errors.ts.
 */
import type { z } from "zod";
import {
  datetimeParsingIssue,
  type Loc,
  pydanticIssue,
  pydanticIssuesFromZod,
  uuidParsingIssue,
  type ValidationIssue,
  valueError,
} from "../../python-compat/pydantic-errors.ts";
import { parseLaxDatetime } from "../../shared/timestamps.ts";
import { AppError } from "../errors.ts";

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

/** The one rule for text (see the header): undefined when `s` can be stored (in PostgreSQL unless `nul` is allowed). */
function textIssue(s: string, loc: Loc, allowNul = false): ValidationIssue | undefined {
  if (!allowNul && s.includes("\u0000")) return valueError(loc, "text must not contain the NUL character (\\u0000)", s);
  if (!s.isWellFormed()) return pydanticIssue("string_unicode", loc, s);
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
        if (isInt && !Number.isInteger(value)) errors.push(pydanticIssue("int_from_float", loc, value));
        return value;
      }
      if (typeof value === "string") {
        const t = value.trim();
        if (isInt) {
          if (/^[+-]?\d+$/.test(t)) return Number(t);
          if (/^[+-]?\d+\.0*$/.test(t)) return Number(t);
          errors.push(pydanticIssue("int_parsing", loc, value));
          return value;
        }
        if (t !== "" && Number.isFinite(Number(t))) return Number(t);
        errors.push(pydanticIssue("float_parsing", loc, value));
        return value;
      }
      if (value !== undefined) errors.push(pydanticIssue(isInt ? "int_type" : "float_type", loc, value));
      return value;
    }
    case "boolean": {
      if (typeof value === "boolean" || value === undefined) return value;
      if (value === 0 || value === 1) return value === 1;
      if (typeof value === "string") {
        const t = value.trim().toLowerCase();
        if (TRUE_STRINGS.has(t)) return true;
        if (FALSE_STRINGS.has(t)) return false;
        errors.push(pydanticIssue("bool_parsing", loc, value));
        return value;
      }
      errors.push(pydanticIssue(typeof value === "number" ? "bool_parsing" : "bool_type", loc, value));
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
        if (u === null) errors.push(uuidParsingIssue(loc, value));
        return u ?? value;
      }
      if (def.format === "datetime") {
        const r = parseLaxDatetime(value);
        if (typeof r === "string") return r;
        errors.push(datetimeParsingIssue(loc, value, r));
        return value;
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
  const zodErrors = r.success ? [] : r.error.issues.flatMap((i) => pydanticIssuesFromZod(i, coerced, prefix));
  errors.push(...coerceErrors, ...zodErrors.filter((e) => !coerceErrors.some((c) => startsWith(e.loc, c.loc))));
  return undefined;
}
