/**
 * Hostile input never gets a 5xx (docs/hardening.md §1), against a real server on PostgreSQL over HTTP:
 *  - text PostgreSQL cannot store (a NUL character, a lone UTF-16 surrogate) is refused with 422 on every route
 *    that takes text — path, query, body, and inside the jsonb members (engine_settings, engine definitions);
 *  - integers outside PostgreSQL's `integer` range: 422 like the other range errors;
 *  - JSON nested deeper than MAX_JSON_DEPTH: 422 json_invalid, computed without recursion;
 *  - requests without a usable Host (HTTP/1.0) are answered normally, never with Bun's HTML error page;
 *  - a wrong role's 403 names the key's role and the roles the route needs.
 * (A malformed chunked body and its log line: tests/cli/serve-hostile-log.test.ts, which reads a real process's log.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MAX_JSON_DEPTH } from "../../src/server/http/json-body.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { rawExchange, parseRawAnswer } from "../helpers/raw-socket.ts";
import { ALTO, PAGE, pngBytes } from "../helpers/files.ts";
import { client, type RequestOpts } from "../helpers/http.ts";
import { makeKey } from "../helpers/keys.ts";

let s: TestServer;
let admin: ReturnType<typeof client>;
let u: ReturnType<typeof client>;
let w: ReturnType<typeof client>;
let ro: ReturnType<typeof client>;
let newJob: string; // a user's job in state new
let metaJob: string; // a new job that takes metadata
let leased: string; // a job the worker holds
let keyLabel: string;

beforeAll(async () => {
  s = await startTestServer();
  admin = client(s, s.adminKey);
  u = client(s, (await makeKey(s, "user")).key);
  w = client(s, (await makeKey(s, "worker")).key);
  ro = client(s, (await makeKey(s, "readonly")).key);
  keyLabel = (await makeKey(s, "user")).label;
  newJob = (await u("POST", "/v1/jobs", { json: { images: [{ name: "a.png", order: 0 }], alto_required: true, page_required: true } })).body
    .data.id;
  metaJob = (await u("POST", "/v1/jobs", { json: { images: [{ name: "a.png", order: 0 }], meta_json_required: true } })).body.data.id;
  const q = (await u("POST", "/v1/jobs", { json: { images: [{ name: "q.png", order: 0 }] } })).body.data.id;
  expect((await u("PUT", `/v1/jobs/${q}/images/q.png/files/image`, { file: pngBytes() })).status).toBe(201);
  const lease = await w("POST", "/v1/jobs/lease");
  expect(lease.body.data.id).toBe(q);
  leased = q;
  expect((await admin("POST", "/v1/admin/engines", { json: { name: "hostile", version: "1", description: "d" } })).status).toBe(201);
});
afterAll(async () => {
  await s?.close();
});

function expect422(r: { status: number; body: { code?: string; details?: unknown[] } }, type: string, loc: (string | number)[]) {
  expect({ status: r.status, code: r.body?.code }).toEqual({ status: 422, code: "REQUEST_VALIDATION_ERROR" });
  expect(r.body.details).toContainEqual(expect.objectContaining({ type, loc }));
}

describe("NUL characters: 422 on every route whose text reaches PostgreSQL", () => {
  const NUL = "\u0000";
  // [what, caller, method, path, request] — callers and paths are resolved once the fixtures exist.
  const cases: [string, () => ReturnType<typeof client>, string, () => string, RequestOpts | undefined, (string | number)[]][] = [
    ["job list engine_name filter", () => u, "GET", () => "/v1/jobs?engine_name=a%00b", undefined, ["query", "engine_name"]],
    ["job list engine_version filter", () => u, "GET", () => "/v1/jobs?engine_version=%00", undefined, ["query", "engine_version"]],
    ["engine list name filter", () => u, "GET", () => "/v1/engines?name=x%00", undefined, ["query", "name"]],
    ["engine list version filter", () => admin, "GET", () => "/v1/engines?version=%001", undefined, ["query", "version"]],
    [
      "job engine_name",
      () => u,
      "POST",
      () => "/v1/jobs",
      { json: { images: [{ name: "b.png", order: 0 }], engine_name: `x${NUL}` } },
      ["body", "engine_name"],
    ],
    [
      "job engine_version",
      () => u,
      "POST",
      () => "/v1/jobs",
      { json: { images: [{ name: "b.png", order: 0 }], engine_version: NUL } },
      ["body", "engine_version"],
    ],
    [
      "engine_settings value",
      () => u,
      "POST",
      () => "/v1/jobs",
      { json: { images: [{ name: "b.png", order: 0 }], engine_settings: { a: `x${NUL}` } } },
      ["body", "engine_settings", "a"],
    ],
    [
      "engine_settings nested value",
      () => u,
      "POST",
      () => "/v1/jobs",
      { json: { images: [{ name: "b.png", order: 0 }], engine_settings: { a: [1, { b: NUL }] } } },
      ["body", "engine_settings", "a", 1, "b"],
    ],
    [
      "engine_settings member name",
      () => u,
      "POST",
      () => "/v1/jobs",
      { json: { images: [{ name: "b.png", order: 0 }], engine_settings: { [`k${NUL}`]: 1 } } },
      ["body", "engine_settings", `k${NUL}`, "[key]"],
    ],
    [
      "image name in an image upload path",
      () => u,
      "PUT",
      () => `/v1/jobs/${newJob}/images/a%00.png/files/image`,
      { file: pngBytes() },
      ["path", "image_name"],
    ],
    [
      "image name in an ALTO upload path",
      () => u,
      "PUT",
      () => `/v1/jobs/${newJob}/images/a%00.png/files/alto`,
      { file: ALTO },
      ["path", "image_name"],
    ],
    [
      "image name in a PAGE upload path",
      () => u,
      "PUT",
      () => `/v1/jobs/${newJob}/images/a%00.png/files/page`,
      { file: PAGE },
      ["path", "image_name"],
    ],
    ["worker log", () => w, "PATCH", () => `/v1/jobs/${leased}`, { json: { log: `l${NUL}` } }, ["body", "log"]],
    ["worker log_user", () => w, "PATCH", () => `/v1/jobs/${leased}`, { json: { log_user: NUL } }, ["body", "log_user"]],
    ["admin job log", () => admin, "PATCH", () => `/v1/admin/jobs/${newJob}`, { json: { log: `a${NUL}` } }, ["body", "log"]],
    ["admin job log_user", () => admin, "PATCH", () => `/v1/admin/jobs/${newJob}`, { json: { log_user: `a${NUL}` } }, ["body", "log_user"]],
    ["new key label", () => admin, "POST", () => "/v1/admin/keys", { json: { label: `k${NUL}`, role: "user" } }, ["body", "label"]],
    ["key label in a path", () => admin, "PATCH", () => "/v1/admin/keys/k%00", { json: { active: false } }, ["path", "label"]],
    ["key label in a secret path", () => admin, "POST", () => "/v1/admin/keys/k%00/secret", undefined, ["path", "label"]],
    ["key relabel", () => admin, "PATCH", () => `/v1/admin/keys/${keyLabel}`, { json: { label: `k${NUL}` } }, ["body", "label"]],
    [
      "engine name",
      () => admin,
      "POST",
      () => "/v1/admin/engines",
      { json: { name: `e${NUL}`, version: "1", description: "d" } },
      ["body", "name"],
    ],
    [
      "engine version",
      () => admin,
      "POST",
      () => "/v1/admin/engines",
      { json: { name: "e", version: `1${NUL}`, description: "d" } },
      ["body", "version"],
    ],
    [
      "engine description",
      () => admin,
      "POST",
      () => "/v1/admin/engines",
      { json: { name: "e", version: "1", description: NUL } },
      ["body", "description"],
    ],
    [
      "engine definition",
      () => admin,
      "POST",
      () => "/v1/admin/engines",
      { json: { name: "e", version: "1", description: "d", definition: { x: NUL } } },
      ["body", "definition", "x"],
    ],
    [
      "engine update",
      () => admin,
      "PATCH",
      () => "/v1/admin/engines/hostile/1",
      { json: { description: `d${NUL}` } },
      ["body", "description"],
    ],
    [
      "engine update definition",
      () => admin,
      "PATCH",
      () => "/v1/admin/engines/hostile/1",
      { json: { definition: { [NUL]: 1 } } },
      ["body", "definition", NUL, "[key]"],
    ],
    [
      "engine name in a path",
      () => admin,
      "PATCH",
      () => "/v1/admin/engines/hostile%00/1",
      { json: { description: "d" } },
      ["path", "name"],
    ],
    [
      "engine version in a files path",
      () => admin,
      "PUT",
      () => "/v1/admin/engines/hostile/1%00/files",
      { file: "x" },
      ["path", "version"],
    ],
  ];
  for (const [what, caller, method, path, opts, loc] of cases) {
    test(`${what}: ${method} → 422 value_error at ${JSON.stringify(loc)}`, async () => {
      const r = await caller()(method, path(), opts);
      expect422(r, "value_error", loc);
      expect(r.body.details[0].msg).toContain("NUL");
    });
  }

  test("nothing was stored by the refused requests; the same requests without the NUL succeed", async () => {
    expect((await admin("GET", "/v1/admin/keys")).body.data.map((k: { label: string }) => k.label)).not.toContain("k\u0000");
    expect((await admin("PATCH", `/v1/admin/jobs/${newJob}`, { json: { log: "a" } })).status).toBe(200);
    expect((await w("PATCH", `/v1/jobs/${leased}`, { json: { log: "l", log_user: "u" } })).status).toBe(200);
    expect((await u("GET", "/v1/jobs?engine_name=ab")).status).toBe(200);
  });

  test("the metadata document is a file, not PostgreSQL text: a NUL in it is kept (JSON-escaped)", async () => {
    const r = await u("PUT", `/v1/jobs/${metaJob}/files/metadata`, { json: { note: "a\u0000b" } });
    expect(r.body.code).toBe("META_JSON_UPLOADED");
  });
});

describe("lone UTF-16 surrogates: 422 string_unicode", () => {
  const raw = (text: string): RequestOpts => ({ raw: text, headers: { "content-type": "application/json" } });
  test("in an image name, in engine_settings (value and member name) and in the metadata document", async () => {
    expect422(await u("POST", "/v1/jobs", raw('{"images":[{"name":"\\ud800.png","order":0}]}')), "string_unicode", [
      "body",
      "images",
      0,
      "name",
    ]);
    expect422(await u("POST", "/v1/jobs", raw('{"images":[{"name":"x\\udc00","order":0}]}')), "string_unicode", [
      "body",
      "images",
      0,
      "name",
    ]);
    expect422(
      await u("POST", "/v1/jobs", raw('{"images":[{"name":"c.png","order":0}],"engine_settings":{"a":"\\udc00"}}')),
      "string_unicode",
      ["body", "engine_settings", "a"],
    );
    expect422(
      await u("POST", "/v1/jobs", raw('{"images":[{"name":"c.png","order":0}],"engine_settings":{"\\ud83d":1}}')),
      "string_unicode",
      ["body", "engine_settings", "\ud83d", "[key]"],
    );
    expect422(await admin("PATCH", `/v1/admin/jobs/${newJob}`, raw('{"log_user":"\\ud800"}')), "string_unicode", ["body", "log_user"]);
    expect422(await u("PUT", `/v1/jobs/${metaJob}/files/metadata`, raw('{"a":["\\udfff"]}')), "string_unicode", ["body", "a", 0]);
  });

  test("a proper surrogate pair is accepted and comes back unchanged", async () => {
    const r = await u("POST", "/v1/jobs", raw('{"images":[{"name":"\\ud83d\\ude00.png","order":0}]}'));
    expect(r.status).toBe(201);
    expect(r.body.data.images[0].name).toBe("😀.png");
  });
});

describe("integers outside PostgreSQL's integer range: 422", () => {
  const job = (order: number) => ({ json: { images: [{ name: "i.png", order }] } });
  test("image order: 2147483648 and -2147483649 refused, the range's ends accepted", async () => {
    const big = await u("POST", "/v1/jobs", job(2147483648));
    expect422(big, "less_than_equal", ["body", "images", 0, "order"]);
    expect(big.body.details[0].ctx).toEqual({ le: 2147483647 });
    expect422(await u("POST", "/v1/jobs", job(-2147483649)), "greater_than_equal", ["body", "images", 0, "order"]);
    expect422(await u("POST", "/v1/jobs", job(1e20)), "less_than_equal", ["body", "images", 0, "order"]);
    expect((await u("POST", "/v1/jobs", job(2147483647))).body.data.images[0].order).toBe(2147483647);
    expect((await u("POST", "/v1/jobs", job(-2147483648))).body.data.images[0].order).toBe(-2147483648);
  });

  test("previous_attempts (admin job update): 2147483648 and -2147483649 refused, 2147483647 stored", async () => {
    expect422(await admin("PATCH", `/v1/admin/jobs/${newJob}`, { json: { previous_attempts: 2147483648 } }), "less_than_equal", [
      "body",
      "previous_attempts",
    ]);
    expect422(await admin("PATCH", `/v1/admin/jobs/${newJob}`, { json: { previous_attempts: -2147483649 } }), "greater_than_equal", [
      "body",
      "previous_attempts",
    ]);
    expect((await admin("PATCH", `/v1/admin/jobs/${newJob}`, { json: { previous_attempts: 2147483647 } })).status).toBe(200);
    expect((await admin("GET", `/v1/jobs/${newJob}`)).body.data.previous_attempts).toBe(2147483647);
  });
});

describe("timestamps at the end of the wire format's range", () => {
  test("a job whose last_change an admin set to 9999-12-31T23:59:59.999999Z is leased and heartbeated (not a 500); times stop there", async () => {
    const MAX = "9999-12-31T23:59:59.999999Z";
    const id = (await u("POST", "/v1/jobs", { json: { images: [] } })).body.data.id;
    expect((await admin("PUT", `/debug/jobs/${id}/start`)).body.code).toBe("JOB_STARTED");
    expect((await admin("PATCH", `/v1/admin/jobs/${id}`, { json: { last_change: MAX } })).status).toBe(200);
    let lease: { status: number; body: any } | undefined;
    for (let i = 0; i < 200; i++) {
      lease = await w("POST", "/v1/jobs/lease");
      expect(lease.status).toBe(200);
      if (lease.body.data === null || lease.body.data.id === id) break;
    }
    expect(lease!.body.data).toMatchObject({ id, server_time: MAX, lease_expire_at: MAX });
    const beat = await w("PATCH", `/v1/jobs/${id}/lease`, { headers: { "x-lease-token": lease!.body.data.lease_token } });
    expect(beat.status).toBe(200);
    expect(beat.body.data).toMatchObject({ server_time: MAX, lease_expire_at: MAX });
    expect((await admin("GET", `/v1/jobs/${id}`)).body.data.last_change).toBe(MAX);
  });
});

describe("deeply nested JSON: 422 json_invalid, without recursion", () => {
  const raw = (text: string): RequestOpts => ({ raw: text, headers: { "content-type": "application/json" } });
  test("100,000 open brackets, closed or not, on a job and on an admin route", async () => {
    // [body, offset of the bracket that opens level MAX_JSON_DEPTH + 1]
    const bodies: [string, number][] = [
      ["[".repeat(100_000), MAX_JSON_DEPTH],
      ["[".repeat(100_000) + "]".repeat(100_000), MAX_JSON_DEPTH],
      [`${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`, 5 * MAX_JSON_DEPTH],
    ];
    for (const [text, offset] of bodies) {
      const r = await u("POST", "/v1/jobs", raw(text));
      expect422(r, "json_invalid", ["body", offset]);
      expect(r.body.details[0].ctx.error).toContain(`deeper than ${MAX_JSON_DEPTH}`);
    }
    const prefix = '{"name":"e","version":"1","description":"d","definition":{"a":'; // two levels open
    const engine = await admin("POST", "/v1/admin/engines", raw(prefix + "[".repeat(100_000)));
    expect422(engine, "json_invalid", ["body", prefix.length + MAX_JSON_DEPTH - 2]);
  });

  test(`nesting up to ${MAX_JSON_DEPTH} levels is accepted end to end; brackets inside strings do not count`, async () => {
    const deepest = `${"[".repeat(MAX_JSON_DEPTH - 1)}"x"${"]".repeat(MAX_JSON_DEPTH - 1)}`;
    expect((await u("PUT", `/v1/jobs/${metaJob}/files/metadata`, raw(`{"a":${deepest}}`))).body.code).toBe("META_JSON_REUPLOADED");
    const settings = `{"images":[{"name":"d.png","order":0}],"engine_settings":{"a":${deepest.slice(1, -1)}}}`; // 2 + 510 levels
    expect((await u("POST", "/v1/jobs", raw(settings))).status).toBe(201);
    expect((await u("PUT", `/v1/jobs/${metaJob}/files/metadata`, raw(JSON.stringify({ s: "[{".repeat(50_000) })))).body.code).toBe(
      "META_JSON_REUPLOADED",
    );
  });
});

describe("requests without a usable Host", () => {
  test("HTTP/1.0 without Host gets the normal JSON answers (not Bun's HTML 500 page)", async () => {
    const health = parseRawAnswer(await rawExchange(s.port, "GET /healthz HTTP/1.0\r\n\r\n"));
    expect(health.status).toBe(200);
    expect(health.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(health.body)).toEqual({ status: "ok", database: "ok" });
    const me = parseRawAnswer(await rawExchange(s.port, `GET /v1/me HTTP/1.0\r\nX-API-Key: ${s.adminKey}\r\n\r\n`));
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body).data.role).toBe("admin");
    const body = JSON.stringify({ images: [{ name: "h.png", order: 0 }] });
    const post = `POST /v1/jobs HTTP/1.0\r\nX-API-Key: ${s.adminKey}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const created = parseRawAnswer(await rawExchange(s.port, post));
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body).data.images[0].name).toBe("h.png");
    const none = parseRawAnswer(await rawExchange(s.port, "GET /v1/nothing HTTP/1.0\r\n\r\n"));
    expect({ status: none.status, body: JSON.parse(none.body) }).toEqual({
      status: 404,
      body: { status: 404, code: "HTTP_ERROR", detail: "Not Found" },
    });
  });

  test("a redirect without Host points at the server's own address", async () => {
    const r = parseRawAnswer(await rawExchange(s.port, "GET /v1/me/ HTTP/1.0\r\n\r\n"));
    expect(r.status).toBe(307);
    expect(r.headers.location).toBe(`${s.url}/v1/me`);
  });

  test("malformed Host headers (a space, an open bracket, a port past 65535, empty) are answered normally", async () => {
    for (const host of ["a b", "[::1", "x:99999", ""]) {
      const r = parseRawAnswer(await rawExchange(s.port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
      expect({ host, status: r.status, type: r.headers["content-type"] }).toEqual({ host, status: 200, type: "application/json" });
    }
  });

  test("a raw NUL or space in the request line: Bun's parser answers before the app (505, no body) and the server keeps serving", async () => {
    // uWebSockets (Bun's HTTP parser) splits the request line at the first space or NUL and takes the rest as the
    // HTTP version; a rest that is not `HTTP/1.x` gets its fixed `505 HTTP Version Not Supported` and the connection is
    // closed — our code never sees the request, so it cannot answer 400 in the envelope. Never a page, never a body.
    for (const line of ["GET /v1/he\u0000alth HTTP/1.1", "GET /v1/he alth HTTP/1.1", "GET /healthz\u0000 HTTP/1.1"]) {
      const answer = await rawExchange(s.port, `${line}\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(answer).toBe("HTTP/1.1 505 HTTP Version Not Supported\r\nConnection: close\r\n\r\n");
    }
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });
});

describe("403 for a wrong role", () => {
  test("names the key's role and the roles the route needs, after the reference's detail text and in details", async () => {
    const r = await w("GET", "/v1/jobs");
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      status: 403,
      code: "API_KEY_ROLE_FORBIDDEN",
      detail:
        "Access denied: the API key does not have the required role. This key's role is 'worker'; this endpoint needs 'readonly' or 'user' or 'admin'.",
      details: { role: "worker", required_roles: ["readonly", "user", "admin"] },
    });
    expect((await ro("POST", "/v1/jobs", { json: { images: [] } })).body.details).toEqual({
      role: "readonly",
      required_roles: ["user", "admin"],
    });
    expect((await u("GET", "/v1/admin/keys")).body.details).toEqual({ role: "user", required_roles: ["admin"] });
  });
});
