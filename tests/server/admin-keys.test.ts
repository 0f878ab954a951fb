/**
 * Key administration over real HTTP against a real PostgreSQL (docs/protocol.md §1.6, §4.16–§4.19):
 * every success and error code, role checks, and that issued/rotated/updated keys take effect at once.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { createKey, replaceKeyCredentials } from "../../src/db/admin-keys.ts";

let s: TestServer;
const keys: Record<string, string> = {};

async function call(method: string, path: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { ...headers };
  if (key !== undefined) h["x-api-key"] = key;
  if (body !== undefined && typeof body !== "string") h["content-type"] = "application/json";
  const res = await fetch(s.url + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  s = await startTestServer();
  for (const role of ["readonly", "user", "worker"]) {
    const r = await call("POST", "/v1/admin/keys", s.adminKey, { label: `fixture-${role}`, role });
    expect(r.status).toBe(201);
    keys[role] = r.json.data.secret;
  }
});
afterAll(async () => {
  await s?.close();
});

const ROUTES: [string, string, unknown][] = [
  ["POST", "/v1/admin/keys", { label: "x", role: "user" }],
  ["GET", "/v1/admin/keys", undefined],
  ["PATCH", "/v1/admin/keys/fixture-user", { active: true }],
  ["POST", "/v1/admin/keys/fixture-user/secret", undefined],
];

describe("authentication and roles", () => {
  for (const [method, path, body] of ROUTES) {
    test(`${method} ${path}: 401 without a key, 401 with a bad key, 403 for every non-admin role`, async () => {
      const missing = await call(method, path, undefined, body);
      expect(missing.status).toBe(401);
      expect(missing.json.code).toBe("API_KEY_MISSING");
      expect(missing.headers.get("www-authenticate")).toBe('ApiKey realm="DocAPI"');
      const invalid = await call(method, path, "doc-api.nosuchkid.nosuchsecret", body);
      expect(invalid.status).toBe(401);
      expect(invalid.json.code).toBe("API_KEY_INVALID");
      for (const role of ["readonly", "user", "worker"]) {
        const r = await call(method, path, keys[role], body);
        expect(r.status).toBe(403);
        expect(r.json).toEqual({
          status: 403,
          code: "API_KEY_ROLE_FORBIDDEN",
          detail: `Access denied: the API key does not have the required role. This key's role is '${role}'; this endpoint needs 'admin'.`,
          details: { role, required_roles: ["admin"] },
        });
      }
    });
  }

  test("a syntactically invalid JSON body is refused with 422 before authentication", async () => {
    const r = await call("POST", "/v1/admin/keys", undefined, "{bad", { "content-type": "application/json" });
    expect(r.status).toBe(422);
    expect(r.json.details[0].type).toBe("json_invalid");
  });
});

describe("POST /v1/admin/keys", () => {
  test("201 KEY_CREATED returns the full key once; it authenticates with its label and role", async () => {
    const r = await call("POST", "/v1/admin/keys", s.adminKey, { label: "alice", role: "user" });
    expect(r.status).toBe(201);
    expect(r.json.code).toBe("KEY_CREATED");
    expect(r.json.detail).toBe("API key created successfully.");
    const secret: string = r.json.data.secret;
    expect(secret).toMatch(/^doc-api\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{40}$/);
    const me = await call("GET", "/v1/me", secret);
    expect(me.status).toBe(200);
    expect(me.json.data).toMatchObject({ label: "alice", role: "user", active: true });
    // The secret is not stored: nothing in the keys table equals it.
    const rows = await s.deps.sql`SELECT kid, salt, key_hash FROM keys WHERE label = 'alice'`;
    expect(JSON.stringify(rows)).not.toContain(secret.split(".")[2]!);
  });

  test("any role can be issued, admin included", async () => {
    const r = await call("POST", "/v1/admin/keys", s.adminKey, { label: "second-admin", role: "admin" });
    expect(r.status).toBe(201);
    expect((await call("GET", "/v1/admin/keys", r.json.data.secret)).status).toBe(200);
  });

  test("409 KEY_ALREADY_EXISTS for a label in use (exact match)", async () => {
    const r = await call("POST", "/v1/admin/keys", s.adminKey, { label: "alice", role: "worker" });
    expect(r.status).toBe(409);
    expect(r.json).toEqual({ status: 409, code: "KEY_ALREADY_EXISTS", detail: "API key with the specified label already exists." });
    const other = await call("POST", "/v1/admin/keys", s.adminKey, { label: "Alice", role: "worker" });
    expect(other.status).toBe(201);
  });

  test("422 for a missing role, an unknown role, an extra member and a missing body", async () => {
    const missing = await call("POST", "/v1/admin/keys", s.adminKey, { label: "bob" });
    expect(missing.status).toBe(422);
    expect(missing.json.code).toBe("REQUEST_VALIDATION_ERROR");
    expect(missing.json.details).toEqual([{ type: "missing", loc: ["body", "role"], msg: "Field required", input: { label: "bob" } }]);
    const bad = await call("POST", "/v1/admin/keys", s.adminKey, { label: "bob", role: "boss" });
    expect(bad.status).toBe(422);
    expect(bad.json.details[0]).toMatchObject({ type: "enum", loc: ["body", "role"], input: "boss" });
    const extra = await call("POST", "/v1/admin/keys", s.adminKey, { label: "bob", role: "user", kid: "mine" });
    expect(extra.status).toBe(422);
    expect(extra.json.details[0]).toMatchObject({ type: "extra_forbidden", loc: ["body", "kid"] });
    const nobody = await call("POST", "/v1/admin/keys", s.adminKey);
    expect(nobody.status).toBe(422);
    expect(nobody.json.details[0]).toMatchObject({ type: "missing", loc: ["body"] });
    expect((await s.deps.sql`SELECT 1 FROM keys WHERE label = 'bob'`).length).toBe(0);
  });
});

describe("GET /v1/admin/keys", () => {
  test("200 KEYS_RETRIEVED lists every key by label with nulls kept and no secrets", async () => {
    const r = await call("GET", "/v1/admin/keys", s.adminKey);
    expect(r.status).toBe(200);
    expect(r.json.code).toBe("KEYS_RETRIEVED");
    const labels = r.json.data.map((k: { label: string }) => k.label);
    const dbOrder = (await s.deps.sql<{ label: string }[]>`SELECT label FROM keys ORDER BY label`).map((x) => x.label);
    expect(labels).toEqual(dbOrder);
    expect(labels).toContain("admin");
    const never = r.json.data.find((k: { label: string }) => k.label === "second-admin" || k.label === "Alice");
    for (const k of r.json.data) expect(Object.keys(k).sort()).toEqual(["active", "created_date", "id", "label", "last_used", "role"]);
    expect(r.json.data.find((k: { label: string }) => k.label === "Alice").last_used).toBeNull();
    expect(never).toBeDefined();
  });
});

describe("PATCH /v1/admin/keys/{label}", () => {
  test("400 KEY_UPDATE_NO_FIELDS for {} and for all-null fields", async () => {
    for (const body of [{}, { label: null, role: null, active: null }]) {
      const r = await call("PATCH", "/v1/admin/keys/alice", s.adminKey, body);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        status: 400,
        code: "KEY_UPDATE_NO_FIELDS",
        detail: "At least one field must be provided to update the API key.",
      });
    }
  });

  test("404 KEY_NOT_FOUND for an unknown label", async () => {
    const r = await call("PATCH", "/v1/admin/keys/nobody-here", s.adminKey, { active: false });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ status: 404, code: "KEY_NOT_FOUND", detail: "The specified API key was not found." });
  });

  test("409 KEY_ALREADY_EXISTS when the new label belongs to another key; the same label is fine", async () => {
    const r = await call("PATCH", "/v1/admin/keys/alice", s.adminKey, { label: "Alice" });
    expect(r.status).toBe(409);
    expect(r.json).toEqual({ status: 409, code: "KEY_ALREADY_EXISTS", detail: "An API key with the specified label already exists." });
    const same = await call("PATCH", "/v1/admin/keys/alice", s.adminKey, { label: "alice" });
    expect(same.status).toBe(200);
  });

  test("422 for an unknown role and a non-boolean active", async () => {
    const r = await call("PATCH", "/v1/admin/keys/alice", s.adminKey, { role: "root", active: "maybe" });
    expect(r.status).toBe(422);
    const locs = r.json.details.map((d: { loc: string[] }) => d.loc.join("."));
    expect(locs.sort()).toEqual(["body.active", "body.role"]);
  });

  test("role, active and label changes take effect immediately", async () => {
    const created = await call("POST", "/v1/admin/keys", s.adminKey, { label: "carol", role: "user" });
    const key = created.json.data.secret;
    expect((await call("PATCH", "/v1/admin/keys/carol", s.adminKey, { role: "admin" })).json.code).toBe("KEY_UPDATED");
    expect((await call("GET", "/v1/admin/keys", key)).status).toBe(200);
    expect((await call("PATCH", "/v1/admin/keys/carol", s.adminKey, { role: "readonly" })).status).toBe(200);
    expect((await call("GET", "/v1/admin/keys", key)).status).toBe(403);
    const off = await call("PATCH", "/v1/admin/keys/carol", s.adminKey, { active: false });
    expect(off).toMatchObject({
      status: 200,
      json: { status: 200, code: "KEY_UPDATED", detail: "API key was updated successfully.", data: null },
    });
    const inactive = await call("GET", "/v1/me", key);
    expect(inactive.status).toBe(403);
    expect(inactive.json.code).toBe("API_KEY_INACTIVE");
    expect((await call("PATCH", "/v1/admin/keys/carol", s.adminKey, { active: true, label: "carol-2" })).status).toBe(200);
    const me = await call("GET", "/v1/me", key);
    expect(me.json.data).toMatchObject({ label: "carol-2", role: "readonly", active: true });
    expect((await call("PATCH", "/v1/admin/keys/carol", s.adminKey, { active: false })).status).toBe(404);
  });
});

describe("POST /v1/admin/keys/{label}/secret", () => {
  test("201 KEY_SECRET_CREATED: the new key works, the old one stops, label/role/active/created_date kept", async () => {
    const created = await call("POST", "/v1/admin/keys", s.adminKey, { label: "dave", role: "worker" });
    const oldKey = created.json.data.secret;
    const before = (await call("GET", "/v1/me", oldKey)).json.data;
    await call("PATCH", "/v1/admin/keys/dave", s.adminKey, { active: false });
    const r = await call("POST", "/v1/admin/keys/dave/secret", s.adminKey);
    expect(r.status).toBe(201);
    expect(r.json.code).toBe("KEY_SECRET_CREATED");
    expect(r.json.detail).toBe("New API key secret created successfully.");
    const newKey: string = r.json.data.secret;
    expect(newKey).toMatch(/^doc-api\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{40}$/);
    expect(newKey).not.toBe(oldKey);
    expect((await call("GET", "/v1/me", oldKey)).json.code).toBe("API_KEY_INVALID");
    expect((await call("GET", "/v1/me", newKey)).json.code).toBe("API_KEY_INACTIVE"); // active flag kept
    await call("PATCH", "/v1/admin/keys/dave", s.adminKey, { active: true });
    const after = (await call("GET", "/v1/me", newKey)).json.data;
    expect(after).toMatchObject({ id: before.id, label: "dave", role: "worker", created_date: before.created_date });
  });

  test("404 KEY_NOT_FOUND for an unknown label", async () => {
    const r = await call("POST", "/v1/admin/keys/nobody-here/secret", s.adminKey);
    expect(r.status).toBe(404);
    expect(r.json.code).toBe("KEY_NOT_FOUND");
  });

  test("labels are percent-decoded path segments", async () => {
    await call("POST", "/v1/admin/keys", s.adminKey, { label: "x y ü", role: "user" });
    const r = await call("POST", `/v1/admin/keys/${encodeURIComponent("x y ü")}/secret`, s.adminKey);
    expect(r.status).toBe(201);
  });
});

describe("credential collisions (KEY_CREATION_FAILED / KEY_SECRET_CREATION_FAILED)", () => {
  test("createKey and replaceKeyCredentials retry on kid/salt/hash collisions and give up after the attempts", async () => {
    const existing = (
      await s.deps.sql<{ kid: string; salt: string; key_hash: string }[]>`SELECT kid, salt, key_hash FROM keys WHERE label = 'alice'`
    )[0]!;
    const colliding = () => ({ kid: existing.kid, salt: existing.salt, keyHash: existing.key_hash });
    let calls = 0;
    const r = await createKey(s.deps.sql, "collider", "user", () => (calls++, colliding()));
    expect(r).toEqual({ ok: false, reason: "COLLISION" });
    expect(calls).toBe(3);
    let n = 0;
    const second = await createKey(s.deps.sql, "collider", "user", () =>
      n++ === 0 ? colliding() : { kid: "fresh-kid", salt: "f".repeat(32), keyHash: "e".repeat(64) },
    );
    expect(second.ok).toBe(true);
    const rot = await replaceKeyCredentials(s.deps.sql, "collider", colliding);
    expect(rot).toEqual({ ok: false, reason: "COLLISION" });
    const after = (await s.deps.sql<{ kid: string }[]>`SELECT kid FROM keys WHERE label = 'collider'`)[0]!;
    expect(after.kid).toBe("fresh-kid");
  });
});
