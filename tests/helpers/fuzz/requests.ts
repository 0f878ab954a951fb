/**
 * The fuzz request: an operation of /openapi.json (or a raw, hand-framed HTTP request, raw.ts), the key of a role,
 * path parameters from the fixture's pools or hostile, query parameters from their schemas, extra headers and a
 * body (bodies.ts). `jobId` records which fixture job the path names, for the ownership check.
 */
import fc from "fast-check";
import { fileArb, filePool, jsonBodyArb, multipartArb, strayBodyArb, type Body } from "./bodies.ts";
import { FUZZ_KEYS, OWNING_KEYS, type Fixture, type KeyName, type Operation } from "./fixture.ts";
import { headerSafe, hostileString, percentEncode } from "./hostile.ts";
import { rawRequestArb } from "./raw.ts";
import { paramText, type Hints } from "./schema-arb.ts";

export interface FuzzRequest {
  /** "METHOD /path/{template}" of the operation, or "raw <kind>". */
  op: string;
  key: KeyName;
  method: string;
  /** Path and query, percent-encoded as sent. */
  target: string;
  headers: Record<string, string>;
  body?: Body;
  /** The fixture job named in the path (canonical id), if any. */
  jobId?: string;
  /** A hand-framed request sent over its own socket (raw.ts). */
  raw?: { bytes: Uint8Array; mayClose: boolean; abortAfter?: number; halfClose?: boolean };
}

/** The same UUID in the other spellings the server accepts (upper case, no dashes, braces) — and one it must not. */
const uuidSpelling = (id: string) =>
  fc.constantFrom(id, id, id, id.toUpperCase(), id.replace(/-/g, ""), `{${id}}`, `urn:uuid:${id}`, `${id}\u0000`, ` ${id}`, `${id}/`);

/** `arb` in one request out of `n`, else undefined. */
const rarely = <T>(arb: fc.Arbitrary<T>, n: number) =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

interface PathValue {
  text: string;
  jobId?: string;
}

function pathParamArb(fx: Fixture, name: string, schema: Operation["params"][0]["schema"], key: KeyName): fc.Arbitrary<PathValue> {
  const pool = (ids: string[]) => fc.constantFrom(...ids).chain((id) => uuidSpelling(id).map((text) => ({ text, jobId: id })));
  const other = paramText(schema).map((text) => ({ text }));
  switch (name) {
    case "job_id": {
      // Admin keys may do anything to any job: they never name the sealed jobs, whose invariance is checked at the end.
      const jobs = key === "admin" ? fx.jobs : [...fx.jobs, ...fx.sealed];
      return fc.oneof({ weight: 10, arbitrary: pool(jobs) }, { weight: 2, arbitrary: other });
    }
    case "image_id":
      return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...fx.imageIds).map((text) => ({ text })) }, { weight: 2, arbitrary: other });
    case "engine_id":
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...fx.engine.ids).map((text) => ({ text })) },
        { weight: 2, arbitrary: other },
      );
    case "image_name":
      return fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...fx.imageNames).map((text) => ({ text })) },
        { weight: 3, arbitrary: other },
      );
    case "label":
      return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...fx.labels).map((text) => ({ text })) }, { weight: 3, arbitrary: other });
    case "name":
      return fc.oneof({ weight: 4, arbitrary: fc.constant({ text: fx.engine.name }) }, { weight: 3, arbitrary: other });
    case "version":
      return fc.oneof({ weight: 4, arbitrary: fc.constant({ text: fx.engine.version }) }, { weight: 3, arbitrary: other });
    default:
      return other;
  }
}

/** How a path segment is written: percent-encoded (most), everything encoded, double-encoded, or as is when that is a valid URL. */
function encodeSegment(text: string, how: number): string {
  if (how === 1) return percentEncode(text, /(?!)/);
  if (how === 2) return percentEncode(percentEncode(text));
  if (how === 3 && /^[\x21-\x7e]*$/.test(text) && !/[?#%]/.test(text)) return text;
  return percentEncode(text);
}

/** Query parameters whose fitting values would make the request slow rather than interesting (lease long-poll). */
const QUERY_OVERRIDES: Record<string, fc.Arbitrary<string>> = {
  wait: fc.constantFrom("0", "0.05", "-1", "-0", "61", "60.0001", "1e400", "-1e400", "NaN", "Infinity", "abc", "", "0x0", "1_0", "\u0000"),
};

function queryArb(op: Operation): fc.Arbitrary<string> {
  const params = op.params.filter((p) => p.in === "query");
  const known = params.map((p) =>
    fc
      .option(QUERY_OVERRIDES[p.name] ?? paramText(p.schema), { nil: undefined, freq: 2 })
      .map((v) => (v === undefined ? [] : [[p.name, v] as const])),
  );
  const junk = fc.oneof(
    { weight: 6, arbitrary: fc.constant([]) },
    {
      weight: 1,
      arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom("x", "api_key", "state", "limit"), hostileString), hostileString), {
        maxLength: 3,
      }),
    },
  );
  return fc.tuple(fc.tuple(...known), junk).map(([k, j]) => {
    const pairs = [...k.flat(), ...j];
    return pairs.length === 0 ? "" : `?${pairs.map(([n, v]) => `${percentEncode(n)}=${percentEncode(v)}`).join("&")}`;
  });
}

/** Keys that get past authentication come more often: their requests reach the deeper checks. */
const KEY_WEIGHTS: Record<KeyName, number> = {
  admin: 3,
  userA: 3,
  userB: 2,
  readonly: 1,
  workerA: 3,
  workerB: 2,
  inactive: 1,
  wrongSecret: 1,
  garbage: 1,
  none: 1,
};
const keyArb = fc.oneof(...FUZZ_KEYS.map((k) => ({ weight: KEY_WEIGHTS[k], arbitrary: fc.constant(k) })));

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND", "FOO"];

function opRequestArb(
  fx: Fixture,
  op: Operation,
  pool: Uint8Array[],
  hints: Hints,
  keys: fc.Arbitrary<KeyName> = keyArb,
): fc.Arbitrary<FuzzRequest> {
  const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const schemaOf = (n: string) => op.params.find((p) => p.name === n && p.in === "path")?.schema ?? { type: "string" };
  const body: fc.Arbitrary<Body | undefined> =
    op.body?.kind === "json"
      ? jsonBodyArb(op.body.schema, hints, pool)
      : op.body?.kind === "multipart"
        ? fc.oneof({ weight: 8, arbitrary: multipartArb(pool) }, { weight: 1, arbitrary: strayBodyArb(pool) })
        : strayBodyArb(pool);
  return keys.chain((key) =>
    fc
      .record({
        params: fc.tuple(...names.map((n) => fc.tuple(pathParamArb(fx, n, schemaOf(n), key), fc.constantFrom(0, 0, 0, 0, 0, 0, 1, 2, 3)))),
        query: queryArb(op),
        method: fc.oneof({ weight: 20, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
        trailingSlash: fc.oneof({ weight: 40, arbitrary: fc.constant("") }, { weight: 1, arbitrary: fc.constant("/") }),
        keyVia: fc.constantFrom("header", "header", "header", "header", "header", "header", "query", "cookie"),
        garbageKey: fc.oneof(hostileString, fc.constantFrom("doc-api..", "a.b.c", "doc-api.x.y.z", ".".repeat(5000))),
        leaseToken: rarely(fc.oneof(fc.constantFrom(...fx.leaseTokens), hostileString), 3),
        idempotencyKey: rarely(fc.oneof(fc.string({ unit: "binary-ascii", maxLength: 300 }), hostileString), 4),
        body,
      })
      .map((g): FuzzRequest => {
        let path = op.path;
        let jobId: string | undefined;
        g.params.forEach(([v, how], i) => {
          path = path.replace(`{${names[i]}}`, encodeSegment(v.text, how));
          if (names[i] === "job_id") jobId = v.jobId;
        });
        const headers: Record<string, string> = {};
        let query = g.query;
        const keyText = key === "garbage" ? g.garbageKey : fx.keys[key];
        if (keyText !== undefined) {
          if (g.keyVia === "query") query += `${query ? "&" : "?"}api_key=${percentEncode(keyText)}`;
          else if (g.keyVia === "cookie") headers.cookie = `api_key=${headerSafe(keyText)}`;
          else headers["x-api-key"] = headerSafe(keyText);
        }
        if (g.leaseToken !== undefined) headers["x-lease-token"] = headerSafe(g.leaseToken);
        if (g.idempotencyKey !== undefined) headers["idempotency-key"] = headerSafe(g.idempotencyKey);
        const noBody = !["POST", "PUT", "PATCH", "DELETE"].includes(g.method); // what fetch can send a body with
        if (g.body?.contentType !== undefined && !noBody) headers["content-type"] = g.body.contentType;
        return {
          op: `${op.method} ${op.path}`,
          key,
          method: g.method,
          target: path + g.trailingSlash + query,
          headers,
          body: noBody ? undefined : g.body,
          jobId,
        };
      }),
  );
}

/** Member names whose values come from the fixture's pools as often as from their schemas. */
function hintsOf(fx: Fixture): Hints {
  return {
    name: fc.constantFrom(...fx.imageNames, fx.engine.name),
    engine_name: fc.constantFrom(fx.engine.name, "annopage", "nope"),
    engine_version: fc.constantFrom(fx.engine.version, "0.1.0"),
    label: fc.constantFrom(...fx.labels, "victim-new"),
    state: fc.constantFrom("cancelled", "done", "error", "queued", "processing", "new", "failed"),
  };
}

export interface FuzzArbitraries {
  /** Any fuzz request: an operation's (every operation equally often) or, now and then, a raw one. */
  any: fc.Arbitrary<FuzzRequest>;
  /** A request of one operation with one key (the sweep that sends every operation with every key). */
  pair(op: Operation, key: KeyName): fc.Arbitrary<FuzzRequest>;
}

export function fuzzArbitraries(fx: Fixture): FuzzArbitraries {
  const pool = filePool();
  const hints = hintsOf(fx);
  const ops = fx.ops.map((op) => opRequestArb(fx, op, pool, hints));
  return {
    any: fc.oneof({ weight: 19, arbitrary: fc.oneof(...ops) }, { weight: 1, arbitrary: rawRequestArb(fx, fileArb(pool)) }),
    pair: (op, key) => opRequestArb(fx, op, pool, hints, fc.constant(key)),
  };
}

/**
 * Whether the ownership invariant applies: a user/readonly key on a job it does not own (a fixture job, or one the
 * fuzz created — the runner records those), or any key but admin's on a sealed job.
 */
export function foreignJob(fx: Fixture, r: FuzzRequest): boolean {
  if (r.jobId === undefined || r.key === "admin") return false;
  const owner = fx.owners.get(r.jobId);
  if (owner === undefined) return false; // a job made by a raw request: its owner is not known
  if (owner === "sealed") return true;
  return OWNING_KEYS.includes(r.key) && owner !== r.key;
}
