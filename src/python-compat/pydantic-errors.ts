/**
 * pydantic v2's error objects, as FastAPI lists them in a 422 (docs/protocol.md, request validation): their shape
 * (`type`, `loc`, `msg`, `input`, `ctx`), their messages, and the translation of a zod issue into them.
 * The reference server is Python; this module exists only so that clients see the same errors.
 */
import type { z } from "zod";

export type Loc = (string | number)[];

export interface ValidationIssue {
  type: string;
  loc: Loc;
  msg: string;
  /** Absent only in the duplicate-image-names error of docs/protocol.md §4.5. */
  input?: unknown;
  ctx?: Record<string, unknown>;
}

/** pydantic's message for each error type whose message does not depend on the input. */
const MESSAGES = {
  missing: "Field required",
  extra_forbidden: "Extra inputs are not permitted",
  int_type: "Input should be a valid integer",
  int_parsing: "Input should be a valid integer, unable to parse string as an integer",
  int_from_float: "Input should be a valid integer, got a number with a fractional part",
  float_type: "Input should be a valid number",
  float_parsing: "Input should be a valid number, unable to parse string as a number",
  bool_type: "Input should be a valid boolean",
  bool_parsing: "Input should be a valid boolean, unable to interpret input",
  string_type: "Input should be a valid string",
  string_unicode: "Input should be a valid string, unable to parse raw data as a unicode string (lone surrogate)",
  model_attributes_type: "Input should be a valid dictionary or object to extract fields from",
  dict_type: "Input should be a valid dictionary",
  list_type: "Input should be a valid list",
  union_type: "Input does not match any allowed type",
} as const;

export type PydanticErrorType = keyof typeof MESSAGES;

/** The error object of one of the fixed-message types above. */
export function pydanticIssue(type: PydanticErrorType, loc: Loc, input: unknown): ValidationIssue {
  return { type, loc, msg: MESSAGES[type], input };
}

/** `value_error` with pydantic's "Value error, " prefix (a validator that raised ValueError). */
export function valueError(loc: Loc, message: string, input: unknown): ValidationIssue {
  return { type: "value_error", loc, msg: `Value error, ${message}`, input };
}

/** pydantic's (uuid crate's) explanation of why a string is not a UUID. */
function uuidError(v: string): string {
  const bad = /[^0-9a-fA-F-]/.exec(v);
  if (bad)
    return `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${bad[0]}\` at ${bad.index + 1}`;
  return `invalid group count: expected 5, found ${v.split("-").length}`;
}

export function uuidParsingIssue(loc: Loc, input: unknown): ValidationIssue {
  const error = typeof input === "string" ? uuidError(input) : "invalid UUID";
  return { type: "uuid_parsing", loc, msg: `Input should be a valid UUID, ${error}`, input, ctx: { error } };
}

/** A datetime that did not parse; `type` and `error` come from parseLaxDatetime (src/shared/timestamps.ts). */
export function datetimeParsingIssue(loc: Loc, input: unknown, r: { type: string; error: string }): ValidationIssue {
  const kind = r.type === "datetime_from_date_parsing" ? "datetime or date" : "datetime";
  return { type: r.type, loc, msg: `Input should be a valid ${kind}, ${r.error}`, input, ctx: { error: r.error } };
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

const TYPE_OF_EXPECTED: Record<string, PydanticErrorType> = {
  string: "string_type",
  object: "model_attributes_type",
  record: "dict_type",
  array: "list_type",
  boolean: "bool_type",
  int: "int_type",
  number: "float_type",
};

/** A zod issue as pydantic error objects; `root` is the value zod parsed, `prefix` the location of that value. */
export function pydanticIssuesFromZod(issue: z.core.$ZodIssue, root: unknown, prefix: Loc): ValidationIssue[] {
  const path = issue.path as (string | number)[];
  const loc: Loc = [...prefix, ...path];
  const input = valueAt(root, path);
  // A required field that is absent is `missing` whatever its type (zod reports an absent enum as invalid_value).
  if (input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value")) {
    const parent = path.length ? valueAt(root, path.slice(0, -1)) : null;
    return [pydanticIssue("missing", loc, parent ?? null)];
  }
  switch (issue.code) {
    case "invalid_type": {
      const expected = issue.expected as string;
      const type = TYPE_OF_EXPECTED[expected];
      if (type) return [pydanticIssue(type, loc, input)];
      if (expected === "null" || expected === "nonoptional") return [pydanticIssue("missing", loc, null)];
      return [{ type: `${expected}_type`, loc, msg: `Input should be a valid ${expected}`, input }];
    }
    case "unrecognized_keys":
      return issue.keys.map((k) => pydanticIssue("extra_forbidden", [...loc, k], valueAt(root, [...path, k])));
    case "invalid_value": {
      const expected = quoteList(issue.values as unknown[]);
      return [{ type: "enum", loc, msg: `Input should be ${expected}`, input, ctx: { expected } }];
    }
    case "invalid_format":
      if (issue.format === "guid" || issue.format === "uuid") return [uuidParsingIssue(loc, input)];
      if (issue.format === "datetime") {
        return [{ type: "datetime_parsing", loc, msg: "Input should be a valid datetime", input, ctx: { error: "invalid datetime" } }];
      }
      return [{ type: "string_pattern_mismatch", loc, msg: issue.message, input }];
    case "too_big":
      if (issue.origin === "string") {
        const msg = `String should have at most ${issue.maximum} characters`;
        return [{ type: "string_too_long", loc, msg, input, ctx: { max_length: issue.maximum } }];
      }
      return [
        { type: "less_than_equal", loc, msg: `Input should be less than or equal to ${issue.maximum}`, input, ctx: { le: issue.maximum } },
      ];
    case "too_small":
      if (issue.origin === "string") {
        const msg = `String should have at least ${issue.minimum} characters`;
        return [{ type: "string_too_short", loc, msg, input, ctx: { min_length: issue.minimum } }];
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
      return [pydanticIssue("union_type", loc, input)];
    default: {
      const params = (issue as { params?: { type?: string } }).params;
      if (params?.type) return [{ type: params.type, loc, msg: issue.message, input }];
      return [valueError(loc, issue.message, input)];
    }
  }
}
