/**
 * Engine routes over real HTTP against a real PostgreSQL (docs/protocol.md §4.3, §4.13, §4.20–§4.22, §7):
 * listing for every role (§11.1 fix), admin create/update with the §7.2 invariants, engine-file
 * upload (streamed, zip-validated, renamed into place) and download.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { zipSync } from "fflate";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { DEFAULT_ENGINE, selectEngineForJob, type EngineSelection } from "../../src/db/engines.ts";
import { SHARED } from "../helpers/shared.ts";

let s: TestServer;
const keys: Record<string, string> = {};

interface Res {
  status: number;
  headers: Headers;
  json: any;
  bytes: Uint8Array;
}

async function call(method: string, path: string, key: string | undefined, body?: unknown): Promise<Res> {
  const h: Record<string, string> = {};
  if (key !== undefined) h["x-api-key"] = key;
  let b: BodyInit | undefined;
  if (body instanceof FormData) b = body;
  else if (body !== undefined) {
    h["content-type"] = "application/json";
    b = JSON.stringify(body);
  }
  const res = await fetch(s.url + path, { method, headers: h, body: b });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const isJson = res.headers.get("content-type") === "application/json";
  return { status: res.status, headers: res.headers, json: isJson ? JSON.parse(new TextDecoder().decode(bytes)) : undefined, bytes };
}

const form = (bytes: Uint8Array | string, name = "engine.zip") => {
  const fd = new FormData();
  fd.append("file", new Blob([typeof bytes === "string" ? bytes : (bytes as Uint8Array<ArrayBuffer>)]), name);
  return fd;
};

/** The DocAPI suite's VALID_ZIP: local header + dangling central header + EOCD declaring 0 entries. */
const VALID_ZIP = new Uint8Array(
  Buffer.concat([
    Buffer.from(`PK\x03\x04${"\0".repeat(26)}`, "latin1"),
    Buffer.from(`PK\x01\x02${"\0".repeat(42)}`, "latin1"),
    Buffer.from(`PK\x05\x06${"\0".repeat(18)}`, "latin1"),
  ]),
);

const create = (body: Record<string, unknown>) =>
  call("POST", "/v1/admin/engines", s.adminKey, { description: "an engine", definition: { model: body.name }, ...body });

async function engineRow(name: string, version: string) {
  const r = await call(
    "GET",
    `/v1/engines?name=${encodeURIComponent(name)}&version=${encodeURIComponent(version)}&show_definition=true`,
    s.adminKey,
  );
  return r.json.data[0];
}

beforeAll(async () => {
  s = await startTestServer();
  for (const role of ["readonly", "user", "worker"]) {
    const r = await call("POST", "/v1/admin/keys", s.adminKey, { label: `fixture-${role}`, role });
    keys[role] = r.json.data.secret;
  }
});
afterAll(async () => {
  await s?.close();
});

describe("POST /v1/admin/engines", () => {
  test("201 ENGINE_CREATED returns the created engine (decision: bug 28 fixed)", async () => {
    const r = await create({ name: "Alpha", version: "1.0", definition: { a: 1, nested: { b: [1, 2] } } });
    expect(r.status).toBe(201);
    expect(r.json.code).toBe("ENGINE_CREATED");
    expect(r.json.detail).toBe("Engine created successfully.");
    expect(r.json.data).toMatchObject({
      name: "Alpha",
      version: "1.0",
      description: "an engine",
      definition: { a: 1, nested: { b: [1, 2] } },
      default: false,
      active: true,
      last_used: null,
      files_updated: null,
    });
    expect(r.json.data.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.json.data.created_date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  });

  test("409 ENGINE_ALREADY_EXISTS for an existing (name, version)", async () => {
    const r = await create({ name: "Alpha", version: "1.0" });
    expect(r.status).toBe(409);
    expect(r.json).toEqual({
      status: 409,
      code: "ENGINE_ALREADY_EXISTS",
      detail: "An engine with the specified name and version already exists.",
    });
  });

  test("422: definition not an object (dict_type), missing members, extra members, too long version", async () => {
    const r1 = await create({ name: "Bad", version: "1", definition: [1, 2] });
    expect(r1.status).toBe(422);
    expect(r1.json.details[0]).toMatchObject({ type: "dict_type", loc: ["body", "definition"] });
    const r2 = await call("POST", "/v1/admin/engines", s.adminKey, { name: "Bad" });
    expect(r2.status).toBe(422);
    expect(r2.json.details.map((d: { loc: string[] }) => d.loc.join(".")).sort()).toEqual(["body.description", "body.version"]);
    const r3 = await create({ name: "Bad", version: "1", colour: "red" });
    expect(r3.json.details[0]).toMatchObject({ type: "extra_forbidden", loc: ["body", "colour"] });
    const r4 = await create({ name: "Bad", version: "v".repeat(65) });
    expect(r4.status).toBe(422);
    expect((await call("GET", "/v1/engines?name=Bad", s.adminKey)).json.data).toEqual([]);
  });

  test("definition may be absent or null (newer upstream schema)", async () => {
    const r = await call("POST", "/v1/admin/engines", s.adminKey, { name: "NoDef", version: "1", description: "x" });
    expect(r.status).toBe(201);
    expect(r.json.data.definition).toBeNull();
  });

  test("§7.2: a new default clears every other default; a new active version deactivates its siblings", async () => {
    await create({ name: "Beta", version: "1.0", default: true });
    expect((await engineRow("Beta", "1.0")).default).toBe(true);
    await create({ name: "Gamma", version: "1.0", default: true });
    expect((await engineRow("Beta", "1.0")).default).toBe(false);
    expect((await engineRow("Gamma", "1.0")).default).toBe(true);
    // New version of Beta, active by default → Beta 1.0 is deactivated; default untouched elsewhere.
    await create({ name: "Beta", version: "2.0" });
    expect((await engineRow("Beta", "1.0")).active).toBe(false);
    expect((await engineRow("Beta", "2.0")).active).toBe(true);
    // active: false leaves the active sibling alone.
    await create({ name: "Beta", version: "3.0", active: false });
    expect((await engineRow("Beta", "2.0")).active).toBe(true);
    expect((await engineRow("Beta", "3.0")).active).toBe(false);
  });

  test("explicit null default/active: stored as the column defaults, without side effects", async () => {
    const r = await create({ name: "Beta", version: "4.0", default: null, active: null });
    expect(r.status).toBe(201);
    expect(r.json.data).toMatchObject({ default: false, active: true });
    expect((await engineRow("Beta", "2.0")).active).toBe(true); // not deactivated
    expect((await engineRow("Gamma", "1.0")).default).toBe(true);
  });

  test("403 for every non-admin role", async () => {
    for (const role of ["readonly", "user", "worker"]) {
      const r = await call("POST", "/v1/admin/engines", keys[role], { name: "X", version: "1", description: "d", definition: {} });
      expect(r.status).toBe(403);
      expect(r.json.code).toBe("API_KEY_ROLE_FORBIDDEN");
    }
  });
});

describe("PATCH /v1/admin/engines/{name}/{version}", () => {
  test("400 ENGINE_UPDATE_NO_FIELDS for {} and all-null", async () => {
    for (const body of [{}, { name: null, description: null, default: null }]) {
      const r = await call("PATCH", "/v1/admin/engines/Alpha/1.0", s.adminKey, body);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        status: 400,
        code: "ENGINE_UPDATE_NO_FIELDS",
        detail: "At least one field must be provided to update the engine.",
      });
    }
  });

  test("404 ENGINE_NOT_FOUND for an unknown engine", async () => {
    const r = await call("PATCH", "/v1/admin/engines/Alpha/9.9", s.adminKey, { description: "x" });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ status: 404, code: "ENGINE_NOT_FOUND", detail: "Engine does not exist." });
  });

  test("409 ENGINE_ALREADY_EXISTS when renaming onto another engine; renaming onto itself is fine", async () => {
    const r = await call("PATCH", "/v1/admin/engines/Beta/1.0", s.adminKey, { version: "2.0" });
    expect(r.status).toBe(409);
    expect(r.json.code).toBe("ENGINE_ALREADY_EXISTS");
    const same = await call("PATCH", "/v1/admin/engines/Beta/1.0", s.adminKey, { name: "Beta", version: "1.0" });
    expect(same.status).toBe(200);
  });

  test("200 ENGINE_UPDATED: description, definition (replaced wholesale), name and version", async () => {
    const r = await call("PATCH", "/v1/admin/engines/Alpha/1.0", s.adminKey, { description: "renamed", definition: { only: true } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 200, code: "ENGINE_UPDATED", detail: "Engine was updated successfully.", data: null });
    const e = await engineRow("Alpha", "1.0");
    expect(e).toMatchObject({ description: "renamed", definition: { only: true } });
    expect((await call("PATCH", "/v1/admin/engines/Alpha/1.0", s.adminKey, { name: "Alpha2", version: "1.1" })).status).toBe(200);
    expect(await engineRow("Alpha", "1.0")).toBeUndefined();
    expect((await engineRow("Alpha2", "1.1")).id).toBe(e.id);
  });

  test("§7.2 on update: default true clears the others, active true deactivates the other versions, false only clears this one", async () => {
    await call("PATCH", "/v1/admin/engines/Beta/1.0", s.adminKey, { default: true, active: true });
    expect(await engineRow("Beta", "1.0")).toMatchObject({ default: true, active: true });
    expect((await engineRow("Gamma", "1.0")).default).toBe(false);
    expect((await engineRow("Beta", "2.0")).active).toBe(false);
    expect((await engineRow("Beta", "4.0")).active).toBe(false);
    await call("PATCH", "/v1/admin/engines/Beta/1.0", s.adminKey, { default: false, active: false });
    expect(await engineRow("Beta", "1.0")).toMatchObject({ default: false, active: false });
    expect((await engineRow("Beta", "2.0")).active).toBe(false); // nothing re-activated
    // Renaming into another name with active: true deactivates that name's active version.
    await create({ name: "Delta", version: "1", active: true });
    await call("PATCH", "/v1/admin/engines/Beta/4.0", s.adminKey, { name: "Delta", version: "2", active: true });
    expect((await engineRow("Delta", "1")).active).toBe(false);
    expect((await engineRow("Delta", "2")).active).toBe(true);
  });

  test("422 for extra members and a non-object definition; 403 for non-admins", async () => {
    const r = await call("PATCH", "/v1/admin/engines/Gamma/1.0", s.adminKey, { definition: "x", foo: 1 });
    expect(r.status).toBe(422);
    expect(r.json.details.map((d: { type: string }) => d.type).sort()).toEqual(["dict_type", "extra_forbidden"]);
    expect((await call("PATCH", "/v1/admin/engines/Gamma/1.0", keys.user, { description: "x" })).status).toBe(403);
  });
});

describe("GET /v1/engines", () => {
  test("admin: every engine in natural order, definition null unless show_definition=true", async () => {
    for (const v of ["10.0", "2.0", "1.0"]) await create({ name: "Nat", version: v, active: false });
    const r = await call("GET", "/v1/engines?name=Nat", s.adminKey);
    expect(r.status).toBe(200);
    expect(r.json.code).toBe("ENGINES_RETRIEVED");
    expect(r.json.data.map((e: { version: string }) => e.version)).toEqual(["1.0", "2.0", "10.0"]);
    for (const e of r.json.data) {
      expect(e.definition).toBeNull();
      expect(Object.keys(e).sort()).toEqual([
        "active",
        "created_date",
        "default",
        "definition",
        "description",
        "files_updated",
        "id",
        "last_used",
        "name",
        "version",
      ]);
    }
    const withDef = await call("GET", "/v1/engines?name=Nat&version=2.0&show_definition=true", s.adminKey);
    expect(withDef.json.data).toHaveLength(1);
    expect(withDef.json.data[0].definition).toEqual({ model: "Nat" });
    const all = (await call("GET", "/v1/engines", s.adminKey)).json.data.map((e: { name: string }) => e.name);
    expect(all.indexOf("Alpha2")).toBeLessThan(all.indexOf("Beta"));
  });

  test("admin filters: default, active, name+version (exact match)", async () => {
    const defaults = (await call("GET", "/v1/engines?default=true", s.adminKey)).json.data;
    expect(defaults.length).toBeLessThanOrEqual(1);
    const inactive = (await call("GET", "/v1/engines?active=false&name=Nat", s.adminKey)).json.data;
    expect(inactive).toHaveLength(3);
    expect((await call("GET", "/v1/engines?active=yes&name=Nat", s.adminKey)).json.data).toEqual([]);
    expect((await call("GET", "/v1/engines?name=nat", s.adminKey)).json.data).toEqual([]);
  });

  test("user and readonly: only active engines, only name/version/description/default", async () => {
    const admin = (await call("GET", "/v1/engines?active=true", s.adminKey)).json.data;
    for (const role of ["user", "readonly"]) {
      const r = await call("GET", "/v1/engines", keys[role]);
      expect(r.status).toBe(200);
      expect(r.json.data).toEqual(
        admin.map((e: any) => ({ name: e.name, version: e.version, description: e.description, default: e.default })),
      );
      expect(r.json.data.find((e: { name: string }) => e.name === "Nat")).toBeUndefined();
    }
    const filtered = await call("GET", "/v1/engines?name=Delta&show_definition=false", keys.user);
    expect(filtered.json.data).toEqual([{ name: "Delta", version: "2", description: "an engine", default: false }]);
  });

  test("worker: the hidden members are explicit nulls", async () => {
    const r = await call("GET", "/v1/engines?name=Delta", keys.worker);
    expect(r.json.data).toEqual([
      {
        id: null,
        name: "Delta",
        version: "2",
        description: "an engine",
        definition: null,
        default: false,
        active: null,
        created_date: null,
        last_used: null,
        files_updated: null,
      },
    ]);
  });

  test("403 for non-admins filtering by active or asking for definitions", async () => {
    for (const role of ["readonly", "user", "worker"]) {
      const a = await call("GET", "/v1/engines?active=true", keys[role]);
      expect(a.status).toBe(403);
      expect(a.json).toEqual({
        status: 403,
        code: "API_KEY_FORBIDDEN_FOR_ENGINE_ACTIVE",
        detail: "Regular API keys are not allowed to filter by 'active'.",
      });
      const d = await call("GET", "/v1/engines?show_definition=true", keys[role]);
      expect(d.status).toBe(403);
      expect(d.json).toEqual({
        status: 403,
        code: "API_KEY_FORBIDDEN_FOR_ENGINE_DEFINITION",
        detail: "Regular API keys are not allowed to use 'show_definition'.",
      });
    }
  });

  test("422 bool_parsing for default=maybe; 401 without a key", async () => {
    const r = await call("GET", "/v1/engines?default=maybe", keys.user);
    expect(r.status).toBe(422);
    expect(r.json.details[0]).toMatchObject({ type: "bool_parsing", loc: ["query", "default"] });
    expect((await call("GET", "/v1/engines", undefined)).status).toBe(401);
  });
});

describe("PUT /v1/admin/engines/{name}/{version}/files and GET /v1/engines/{engine_id}/files", () => {
  const stagingEmpty = () => {
    const dir = join(s.config.enginesDir, ".staging");
    return !existsSync(dir) || readdirSync(dir).length === 0;
  };

  test("404 ENGINE_NOT_FOUND for an unknown engine (before reading the upload)", async () => {
    const r = await call("PUT", "/v1/admin/engines/Nope/1/files", s.adminKey, form(VALID_ZIP));
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ status: 404, code: "ENGINE_NOT_FOUND", detail: "Engine does not exist." });
  });

  test("415 ENGINE_FILES_INVALID with the reason for a non-zip and a broken central directory; nothing left behind", async () => {
    const e = await engineRow("Gamma", "1.0");
    const r = await call("PUT", "/v1/admin/engines/Gamma/1.0/files", s.adminKey, form("this is not a zip"));
    expect(r.status).toBe(415);
    expect(r.json).toEqual({
      status: 415,
      code: "ENGINE_FILES_INVALID",
      detail: "The uploaded file is not a valid ZIP archive.",
      details: { reason: "File is not a zip file" },
    });
    const broken = Buffer.from(zipSync({ "a.txt": new TextEncoder().encode("hello") }));
    broken.writeUInt32LE(0xdeadbeef, broken.length - 22 - (46 + 5)); // central header signature
    const r2 = await call("PUT", "/v1/admin/engines/Gamma/1.0/files", s.adminKey, form(new Uint8Array(broken)));
    expect(r2.status).toBe(415);
    expect(r2.json.details).toEqual({ reason: "Bad magic number for central directory" });
    expect(existsSync(join(s.config.enginesDir, `${e.id}.zip`))).toBe(false);
    expect((await engineRow("Gamma", "1.0")).files_updated).toBeNull();
    expect(stagingEmpty()).toBe(true);
  });

  test("422 when the multipart body has no `file` part", async () => {
    const fd = new FormData();
    fd.append("other", "x");
    const r = await call("PUT", "/v1/admin/engines/Gamma/1.0/files", s.adminKey, fd);
    expect(r.status).toBe(422);
    expect(r.json.details[0]).toMatchObject({ type: "missing", loc: ["body", "file"] });
  });

  test("201 then 200 with files_updated strictly increasing; the worker downloads the exact bytes", async () => {
    const e = await engineRow("Gamma", "1.0");
    const up = await call("PUT", "/v1/admin/engines/Gamma/1.0/files", s.adminKey, form(VALID_ZIP));
    expect(up.status).toBe(201);
    expect(up.json).toEqual({
      status: 201,
      code: "ENGINE_FILES_UPLOADED",
      detail: "Engine files ZIP archive uploaded successfully.",
      data: null,
    });
    const first = (await engineRow("Gamma", "1.0")).files_updated;
    expect(first).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);

    const dl = await call("GET", `/v1/engines/${e.id}/files`, keys.worker);
    expect(dl.status).toBe(200);
    expect(dl.headers.get("content-type")).toBe("application/zip");
    expect(dl.headers.get("content-disposition")).toBe(`attachment; filename="${e.id}.zip"`);
    expect(dl.headers.get("content-length")).toBe(String(VALID_ZIP.length));
    expect(dl.bytes).toEqual(VALID_ZIP);

    const bigger = zipSync({
      "model/weights.bin": crypto.getRandomValues(new Uint8Array(50_000)),
      "config.ini": new TextEncoder().encode("[x]\n"),
    });
    const again = await call("PUT", "/v1/admin/engines/Gamma/1.0/files", s.adminKey, form(bigger));
    expect(again.status).toBe(200);
    expect(again.json.code).toBe("ENGINE_FILES_REUPLOADED");
    const second = (await engineRow("Gamma", "1.0")).files_updated;
    expect(second > first).toBe(true);
    const dl2 = await call("GET", `/v1/engines/${e.id}/files`, s.adminKey);
    expect(dl2.bytes).toEqual(bigger);
    expect(stagingEmpty()).toBe(true);
  });

  test("GET files: 404 ENGINE_FILES_NOT_FOUND never uploaded, 404 ENGINE_FILES_GONE unknown id, 410 deleted on disk", async () => {
    const never = await engineRow("Delta", "2");
    const r1 = await call("GET", `/v1/engines/${never.id}/files`, keys.worker);
    expect(r1.status).toBe(404);
    expect(r1.json).toEqual({ status: 404, code: "ENGINE_FILES_NOT_FOUND", detail: "Engine not found." });
    const r2 = await call("GET", `/v1/engines/${crypto.randomUUID()}/files`, keys.worker);
    expect(r2.status).toBe(404);
    expect(r2.json.code).toBe("ENGINE_FILES_GONE");
    await call("PUT", "/v1/admin/engines/Delta/2/files", s.adminKey, form(VALID_ZIP));
    rmSync(join(s.config.enginesDir, `${never.id}.zip`));
    const r3 = await call("GET", `/v1/engines/${never.id}/files`, keys.worker);
    expect(r3.status).toBe(410);
    expect(r3.json).toEqual({
      status: 410,
      code: "ENGINE_FILES_GONE",
      detail: "Engine files were probably deleted from the server. Consider setting the job state to error.",
    });
    // Re-uploading after the operator deleted it is a first upload again (201).
    expect((await call("PUT", "/v1/admin/engines/Delta/2/files", s.adminKey, form(VALID_ZIP))).status).toBe(201);
  });

  test("GET files: 422 uuid_parsing for a malformed id; 403 for user and readonly; PUT 403 for non-admins", async () => {
    const r = await call("GET", "/v1/engines/not-a-uuid/files", keys.worker);
    expect(r.status).toBe(422);
    expect(r.json.details[0]).toMatchObject({ type: "uuid_parsing", loc: ["path", "engine_id"] });
    const e = await engineRow("Gamma", "1.0");
    for (const role of ["user", "readonly"]) expect((await call("GET", `/v1/engines/${e.id}/files`, keys[role])).status).toBe(403);
    for (const role of ["user", "readonly", "worker"]) {
      expect((await call("PUT", "/v1/admin/engines/Gamma/1.0/files", keys[role], form(VALID_ZIP))).status).toBe(403);
    }
  });
});

describe("engine selection for job creation (§7.3, used by POST /v1/jobs)", () => {
  test("no name: the active default engine, else none; name: 404 unknown, 409 inactive, admin may pick an inactive single version", async () => {
    const sql = s.deps.sql;
    const picked = (sel: EngineSelection) => (sel.ok && sel.engine !== DEFAULT_ENGINE ? sel.engine : undefined);
    // Without a name the INSERT of the job chooses the default engine; the job view shows which it got.
    const engineOfNewJob = async () => {
      const r = await call("POST", "/v1/jobs", keys.user, { images: [] });
      expect(r.status).toBe(201);
      return (r.json.data.engine_name as string | undefined) ?? null; // the user view drops nulls
    };
    expect(await selectEngineForJob(sql, { isAdmin: false })).toEqual({ ok: true, engine: DEFAULT_ENGINE });
    // No engine is default and active at this point → no engine.
    expect((await call("GET", "/v1/engines?default=true&active=true", s.adminKey)).json.data).toEqual([]);
    expect(await engineOfNewJob()).toBeNull();
    // An inactive default does not count either.
    await call("PATCH", "/v1/admin/engines/Nat/1.0", s.adminKey, { default: true });
    expect(await engineOfNewJob()).toBeNull();
    await call("PATCH", "/v1/admin/engines/Gamma/1.0", s.adminKey, { default: true });
    expect(await engineOfNewJob()).toBe("Gamma");
    expect(await selectEngineForJob(sql, { isAdmin: false, engineVersion: "ignored" })).toEqual({ ok: true, engine: DEFAULT_ENGINE });
    expect(await selectEngineForJob(sql, { engineName: "Missing", isAdmin: false })).toEqual({ ok: false, code: "ENGINE_NOT_FOUND" });
    expect(await selectEngineForJob(sql, { engineName: "Nat", isAdmin: false })).toEqual({ ok: false, code: "ENGINE_INACTIVE" });
    expect(await selectEngineForJob(sql, { engineName: "Nat", isAdmin: true })).toEqual({ ok: false, code: "ENGINE_INACTIVE" });
    expect(picked(await selectEngineForJob(sql, { engineName: "Nat", engineVersion: "2.0", isAdmin: true }))?.version).toBe("2.0");
    expect(picked(await selectEngineForJob(sql, { engineName: "Delta", isAdmin: false }))?.version).toBe("2");
  });
});

describe("engine files with ENGINE_FILES_ZIP_VALIDATION=false and a small MAX_UPLOAD_BYTES", () => {
  test("a non-zip is accepted as is; a file over the limit is refused with 413 FILE_TOO_LARGE and not stored", async () => {
    const other = await startTestServer({ env: { ENGINE_FILES_ZIP_VALIDATION: "false", MAX_UPLOAD_BYTES: "1000" } });
    try {
      const h = { "x-api-key": other.adminKey };
      const created = await fetch(`${other.url}/v1/admin/engines`, {
        method: "POST",
        headers: { ...h, "content-type": "application/json" },
        body: JSON.stringify({ name: "Raw", version: "1", description: "d", definition: {} }),
      });
      const id = (await created.json()).data.id;
      const up = await fetch(`${other.url}/v1/admin/engines/Raw/1/files`, {
        method: "PUT",
        headers: h,
        body: form("plain bytes, not a zip"),
      });
      expect(up.status).toBe(201);
      const dl = await fetch(`${other.url}/v1/engines/${id}/files`, { headers: h });
      expect(await dl.text()).toBe("plain bytes, not a zip");
      const big = await fetch(`${other.url}/v1/admin/engines/Raw/1/files`, { method: "PUT", headers: h, body: form(new Uint8Array(5000)) });
      expect(big.status).toBe(413);
      expect((await big.json()).code).toBe("FILE_TOO_LARGE");
      expect(await (await fetch(`${other.url}/v1/engines/${id}/files`, { headers: h })).text()).toBe("plain bytes, not a zip");
    } finally {
      await other.close();
    }
  });
});

describe("what workers receive (§7.4) and engine renames on jobs (§7.3)", () => {
  test("a leased job carries the engine's id, name, version, current definition and files_updated", async () => {
    const other = await startTestServer();
    try {
      const req = async (method: string, path: string, key: string, body?: unknown) => {
        const init: RequestInit = { method, headers: { "x-api-key": key } };
        if (body instanceof FormData) init.body = body;
        else if (body !== undefined) {
          init.body = JSON.stringify(body);
          (init.headers as Record<string, string>)["content-type"] = "application/json";
        }
        const res = await fetch(other.url + path, init);
        return { status: res.status, json: res.headers.get("content-type") === "application/json" ? await res.json() : null };
      };
      const user = (await req("POST", "/v1/admin/keys", other.adminKey, { label: "u", role: "user" })).json.data.secret;
      const worker = (await req("POST", "/v1/admin/keys", other.adminKey, { label: "w", role: "worker" })).json.data.secret;
      await req("POST", "/v1/admin/engines", other.adminKey, {
        name: "Eng",
        version: "1",
        description: "d",
        definition: { v: 1 },
        default: true,
      });
      expect((await req("PUT", "/v1/admin/engines/Eng/1/files", other.adminKey, form(VALID_ZIP))).status).toBe(201);
      const job = (await req("POST", "/v1/jobs", user, { images: [{ name: "p.jpg", order: 0 }] })).json.data;
      expect(job.engine_name).toBe("Eng");
      const jpeg = new Uint8Array(await Bun.file(`${SHARED}/fixtures/pages/images/dev_006.jpg`).arrayBuffer());
      expect((await req("PUT", `/v1/jobs/${job.id}/images/p.jpg/files/image`, user, form(jpeg, "p.jpg"))).status).toBe(201);
      // The definition changes after the job was created: workers get the engine's current one.
      await req("PATCH", "/v1/admin/engines/Eng/1", other.adminKey, { definition: { v: 2 } });
      const lease = await req("POST", "/v1/jobs/lease", worker);
      expect(lease.json.code).toBe("JOB_LEASED");
      const seen = (await req("GET", `/v1/jobs/${lease.json.data.id}`, worker)).json.data;
      const engine = (await req("GET", "/v1/engines?name=Eng&show_definition=true", other.adminKey)).json.data[0];
      expect(seen).toMatchObject({
        engine_id: engine.id,
        engine_name: "Eng",
        engine_version: "1",
        engine_definition: { v: 2 },
        engine_files_updated: engine.files_updated,
      });
      expect(engine.last_used).not.toBeNull(); // set when the job was queued
      // Renaming the engine renames it on its jobs.
      await req("PATCH", "/v1/admin/engines/Eng/1", other.adminKey, { name: "Eng2", version: "1.1" });
      const renamed = (await req("GET", `/v1/jobs/${job.id}`, user)).json.data;
      expect(renamed).toMatchObject({ engine_name: "Eng2", engine_version: "1.1" });
      const dl = await fetch(`${other.url}/v1/engines/${seen.engine_id}/files`, { headers: { "x-api-key": worker } });
      expect(new Uint8Array(await dl.arrayBuffer())).toEqual(VALID_ZIP);
    } finally {
      await other.close();
    }
  });
});
