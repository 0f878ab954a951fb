/**
 * The validation layer in isolation (docs/protocol.md §2.4): pydantic "lax" coercion and error types from
 * plain zod schemas, lenient query datetimes, UUID normalisation, JSON decoding rules and the
 * position of JSON syntax errors.
 */
import { describe, expect, test } from "bun:test";
import { z } from "zod";
import type { ValidationIssue } from "../../src/python-compat/pydantic-errors.ts";
import { decodeJsonBody, depthExceededAt, jsonErrorPosition, MAX_JSON_DEPTH } from "../../src/server/http/json-body.ts";
import { normaliseUuid, validatePart } from "../../src/server/http/validation.ts";
import { parseLaxDatetime } from "../../src/shared/timestamps.ts";

function run<S extends z.ZodType>(schema: S, value: unknown, prefix: (string | number)[] = ["body"]) {
  const errors: ValidationIssue[] = [];
  const out = validatePart(schema, value, prefix, errors);
  return { out, errors };
}

describe("lax scalars", () => {
  const S = z.object({ i: z.int().optional(), b: z.boolean().optional(), f: z.number().optional(), s: z.string().optional() }).strict();
  test("accepted forms", () => {
    expect(run(S, { i: "7", b: "YES", f: "2.5", s: "x" }).out).toEqual({ i: 7, b: true, f: 2.5, s: "x" });
    expect(run(S, { i: 3.0, b: 0 }).out).toEqual({ i: 3, b: false });
    for (const t of ["1", "on", "t", "true", "y", "yes"]) expect(run(S, { b: t }).out).toEqual({ b: true });
    for (const f of ["0", "off", "f", "false", "n", "no"]) expect(run(S, { b: f }).out).toEqual({ b: false });
  });
  test("error types, one per bad input, all reported", () => {
    const { errors } = run(S, { i: 1.5, b: "maybe", f: "abc", s: 5, extra: true });
    expect(errors.map((e) => [e.type, e.loc])).toEqual([
      ["int_from_float", ["body", "i"]],
      ["bool_parsing", ["body", "b"]],
      ["float_parsing", ["body", "f"]],
      ["string_type", ["body", "s"]],
      ["extra_forbidden", ["body", "extra"]],
    ]);
    expect(run(S, { i: "one" }).errors[0]).toEqual({
      type: "int_parsing",
      loc: ["body", "i"],
      msg: "Input should be a valid integer, unable to parse string as an integer",
      input: "one",
    });
  });
  test("missing carries the enclosing object; enums list the choices; nested locations", () => {
    const N = z.object({ items: z.array(z.object({ name: z.string(), state: z.enum(["a", "b", "c"]) }).strict()) }).strict();
    const { errors } = run(N, { items: [{ state: "a" }, { name: "n", state: "z" }] });
    expect(errors[0]).toEqual({ type: "missing", loc: ["body", "items", 0, "name"], msg: "Field required", input: { state: "a" } });
    expect(errors[1]).toMatchObject({
      type: "enum",
      loc: ["body", "items", 1, "state"],
      msg: "Input should be 'a', 'b' or 'c'",
      ctx: { expected: "'a', 'b' or 'c'" },
    });
    expect(run(N, { items: "x" }).errors[0]!.type).toBe("list_type");
    expect(run(N, "x").errors[0]!.type).toBe("model_attributes_type");
    expect(run(z.object({ d: z.record(z.string(), z.unknown()) }), { d: [1] }).errors[0]!.type).toBe("dict_type");
  });
});

describe("UUIDs and datetimes", () => {
  test("UUIDs are normalised or rejected with uuid_parsing", () => {
    const P = z.object({ job_id: z.guid() });
    expect(run(P, { job_id: "7E0576EA76844C23A9BDC44D66A8E65B" }, ["path"]).out).toEqual({
      job_id: "7e0576ea-7684-4c23-a9bd-c44d66a8e65b",
    });
    const e = run(P, { job_id: "not-a-uuid" }, ["path"]).errors[0]!;
    expect(e).toMatchObject({ type: "uuid_parsing", loc: ["path", "job_id"], input: "not-a-uuid" });
    expect(e.msg).toContain("found `n` at 1");
    expect(normaliseUuid("{7e0576ea-7684-4c23-a9bd-c44d66a8e65b}")).toBe("7e0576ea-7684-4c23-a9bd-c44d66a8e65b");
    expect(normaliseUuid("7e0576ea-7684-4c23-a9bd-c44d66a8e65")).toBeNull();
  });
  test("query datetimes: T or space, fraction, offsets converted, bare dates, Unix timestamps", () => {
    expect(parseLaxDatetime("2025-11-28 15:33:43.812433+00:00")).toBe("2025-11-28T15:33:43.812433Z");
    expect(parseLaxDatetime("2025-11-28T16:00+01:00")).toBe("2025-11-28T15:00:00.000000Z");
    expect(parseLaxDatetime("2025-11-28")).toBe("2025-11-28T00:00:00.000000Z");
    expect(parseLaxDatetime("2025-11-28T15:33:43Z")).toBe("2025-11-28T15:33:43.000000Z");
    expect(parseLaxDatetime("0")).toBe("1970-01-01T00:00:00.000000Z");
    expect(parseLaxDatetime("1764344023.5")).toBe("2025-11-28T15:33:43.500000Z");
    expect(parseLaxDatetime("garbage")).toMatchObject({ type: "datetime_from_date_parsing" });
    expect(parseLaxDatetime("2025-02-30")).toMatchObject({ type: "datetime_parsing" });
    const Q = z.object({ from: z.iso.datetime().optional() });
    expect(run(Q, { from: "2025-11-28 15:33:43+00:00" }, ["query"]).out).toEqual({ from: "2025-11-28T15:33:43.000000Z" });
    expect(run(Q, { from: "x" }, ["query"]).errors[0]!.loc).toEqual(["query", "from"]);
  });
});

describe("JSON bodies", () => {
  test("content types: none or JSON → parsed; other → a string value; empty and null → absent", () => {
    expect(decodeJsonBody('{"a":1}', undefined)).toEqual({ value: { a: 1 }, parsed: true });
    expect(decodeJsonBody('{"a":1}', "application/vnd.x+json; charset=utf-8")).toEqual({ value: { a: 1 }, parsed: true });
    expect(decodeJsonBody("abc", "text/plain")).toEqual({ value: "abc", parsed: false });
    expect(decodeJsonBody("", "application/json")).toEqual({ value: undefined, parsed: false });
    expect(decodeJsonBody("null", undefined)).toEqual({ value: undefined, parsed: true });
    const bad = decodeJsonBody("this is not json", undefined);
    expect(bad).toEqual({
      error: { type: "json_invalid", loc: ["body", 0], msg: "JSON decode error", input: {}, ctx: { error: "Expecting value" } },
    });
  });
  test("syntax error offsets and messages equal Python's json.loads (run here) on many broken documents", () => {
    const docs = [
      '{"a',
      '{"a":"\\x"}',
      '{"a":"b\tc"}',
      '{"a":"\\u12"}',
      '["abc',
      '{"a":"ok"',
      '[1, "x\ny"]',
      '{"a":"\\u00zz"}',
      "{bad",
      '{"a" 1}',
      "[1, 2",
      "[1] x",
      "",
      "   ",
      "{",
      '{"a":}',
      "[,]",
      "[1,]",
      '{"a":1,}',
      "tru",
      "-",
      "01",
      "1.",
      ".5",
      '"abc\\',
      '{"a":[{"b":"c\u0001"}]}',
      "[1 2]",
      '{"a":1 "b":2}',
      "nul",
    ];
    const script =
      "import json, sys\nout = []\nfor d in json.loads(sys.stdin.read()):\n    try:\n        json.loads(d); out.append(None)\n    except json.JSONDecodeError as e:\n        out.append([e.pos, e.msg])\nprint(json.dumps(out))";
    const py = Bun.spawnSync(["python3", "-c", script], { stdin: Buffer.from(JSON.stringify(docs)), stderr: "pipe" });
    expect(py.stderr.toString()).toBe("");
    const expected: ([number, string] | null)[] = JSON.parse(py.stdout.toString());
    const ours = docs.map((d) => {
      let valid = true;
      try {
        JSON.parse(d);
      } catch {
        valid = false;
      }
      if (valid) return null;
      const r = jsonErrorPosition(d, "(none)");
      return [r.offset, r.message];
    });
    for (let i = 0; i < docs.length; i++) expect([docs[i], ours[i]]).toEqual([docs[i], expected[i]]);
  });

  test("syntax error positions as Python reports them", () => {
    expect(jsonErrorPosition("{bad", "x")).toEqual({ offset: 1, message: "Expecting property name enclosed in double quotes" });
    expect(jsonErrorPosition('{"a" 1}', "x")).toEqual({ offset: 5, message: "Expecting ':' delimiter" });
    expect(jsonErrorPosition("[1, 2", "x")).toEqual({ offset: 5, message: "Expecting ',' delimiter" });
    expect(jsonErrorPosition("[1] x", "x")).toEqual({ offset: 4, message: "Extra data" });
  });
});

describe("text PostgreSQL cannot store, and nesting depth", () => {
  test("NUL and lone surrogates: refused in typed strings and records, NUL allowed in other free-form JSON", () => {
    const S = z.object({
      s: z.string().optional(),
      r: z.record(z.string(), z.unknown()).optional(),
      m: z.union([z.string(), z.array(z.unknown())]).optional(),
    });
    expect(run(S, { s: "a\u0000" }).errors).toEqual([
      { type: "value_error", loc: ["body", "s"], msg: "Value error, text must not contain the NUL character (\\u0000)", input: "a\u0000" },
    ]);
    expect(run(S, { r: { x: [{ y: "\ud800" }] } }).errors.map((e) => [e.type, e.loc])).toEqual([
      ["string_unicode", ["body", "r", "x", 0, "y"]],
    ]);
    expect(run(S, { r: { "\u0000": 1 } }).errors.map((e) => [e.type, e.loc])).toEqual([["value_error", ["body", "r", "\u0000", "[key]"]]]);
    expect(run(S, { m: ["a\u0000"] }).errors).toEqual([]);
    expect(run(S, { m: ["\udc00"] }).errors.map((e) => e.type)).toEqual(["string_unicode"]);
    expect(run(S, { s: "\ud83d\ude00", r: { k: "ok" }, m: "x" }).errors).toEqual([]);
  });

  test("depth scan: levels counted outside strings only (escaped quotes included), offset of the first level too deep", () => {
    const open = (n: number) => "[".repeat(n);
    expect(depthExceededAt(open(MAX_JSON_DEPTH))).toBe(-1);
    expect(depthExceededAt(open(MAX_JSON_DEPTH + 1))).toBe(MAX_JSON_DEPTH);
    expect(depthExceededAt(`["\\"${open(1000)}"]`)).toBe(-1); // a string holding \" then brackets
    expect(depthExceededAt(`["\\\\",${open(MAX_JSON_DEPTH)}`)).toBe(6 + MAX_JSON_DEPTH - 1); // the string is one escaped backslash: its closing quote still ends it
    expect(depthExceededAt("]".repeat(5) + open(MAX_JSON_DEPTH))).toBe(-1);
    const deep = decodeJsonBody(open(100_000), "application/json");
    expect(deep).toEqual({ error: expect.objectContaining({ type: "json_invalid", loc: ["body", MAX_JSON_DEPTH] }) });
  });
});
