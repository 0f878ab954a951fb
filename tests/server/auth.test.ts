/**
 * Authentication, authorization and routing over real HTTP (docs/protocol.md §1, §2.5, §4.1): key
 * sources, 401/403 answers, last_used, the full role matrix of §1.7, 404/405/307, HEAD, and the
 * generated OpenAPI document and docs page.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { APP_CODES, REFERENCE_CODES } from "../../src/shared/codes.ts";
import { ROLES, type Role } from "../../src/shared/roles.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { makeKey } from "../helpers/keys.ts";

let s: TestServer;
const keys = {} as Record<Role, { key: string; id: string; label: string }>;

beforeAll(async () => {
  s = await startTestServer({ env: { SERVER_NAME: "TestAPI", CONTACT_TO_GET_NEW_KEY: "ops@example.org" } });
  for (const r of ROLES) keys[r] = await makeKey(s, r);
});
afterAll(async () => {
  await s.close();
});

const get = (path: string, init: RequestInit = {}) => fetch(`${s.url}${path}`, { redirect: "manual", ...init });

describe("authentication", () => {
  test("header, query and cookie sources; header wins; empty header falls through", async () => {
    const k = keys.user.key;
    expect((await get("/v1/me", { headers: { "X-API-KEY": k } })).status).toBe(200);
    expect((await get(`/v1/me?api_key=${k}`)).status).toBe(200);
    expect((await get("/v1/me", { headers: { cookie: `api_key=${k}` } })).status).toBe(200);
    expect((await get(`/v1/me?api_key=${k}`, { headers: { "x-api-key": "" } })).status).toBe(200);
    // a repeated query parameter counts with its last value (Starlette)
    expect((await get(`/v1/me?api_key=doc-api.nokid.nosecret&api_key=${k}`)).status).toBe(200);
    expect((await get(`/v1/me?api_key=${k}&api_key=doc-api.nokid.nosecret`)).status).toBe(401);
    const wrongHeader = await get(`/v1/me?api_key=${k}`, { headers: { "x-api-key": "doc-api.nokid.nosecret" } });
    expect((await wrongHeader.json()).code).toBe("API_KEY_INVALID");
    const bearer = await get("/v1/me", { headers: { authorization: `Bearer ${k}` } });
    expect((await bearer.json()).code).toBe("API_KEY_MISSING");
    // The prefix is never checked.
    expect((await get("/v1/me", { headers: { "x-api-key": k.replace(/^doc-api/, "whatever") } })).status).toBe(200);
  });

  test("a chunked JSON body without a key is refused with 413 as soon as it passes 64 MiB, not buffered whole", async () => {
    let sent = 0;
    const chunk = new Uint8Array(1024 * 1024).fill(0x20); // spaces: valid JSON whitespace
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent >= 512 * 1024 * 1024) return ctrl.close();
        sent += chunk.byteLength;
        ctrl.enqueue(chunk);
      },
    });
    const r = await fetch(`${s.url}/v1/jobs`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
      duplex: "half",
    } as RequestInit);
    expect(r.status).toBe(413);
    expect((await r.json()).code).toBe("FILE_TOO_LARGE");
    expect(sent).toBeLessThan(256 * 1024 * 1024); // the server stopped reading long before the 512 MiB end
  }, 60_000);

  test("401 bodies and WWW-Authenticate; malformed keys; wrong secret", async () => {
    const r = await get("/v1/me");
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toBe('ApiKey realm="TestAPI"');
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(await r.json()).toEqual({
      status: 401,
      code: "API_KEY_MISSING",
      detail: "Authentication failed: no API key was provided. To obtain an API key for TestAPI, contact: ops@example.org.",
    });
    const [, kid] = keys.user.key.split(".");
    for (const bad of ["invalidkey", "a.b.c.d", "doc-api..x", ".kid.secret", `doc-api.${kid}.wrongsecret`]) {
      const x = await get("/v1/me", { headers: { "x-api-key": bad } });
      expect(x.status).toBe(401);
      expect(x.headers.get("www-authenticate")).toBe('ApiKey realm="TestAPI"');
      expect((await x.json()).code).toBe("API_KEY_INVALID");
    }
  });

  test("GET /v1/me returns the key; only the hash is stored", async () => {
    const me = await (await get("/v1/me", { headers: { "x-api-key": keys.worker.key } })).json();
    expect(me).toMatchObject({ status: 200, code: "API_KEY_VALID", detail: "API key is valid." });
    expect(me.data).toMatchObject({ id: keys.worker.id, label: keys.worker.label, role: "worker", active: true });
    expect(Object.keys(me.data).sort()).toEqual(["active", "created_date", "id", "label", "last_used", "role"]);
    const secret = keys.worker.key.split(".")[2]!;
    const rows = await s.deps.sql`SELECT * FROM keys WHERE id = ${keys.worker.id}`;
    expect(JSON.stringify(rows[0])).not.toContain(secret);
    expect(rows[0]!.key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test("last_used: GET /v1/me shows this request; stored on use at most once a minute, also before a 403", async () => {
    const k = await makeKey(s, "readonly");
    const stored = async () =>
      (await s.deps.sql<{ last_used: Date | null }[]>`SELECT last_used FROM keys WHERE id = ${k.id}`)[0]!.last_used;
    const t0 = Date.now();
    const r1 = await (await get("/v1/me", { headers: { "x-api-key": k.key } })).json();
    expect(r1.data.last_used).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Math.abs(Date.parse(r1.data.last_used) - t0)).toBeLessThan(5000);
    const first = await stored();
    expect(first).not.toBeNull();
    await Bun.sleep(20);
    const r2 = await (await get("/v1/me", { headers: { "x-api-key": k.key } })).json();
    expect(r2.data.last_used > r1.data.last_used).toBe(true); // this request
    expect(await stored()).toEqual(first); // not written again within the minute
    await s.deps.sql`UPDATE keys SET last_used = last_used - interval '2 minutes' WHERE id = ${k.id}`;
    s.deps.keys.clear(); // a minute later the cached row (KEY_CACHE_MS) is long gone
    const forbidden = await get("/v1/jobs/lease", { method: "POST", headers: { "x-api-key": k.key } });
    expect((await forbidden.json()).code).toBe("API_KEY_ROLE_FORBIDDEN");
    const rows = await s.deps.sql`SELECT last_used FROM keys WHERE id = ${k.id}`;
    expect(rows[0]!.last_used > r1.data.last_used).toBe(true);
  });

  test("inactive keys get 403 API_KEY_INACTIVE at once; role changes take effect at once", async () => {
    const k = await makeKey(s, "user");
    await s.deps.sql`UPDATE keys SET active = false WHERE id = ${k.id}`;
    const r = await get("/v1/me", { headers: { "x-api-key": k.key } });
    expect(r.status).toBe(403);
    expect(r.headers.get("www-authenticate")).toBeNull();
    expect((await r.json()).code).toBe("API_KEY_INACTIVE");
    await s.deps.sql`UPDATE keys SET active = true, role = 'WORKER' WHERE id = ${k.id}`;
    s.deps.keys.clear(); // direct SQL: the NOTIFY of sql/004_key_change_notify.sql clears it too, asynchronously (tests/server/key-cache.test.ts)
    expect((await (await get("/v1/jobs", { headers: { "x-api-key": k.key } })).json()).code).toBe("API_KEY_ROLE_FORBIDDEN");
  });
});

describe("role matrix (§1.7)", () => {
  const J = "00000000-0000-4000-8000-000000000001";
  const I = "00000000-0000-4000-8000-000000000002";
  // [method, path, roles allowed besides admin, JSON body]
  const matrix: [string, string, Role[], unknown?][] = [
    ["GET", "/v1/me", ["readonly", "user", "worker"]],
    ["GET", "/v1/engines", ["readonly", "user", "worker"]],
    ["POST", "/v1/jobs", ["user"], { images: [] }],
    ["GET", "/v1/jobs", ["readonly", "user"]],
    ["GET", `/v1/jobs/${J}`, ["readonly", "user", "worker"]],
    ["PATCH", `/v1/jobs/${J}`, ["user", "worker"], { state: "cancelled" }],
    ["PUT", `/v1/jobs/${J}/images/a.png/files/image`, ["user"]],
    ["PUT", `/v1/jobs/${J}/images/a.png/files/alto`, ["user"]],
    ["PUT", `/v1/jobs/${J}/images/a.png/files/page`, ["user"]],
    ["PUT", `/v1/jobs/${J}/files/metadata`, ["user"], { a: 1 }],
    ["GET", `/v1/jobs/${J}/result`, ["readonly", "user"]],
    ["PATCH", `/v1/jobs/${J}/lease`, ["worker"]],
    ["DELETE", `/v1/jobs/${J}/lease`, ["worker"]],
    ["GET", `/v1/engines/${J}/files`, ["worker"]],
    ["GET", `/v1/jobs/${J}/images/${I}/files/image`, ["worker"]],
    ["GET", `/v1/jobs/${J}/images/${I}/files/alto`, ["worker"]],
    ["GET", `/v1/jobs/${J}/images/${I}/files/page`, ["worker"]],
    ["GET", `/v1/jobs/${J}/files/metadata`, ["worker"]],
    ["POST", `/v1/jobs/${J}/result`, ["worker"]],
    ["POST", `/v1/jobs/${J}/artifacts`, ["worker"]],
    ["POST", "/v1/admin/keys", [], {}],
    ["GET", "/v1/admin/keys", []],
    ["PATCH", "/v1/admin/keys/nobody", [], {}],
    ["POST", "/v1/admin/keys/nobody/secret", []],
    ["POST", "/v1/admin/engines", [], {}],
    ["PATCH", "/v1/admin/engines/n/v", [], {}],
    ["PUT", "/v1/admin/engines/n/v/files", []],
    ["GET", `/v1/admin/jobs/${J}/artifacts`, []],
    ["PATCH", `/v1/admin/jobs/${J}`, [], {}],
    ["PUT", `/debug/jobs/${J}/start`, []],
    // Last: with a worker key this leases (the queue is empty here).
    ["POST", "/v1/jobs/lease", ["worker"]],
  ];

  test("every route × every role: forbidden roles get 403 API_KEY_ROLE_FORBIDDEN, allowed ones pass the role check", async () => {
    const failures: string[] = [];
    for (const [method, path, allowed, json] of matrix) {
      for (const role of [...ROLES, "admin"] as Role[]) {
        const headers: Record<string, string> = { "x-api-key": keys[role].key };
        if (json !== undefined) headers["content-type"] = "application/json";
        const r = await get(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
        const body = r.status === 204 ? null : await r.json();
        const forbidden = r.status === 403 && body?.code === "API_KEY_ROLE_FORBIDDEN";
        const shouldPass = role === "admin" || allowed.includes(role);
        if (forbidden === shouldPass) failures.push(`${method} ${path} as ${role}: ${r.status} ${body?.code}`);
        if (r.status === 500) failures.push(`${method} ${path} as ${role}: 500`);
      }
      // And without a key: 401 everywhere.
      const anon = await get(path, { method });
      if (anon.status !== 401 && !(anon.status === 422 && json !== undefined))
        failures.push(`${method} ${path} without key: ${anon.status}`);
    }
    expect(failures).toEqual([]);
  });
});

describe("routing and documentation", () => {
  test("404, 405 with Allow, 307 trailing slash with the query kept, HEAD/OPTIONS not implemented", async () => {
    const nf = await get("/v1/nothing");
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ status: 404, code: "HTTP_ERROR", detail: "Not Found" });
    const na = await get("/v1/me", { method: "DELETE" });
    expect(na.status).toBe(405);
    expect(na.headers.get("allow")).toBe("GET");
    expect(await na.json()).toEqual({ status: 405, code: "HTTP_ERROR", detail: "Method Not Allowed" });
    const slash = await get("/v1/jobs/?state=new");
    expect(slash.status).toBe(307);
    expect(slash.headers.get("location")).toBe(`${s.url}/v1/jobs?state=new`);
    expect((await get("/v1/me", { method: "HEAD" })).status).toBe(405);
    expect((await get("/v1/me", { method: "OPTIONS" })).status).toBe(405);
    expect((await get("/nothing", { method: "HEAD" })).status).toBe(404);
    // An encoded slash never matches a one-segment parameter, whatever the method.
    expect((await get("/v1/admin/keys/a%2Fb", { method: "DELETE" })).status).toBe(404);
    expect((await get("/v1/admin/keys/a%2Fb", { method: "PATCH", headers: { "x-api-key": keys.admin.key } })).status).toBe(404);
  });

  test("/openapi.json is generated from the route table; /docs, /redoc answer 200 without a key", async () => {
    const r = await get("/openapi.json");
    expect(r.status).toBe(200);
    const doc = await r.json();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toEqual({ title: "TestAPI", version: "custom" });
    for (const [p, m] of [
      ["/v1/jobs", "post"],
      ["/v1/jobs/lease", "post"],
      ["/v1/jobs/{job_id}", "patch"],
      ["/v1/jobs/{job_id}/images/{image_name}/files/image", "put"],
      ["/v1/admin/jobs/{job_id}", "patch"],
    ]) {
      expect(doc.paths[p!]?.[m!]).toBeDefined();
    }
    expect(doc.paths["/debug/jobs/{job_id}/start"]).toBeUndefined();
    const post = doc.paths["/v1/jobs"].post;
    expect(post.tags).toEqual(["User"]);
    expect(post.requestBody.content["application/json"].schema.properties.images.type).toBe("array");
    expect(post.requestBody.content["application/json"].schema.additionalProperties).toBe(false);
    const upload = doc.paths["/v1/jobs/{job_id}/images/{image_name}/files/image"].put;
    expect(upload.requestBody.content["multipart/form-data"].schema.required).toEqual(["file"]);
    expect(upload.parameters.map((p: { name: string }) => p.name)).toEqual(["job_id", "image_name"]);
    const docs = await get("/docs");
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("<title>TestAPI - Swagger UI</title>");
    expect((await get("/redoc")).status).toBe(200);
    expect((await get("/docs/oauth2-redirect")).status).toBe(200);
  });

  test("an unhandled failure is a 500 INTERNAL_ERROR envelope; the server keeps serving", async () => {
    const h = { "x-api-key": keys.user.key, "content-type": "application/json" };
    const job = await (await get("/v1/jobs", { method: "POST", headers: h, body: JSON.stringify({ images: [] }) })).json();
    await s.deps.sql`ALTER TABLE images RENAME TO images_away`;
    try {
      const r = await get(`/v1/jobs/${job.data.id}`, { headers: h });
      expect(r.status).toBe(500);
      expect(await r.json()).toEqual({ status: 500, code: "INTERNAL_ERROR", detail: "An internal server error occurred." });
    } finally {
      await s.deps.sql`ALTER TABLE images_away RENAME TO images`;
    }
    expect((await get(`/v1/jobs/${job.data.id}`, { headers: h })).status).toBe(200);
  });

  test("the AppCode catalogue: 105 reference codes plus our extensions", () => {
    expect(REFERENCE_CODES.length).toBe(105);
    expect(APP_CODES.JOB_RESULT_NOT_READY[0]).toBe(425);
    expect(APP_CODES.JOB_LEASE_RELEASED[0]).toBe(204);
  });
});
