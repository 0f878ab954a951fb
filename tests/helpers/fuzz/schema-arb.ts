/**
 * fast-check arbitraries from the JSON Schemas of the server's /openapi.json (z.toJSONSchema of the zod schemas):
 * values that fit the schema, at its edges (maxLength, minimum/maximum) and just past them, and — at every node,
 * with some probability — a hostile value of any type instead. Objects sometimes lose a required member or gain
 * an unknown one. `hints` supply values for named members (pools of real names) next to the schema's own.
 */
import fc from "fast-check";
import { extremeNumber, hostileJson, hostileString } from "./hostile.ts";

export type JsonSchema = { [k: string]: unknown };
export type Hints = Record<string, fc.Arbitrary<unknown>>;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function stringArb(s: JsonSchema): fc.Arbitrary<string> {
  if (s.format === "uuid")
    return fc.oneof(
      fc.uuid(),
      fc.uuid().map((u) => u.toUpperCase().replace(/-/g, "")),
      fc.constant("00000000-0000-0000-0000-000000000000"),
    );
  if (s.format === "date-time") {
    return fc.oneof(
      fc
        .date({ noInvalidDate: true, min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z") })
        .map((d) => d.toISOString()),
      fc.constantFrom(
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999Z",
        "2026-02-30T00:00:00Z",
        "2026-12-06T25:00:00Z",
        "+275760-09-13T00:00:00Z",
        "2026-12-06T00:00:00.1234567890123Z",
        "2026-12-06T00:00:00+14:00",
        "2026-12-06",
        "1e400",
        "-1",
      ),
    );
  }
  const max = typeof s.maxLength === "number" ? s.maxLength : undefined;
  const edges = max === undefined ? [] : [fc.constant("n".repeat(max)), fc.constant("n".repeat(max + 1)), fc.constant("ž".repeat(max))];
  return fc.oneof(fc.string({ maxLength: 16 }), fc.string({ unit: "grapheme", maxLength: 8 }), ...edges);
}

function numberArb(s: JsonSchema, integer: boolean): fc.Arbitrary<unknown> {
  const min = typeof s.minimum === "number" ? s.minimum : undefined;
  const max = typeof s.maximum === "number" ? s.maximum : undefined;
  const edges: number[] = [];
  if (min !== undefined) edges.push(min, min - (integer ? 1 : 0.001));
  if (max !== undefined) edges.push(max, max + (integer ? 1 : 0.001));
  if (min === -MAX_SAFE) edges.push(-(2 ** 31) - 1, -(2 ** 63));
  if (max === MAX_SAFE) edges.push(2 ** 31, 2 ** 31 - 1, 2 ** 63);
  const inRange = integer
    ? fc.integer({ min: Math.max(min ?? -1000, -1000), max: Math.min(max ?? 1000, 1000) })
    : fc.double({ min: Math.max(min ?? -1e6, -1e6), max: Math.min(max ?? 1e6, 1e6), noNaN: true });
  return fc.oneof(
    { weight: 3, arbitrary: inRange },
    { weight: 1, arbitrary: fc.constantFrom(...edges, 0) },
    { weight: 1, arbitrary: extremeNumber },
  );
}

function objectArb(s: JsonSchema, hints: Hints, depth: number): fc.Arbitrary<unknown> {
  const props = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required ?? []) as string[]);
  const names = Object.keys(props);
  if (names.length === 0) {
    // A free-form object (engine_settings, definition, metadata).
    return fc.dictionary(
      fc.oneof(fc.string({ maxLength: 8 }), hostileString),
      depth > 2 ? fc.jsonValue({ maxDepth: 1 }) : fc.oneof(fc.jsonValue({ maxDepth: 2 }), hostileJson),
      { maxKeys: 5 },
    );
  }
  const model = Object.fromEntries(names.map((n) => [n, valueArb(props[n]!, hints, depth + 1, n)]));
  const base = fc.record(model, { requiredKeys: names.filter((n) => required.has(n)) });
  const mutated = fc
    .tuple(
      base,
      fc.option(fc.constantFrom(...names), { nil: undefined }),
      fc.option(fc.tuple(fc.oneof(fc.constantFrom("extra", "__proto__", "constructor", ""), hostileString), hostileJson), {
        nil: undefined,
      }),
    )
    .map(([obj, drop, extra]) => {
      const o: Record<string, unknown> = { ...(obj as Record<string, unknown>) };
      if (drop !== undefined) delete o[drop];
      if (extra) Object.defineProperty(o, extra[0], { value: extra[1], enumerable: true, configurable: true, writable: true });
      return o;
    });
  return fc.oneof({ weight: 3, arbitrary: base }, { weight: 1, arbitrary: mutated });
}

/** Values that fit `s` (with hostile substitutions); `name` is the member's name, for `hints`. */
export function valueArb(s: JsonSchema, hints: Hints = {}, depth = 0, name?: string): fc.Arbitrary<unknown> {
  const fitting = fittingArb(s, hints, depth);
  const own = name !== undefined ? hints[name] : undefined;
  const choices = [
    { weight: 8, arbitrary: fitting },
    { weight: depth > 3 ? 0 : 1, arbitrary: hostileJson },
  ];
  if (own) choices.push({ weight: 6, arbitrary: own });
  return fc.oneof(...choices.filter((c) => c.weight > 0));
}

function fittingArb(s: JsonSchema, hints: Hints, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
    return fc.oneof(...((s.anyOf ?? s.oneOf) as JsonSchema[]).map((x) => fittingArb(x, hints, depth)));
  }
  if (Array.isArray(s.enum))
    return fc.oneof(
      fc.constantFrom(...(s.enum as unknown[])),
      fc.constantFrom(...(s.enum as unknown[])).map((v) => String(v).toUpperCase()),
    );
  if ("const" in s) return fc.constant(s.const);
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === "string" ? [s.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((t) => fittingArb({ ...s, type: t }, hints, depth)));
  switch (types[0]) {
    case "string":
      return stringArb(s);
    case "integer":
      return numberArb(s, true);
    case "number":
      return numberArb(s, false);
    case "boolean":
      return fc.oneof(fc.boolean(), fc.constantFrom("yes", "off", 1, 0, "true"));
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(valueArb((s.items ?? {}) as JsonSchema, hints, depth + 1), { maxLength: depth > 1 ? 2 : 6 });
    case "object":
      return objectArb(s, hints, depth);
    default:
      return depth > 2 ? fc.jsonValue({ maxDepth: 1 }) : fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileJson);
  }
}

/** A query or path parameter's text: the schema's value as text, or a hostile string. */
export function paramText(s: JsonSchema, hint?: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const asText = fittingArb(s, {}, 0).map((v) => (typeof v === "string" ? v : (JSON.stringify(v) ?? "")));
  const choices: fc.WeightedArbitrary<string>[] = [
    { weight: 4, arbitrary: asText },
    { weight: 2, arbitrary: hostileString },
  ];
  if (hint) choices.push({ weight: 8, arbitrary: hint });
  return fc.oneof(...choices);
}
