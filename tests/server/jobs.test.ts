/**
 * Job life cycle over real HTTP against a real PostgreSQL (docs/protocol.md §4.4–§4.12, §5): creation,
 * listing, views per role, queueing, leasing, heartbeats, progress/logs, done/error, cancel,
 * release, retries and failure after JOB_MAX_ATTEMPTS, lease expiry, lease tokens, idempotency.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { client } from "../helpers/http.ts";
import { makeKey } from "../helpers/keys.ts";
import { pngBytes, zipBytes } from "../helpers/files.ts";

let s: TestServer;
let admin: ReturnType<typeof client>;
let u: ReturnType<typeof client>;
let u2: ReturnType<typeof client>;
let w: ReturnType<typeof client>;
let w2: ReturnType<typeof client>;
let ro: ReturnType<typeof client>;
let userId: string;

beforeAll(async () => {
  s = await startTestServer({ env: { JOB_TIMEOUT_SECONDS: "300", JOB_MAX_ATTEMPTS: "3" } });
  admin = client(s, s.adminKey);
  const user = await makeKey(s, "user");
  userId = user.id;
  u = client(s, user.key);
  u2 = client(s, (await makeKey(s, "user")).key);
  w = client(s, (await makeKey(s, "worker")).key);
  w2 = client(s, (await makeKey(s, "worker")).key);
  ro = client(s, (await makeKey(s, "readonly")).key);
});
afterAll(async () => {
  await s.close();
});

/** Drains every leasable job so that each test starts with an empty queue (global FIFO, docs/protocol.md §11.22). */
async function drain() {
  for (const j of (await admin("GET", "/v1/jobs")).body.data) {
    if (["queued", "processing", "error", "new"].includes(j.state))
      await admin("PATCH", `/v1/admin/jobs/${j.id}`, { json: { state: "cancelled" } });
  }
}

async function queuedJob(images = ["a.png"], extra: Record<string, unknown> = {}, who = u) {
  const r = await who("POST", "/v1/jobs", { json: { images: images.map((name, order) => ({ name, order })), ...extra } });
  expect(r.status).toBe(201);
  const id = r.body.data.id as string;
  for (const name of images) {
    const up = await who("PUT", `/v1/jobs/${id}/images/${encodeURIComponent(name)}/files/image`, { file: pngBytes() });
    expect(up.status).toBe(201);
  }
  return id;
}

describe("creation and views", () => {
  test("POST /v1/jobs: user view strips nulls and hides internals; admin gets the full view", async () => {
    const r = await u("POST", "/v1/jobs", {
      json: {
        images: [
          { name: "b.jpg", order: 0 },
          { name: "a.png", order: 1 },
        ],
        engine_settings: { outputs: { alto: true }, api_key: "sk-secret" },
      },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 201, code: "JOB_CREATED", detail: "Job created successfully." });
    const d = r.body.data;
    expect(d.state).toBe("new");
    expect(d.progress).toBe(0);
    for (const k of [
      "log",
      "engine_id",
      "engine_definition",
      "engine_files_updated",
      "engine_settings",
      "started_date",
      "finished_date",
      "previous_attempts",
    ]) {
      expect(d).not.toHaveProperty(k);
    }
    expect(d.images).toEqual([
      { name: "b.jpg", order: 0, image_uploaded: false, alto_uploaded: false, page_uploaded: false },
      { name: "a.png", order: 1, image_uploaded: false, alto_uploaded: false, page_uploaded: false },
    ]);
    expect(d.created_date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    const g = await u("GET", `/v1/jobs/${d.id}`);
    expect(g.body.data.images).toEqual(d.images);

    const a = await admin("POST", "/v1/jobs", { json: { images: [] } });
    expect(a.status).toBe(201);
    expect(a.body.data).toHaveProperty("log", null);
    expect(a.body.data).toHaveProperty("engine_settings", null);
    expect(a.body.data).toHaveProperty("finished_date", null);
    // engine_settings reach admin (and worker) views only.
    const full = await admin("GET", `/v1/jobs/${d.id}`);
    expect(full.body.data.engine_settings).toEqual({ outputs: { alto: true }, api_key: "sk-secret" });
    expect(full.body.data.images[0].id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("422: every error at once, in pydantic shape; duplicates; engine_version for non-admins", async () => {
    const r = await u("POST", "/v1/jobs", {
      json: {
        images: [
          { order: 0, extra_key: 1 },
          { name: "x", order: "one" },
        ],
        alto_required: "ffff",
        unexpected_key: 1,
      },
    });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("REQUEST_VALIDATION_ERROR");
    const locs = r.body.details.map((d: { loc: unknown[] }) => JSON.stringify(d.loc));
    for (const l of [
      ["body", "images", 0, "name"],
      ["body", "images", 1, "order"],
      ["body", "alto_required"],
      ["body", "images", 0, "extra_key"],
      ["body", "unexpected_key"],
    ]) {
      expect(locs).toContain(JSON.stringify(l));
    }
    const lax = await u("POST", "/v1/jobs", {
      json: {
        images: [
          { name: "x", order: "1" },
          { name: "y", order: 2.0 },
        ],
        alto_required: "yes",
      },
    });
    expect(lax.status).toBe(201);
    expect(lax.body.data.alto_required).toBe(true);
    expect((await u("POST", "/v1/jobs", { json: { images: [{ name: "x", order: 1.5 }] } })).body.details[0].type).toBe("int_from_float");

    const dup = await u("POST", "/v1/jobs", {
      json: { images: ["a.png", "b.png", "a.png", "C.PNG", "c.png", "b.png"].map((name, order) => ({ name, order })), engine_version: "1" },
    });
    expect(dup.status).toBe(422);
    expect(dup.body.detail).toBe("Validation of the job definition failed. Duplicate image names are not allowed.");
    expect(dup.body.details[0]).toEqual({
      loc: ["body", "images", "name"],
      msg: "Duplicate image names found: a.png, b.png",
      type: "value_error.duplicate",
    });

    const ver = await u("POST", "/v1/jobs", { json: { images: [], engine_version: "1.0" } });
    expect([ver.status, ver.body.code]).toEqual([403, "API_KEY_FORBIDDEN_FOR_ENGINE_VERSION"]);
    const eng = await u("POST", "/v1/jobs", { json: { images: [], engine_name: "no-such-engine" } });
    expect([eng.status, eng.body.code]).toEqual([404, "ENGINE_NOT_FOUND"]);
    for (const name of ["", ".", "..", "a/b", "a\\b", "a\u0000b", "a\nb", "x".repeat(301)]) {
      const bad = await u("POST", "/v1/jobs", { json: { images: [{ name, order: 0 }] } });
      expect(bad.status).toBe(422);
    }
    expect((await u("POST", "/v1/jobs", { json: { images: [{ name: "a..b.jpg", order: 0 }] } })).status).toBe(201);
    const empty = await u("POST", "/v1/jobs", { raw: "" });
    expect(empty.body.details[0]).toMatchObject({ type: "missing", loc: ["body"] });
  });

  test("JSON syntax is checked before authentication", async () => {
    const r = await u("POST", "/v1/jobs", { raw: "{bad", key: null });
    expect(r.status).toBe(422);
    expect(r.body.details[0].type).toBe("json_invalid");
    expect(r.body.details[0].loc).toEqual(["body", 1]);
    const noKey = await u("POST", "/v1/jobs", { json: { images: [] }, key: null });
    expect(noKey.status).toBe(401);
  });

  test("GET /v1/jobs: own jobs only, filters, newest first, no log for users", async () => {
    const id = await queuedJob(["l.png"], {}, u2);
    await admin("PATCH", `/v1/admin/jobs/${id}`, { json: { log: "technical", log_user: "for user" } });
    const list = await u2("GET", "/v1/jobs");
    expect(list.status).toBe(200);
    expect(list.body.data.map((j: { id: string }) => j.id)).toContain(id);
    const item = list.body.data.find((j: { id: string }) => j.id === id);
    expect(item).not.toHaveProperty("log");
    expect(item).not.toHaveProperty("images");
    expect(item.log_user).toBe("for user");
    // Another user never sees it.
    expect((await u("GET", "/v1/jobs")).body.data.map((j: { id: string }) => j.id)).not.toContain(id);
    expect((await ro("GET", "/v1/jobs")).body.data).toEqual([]);
    const queued = await u2("GET", "/v1/jobs?state=queued");
    expect(queued.body.data.every((j: { state: string }) => j.state === "queued")).toBe(true);
    const bad = await u2("GET", "/v1/jobs?state=bogus");
    expect(bad.status).toBe(422);
    expect(bad.body.details[0]).toMatchObject({ type: "enum", loc: ["query", "state"] });
    const created = item.created_date as string;
    const since = await u2("GET", `/v1/jobs?from_created_date=${encodeURIComponent(created.replace("T", " ").replace("Z", "+00:00"))}`);
    expect(since.body.data.map((j: { id: string }) => j.id)).toContain(id);
    const later = await u2("GET", `/v1/jobs?from_created_date=2999-01-01`);
    expect(later.body.data).toEqual([]);
    const all = await admin("GET", "/v1/jobs");
    const dates = all.body.data.map((j: { created_date: string }) => j.created_date);
    expect([...dates].sort().reverse()).toEqual(dates);
    expect((await u2("GET", "/v1/jobs?from_last_change=garbage")).status).toBe(422);
  });

  test("two users cannot see or touch each other's jobs; readonly only its own", async () => {
    const id = await queuedJob(["p.png"], {}, u);
    expect((await u2("GET", `/v1/jobs/${id}`)).body.code).toBe("API_KEY_FORBIDDEN_FOR_JOB");
    expect((await u2("PATCH", `/v1/jobs/${id}`, { json: { state: "cancelled" } })).body.code).toBe("API_KEY_FORBIDDEN_FOR_JOB");
    expect((await u2("GET", `/v1/jobs/${id}/result`)).body.code).toBe("API_KEY_FORBIDDEN_FOR_JOB");
    expect((await u2("PUT", `/v1/jobs/${id}/images/p.png/files/image`, { file: pngBytes() })).body.code).toBe("API_KEY_FORBIDDEN_FOR_JOB");
    expect((await ro("GET", `/v1/jobs/${id}`)).status).toBe(403);
    expect((await w("GET", `/v1/jobs/${id}`)).body.code).toBe("API_KEY_FORBIDDEN_FOR_JOB");
    expect((await u("GET", `/v1/jobs/${crypto.randomUUID()}`)).body.code).toBe("JOB_NOT_FOUND");
    const malformed = await u("GET", "/v1/jobs/not-a-uuid");
    expect(malformed.status).toBe(422);
    expect(malformed.body.details[0]).toMatchObject({ type: "uuid_parsing", loc: ["path", "job_id"] });
    expect((await u("GET", "/v1/jobs/not-a-uuid", { key: null })).status).toBe(401);
  });

  test("idempotent creation", async () => {
    const body = { images: [{ name: "i.png", order: 0 }] };
    const a = await u("POST", "/v1/jobs", { json: body, headers: { "idempotency-key": "req-1" } });
    const b = await u("POST", "/v1/jobs", { json: body, headers: { "idempotency-key": "req-1" } });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.data.id).toBe(a.body.data.id);
    const other = await u2("POST", "/v1/jobs", { json: body, headers: { "idempotency-key": "req-1" } });
    expect(other.body.data.id).not.toBe(a.body.data.id);
    const reused = await u("POST", "/v1/jobs", { json: { images: [] }, headers: { "idempotency-key": "req-1" } });
    expect([reused.status, reused.body.code]).toEqual([422, "IDEMPOTENCY_KEY_REUSED"]);
    const many = await Promise.all(
      Array.from({ length: 6 }, () => u("POST", "/v1/jobs", { json: body, headers: { "idempotency-key": "req-2" } })),
    );
    expect(new Set(many.map((r) => r.body.data.id)).size).toBe(1);
  });
});

describe("life cycle", () => {
  test("new → queued → processing → done, with progress, logs and strictly increasing timestamps", async () => {
    await drain();
    const r = await u("POST", "/v1/jobs", {
      json: {
        images: [
          { name: "a.png", order: 0 },
          { name: "b.png", order: 1 },
        ],
      },
    });
    const id = r.body.data.id;
    await u("PUT", `/v1/jobs/${id}/images/a.png/files/image`, { file: pngBytes() });
    expect((await u("GET", `/v1/jobs/${id}`)).body.data.state).toBe("new");
    expect((await w("POST", "/v1/jobs/lease")).body.code).toBe("JOB_QUEUE_EMPTY");
    await u("PUT", `/v1/jobs/${id}/images/b.png/files/image`, { file: pngBytes() });
    expect((await u("GET", `/v1/jobs/${id}`)).body.data.state).toBe("queued");
    // Re-upload: 200 and no effect on the state.
    expect((await u("PUT", `/v1/jobs/${id}/images/b.png/files/image`, { file: pngBytes() })).body.code).toBe("JOB_NOT_IN_NEW");

    const lease = await w("POST", "/v1/jobs/lease");
    expect(lease.body.code).toBe("JOB_LEASED");
    expect(lease.body.data.id).toBe(id);
    const t0 = lease.body.data.server_time as string;
    expect(lease.body.data.lease_expire_at > t0).toBe(true);
    const job = (await w("GET", `/v1/jobs/${id}`)).body.data;
    expect(job).toMatchObject({ state: "processing", previous_attempts: 0, started_date: t0, last_change: t0, log: null });
    expect(job).toHaveProperty("engine_definition");

    const ext = await w("PATCH", `/v1/jobs/${id}/lease`);
    expect(ext.body.code).toBe("JOB_LEASE_EXTENDED");
    expect(ext.body.data.server_time > t0).toBe(true);
    expect(ext.body.data.lease_expire_at > lease.body.data.lease_expire_at).toBe(true);
    const p1 = await w("PATCH", `/v1/jobs/${id}`, { json: { progress: 1.7, log: "l1" } });
    expect(p1.body.code).toBe("JOB_UPDATED");
    expect(p1.body.data.server_time > ext.body.data.server_time).toBe(true);
    await w("PATCH", `/v1/jobs/${id}`, { json: { log: "l2\n", log_user: "" } });
    await w("PATCH", `/v1/jobs/${id}`, { json: { log: "l3", log_user: "u1" } });
    let j = (await w("GET", `/v1/jobs/${id}`)).body.data;
    expect(j.progress).toBe(1);
    expect(j.log).toBe("l1\nl2\nl3");
    expect(j.log_user).toBe("u1");
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: {} })).body.code).toBe("JOB_UPDATE_NO_FIELDS");
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "queued" } })).body.code).toBe("API_KEY_WORKER_FORBIDDEN");
    expect((await u("PATCH", `/v1/jobs/${id}`, { json: { progress: 0.2 } })).body.code).toBe("API_KEY_USER_FORBIDDEN");
    expect((await w2("PATCH", `/v1/jobs/${id}`, { json: { progress: 0.2 } })).body.code).toBe("API_KEY_FORBIDDEN_FOR_JOB");
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "done" } })).body.code).toBe("JOB_RESULT_MISSING");
    expect((await u("GET", `/v1/jobs/${id}/result`)).status).toBe(425);
    expect((await w("POST", `/v1/jobs/${id}/result`, { file: zipBytes() })).body.code).toBe("JOB_RESULT_UPLOADED");
    expect((await w("POST", `/v1/jobs/${id}/result`, { file: zipBytes({ b: "2" }) })).body.code).toBe("JOB_RESULT_REUPLOADED");
    const done = await w("PATCH", `/v1/jobs/${id}`, { json: { state: "done", progress: 0.1, log: "end" } });
    expect(done.body.code).toBe("JOB_COMPLETED");
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "done" } })).body.code).toBe("JOB_ALREADY_COMPLETED");
    // docs/protocol.md §11.16 fixed: a repeated `done` stays JOB_ALREADY_COMPLETED after the result zip is gone (the reference: 409)
    const zipPath = join(s.config.resultsDir, `${id}.zip`);
    const zipCopy = readFileSync(zipPath);
    rmSync(zipPath);
    const again = await w("PATCH", `/v1/jobs/${id}`, { json: { state: "done" } });
    expect([again.status, again.body.code]).toEqual([200, "JOB_ALREADY_COMPLETED"]);
    writeFileSync(zipPath, zipCopy);
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "error" } })).body.code).toBe("JOB_UNFINISHABLE");
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { progress: 0.5 } })).body.code).toBe("JOB_NOT_IN_PROCESSING");
    j = (await w("GET", `/v1/jobs/${id}`)).body.data;
    expect(j).toMatchObject({ state: "done", progress: 1, log: "l1\nl2\nl3\nend" });
    expect(j.finished_date).toBe(j.last_change);
    expect(j.last_change > p1.body.data.server_time).toBe(true);
    const res = await u("GET", `/v1/jobs/${id}/result`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${id}.zip"`);
    expect((await u("PATCH", `/v1/jobs/${id}`, { json: { state: "cancelled" } })).body.code).toBe("JOB_UNCANCELLABLE");
  });

  test("FIFO by creation; a worker releases a job; heartbeat/release guards", async () => {
    await drain();
    const first = await queuedJob(["1.png"]);
    const second = await queuedJob(["2.png"]);
    const l1 = await w("POST", "/v1/jobs/lease");
    expect(l1.body.data.id).toBe(first);
    expect((await w2("PATCH", `/v1/jobs/${first}/lease`)).body.code).toBe("API_KEY_FORBIDDEN_FOR_JOB");
    const rel = await w("DELETE", `/v1/jobs/${first}/lease`);
    expect(rel.status).toBe(204);
    expect(rel.text).toBe("");
    expect(rel.headers.get("content-type")).toBeNull();
    expect((await w("GET", `/v1/jobs/${first}`)).body.code).toBe("API_KEY_FORBIDDEN_FOR_JOB");
    const again = (await admin("GET", `/v1/jobs/${first}`)).body.data;
    expect(again).toMatchObject({ state: "queued", previous_attempts: null });
    expect((await w2("POST", "/v1/jobs/lease")).body.data.id).toBe(first);
    expect((await w("POST", "/v1/jobs/lease")).body.data.id).toBe(second);
    // Admin heartbeat of a job that is not processing: 409, not 500.
    await admin("PATCH", `/v1/admin/jobs/${second}`, { json: { state: "done" } });
    expect((await admin("PATCH", `/v1/jobs/${second}/lease`)).body.code).toBe("JOB_NOT_IN_PROCESSING");
    expect((await w("PATCH", `/v1/jobs/${second}/lease`)).body).toMatchObject({
      code: "JOB_NOT_IN_PROCESSING",
      details: { state: "done" },
    });
  });

  test("cancel: user cancels new/queued/processing/error; the worker then gets 409s", async () => {
    await drain();
    const id = await queuedJob(["c.png"]);
    const l = await w("POST", "/v1/jobs/lease");
    expect(l.body.data.id).toBe(id);
    const before = (await admin("GET", `/v1/jobs/${id}`)).body.data;
    const c = await u("PATCH", `/v1/jobs/${id}`, { json: { state: "cancelled", progress: 0.9 } });
    expect([c.status, c.body.code, c.body.data]).toEqual([200, "JOB_CANCELLED", null]);
    const after = (await w("GET", `/v1/jobs/${id}`)).body.data;
    expect(after.state).toBe("cancelled");
    expect(after.last_change).toBe(before.last_change);
    expect(after.progress).toBe(before.progress);
    expect(after.finished_date > before.last_change).toBe(true);
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "done" } })).body).toMatchObject({
      status: 409,
      code: "JOB_UNFINISHABLE",
      details: { state: "cancelled" },
    });
    expect((await w("PATCH", `/v1/jobs/${id}/lease`)).body.code).toBe("JOB_NOT_IN_PROCESSING");
    expect((await u("PATCH", `/v1/jobs/${id}`, { json: { state: "cancelled" } })).body.details).toEqual({ state: "cancelled" });
    const res = await u("GET", `/v1/jobs/${id}/result`);
    expect([res.status, res.body.code, res.body.detail]).toEqual([409, "JOB_CANCELLED", "Job cancelled and result is not available."]);
    const fresh = await u("POST", "/v1/jobs", { json: { images: [] } });
    expect((await u("PATCH", `/v1/jobs/${fresh.body.data.id}`, { json: { state: "cancelled" } })).body.code).toBe("JOB_CANCELLED");
  });

  test("error → retried by the next lease → failed after JOB_MAX_ATTEMPTS", async () => {
    await drain();
    const id = await queuedJob(["e.png"]);
    for (let attempt = 0; attempt < 3; attempt++) {
      const l = await w("POST", "/v1/jobs/lease");
      expect(l.body.data?.id).toBe(id);
      expect((await w("GET", `/v1/jobs/${id}`)).body.data.previous_attempts).toBe(attempt);
      const e = await w("PATCH", `/v1/jobs/${id}`, { json: { state: "error", log: `attempt ${attempt}`, progress: 0.3 } });
      expect(e.body.code).toBe("JOB_MARKED_ERROR");
      expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "error" } })).body.code).toBe("JOB_ALREADY_MARKED_ERROR");
    }
    expect((await w("POST", "/v1/jobs/lease")).body.code).toBe("JOB_QUEUE_EMPTY");
    const j = (await w("GET", `/v1/jobs/${id}`)).body.data; // still assigned: failed keeps the worker
    expect(j).toMatchObject({ state: "failed", progress: 1, previous_attempts: 2 });
    expect(j.log).toBe("attempt 0\nattempt 1\nattempt 2");
    expect((await u("GET", `/v1/jobs/${id}/result`)).body.code).toBe("JOB_FAILED");
    expect((await u("PATCH", `/v1/jobs/${id}`, { json: { state: "cancelled" } })).body.code).toBe("JOB_UNCANCELLABLE");
  });

  test("sweep, then FIFO claim: an older job this lease call requeues comes before a younger queued one", async () => {
    await drain();
    const older = await queuedJob(["o.png"]);
    expect((await w("POST", "/v1/jobs/lease")).body.data.id).toBe(older);
    await w("PATCH", `/v1/jobs/${older}`, { json: { state: "error", progress: 0.6 } });
    const younger = await queuedJob(["y.png"]);
    const l1 = await w2("POST", "/v1/jobs/lease"); // sweeps `older` back to the queue, where it is first by created_date
    expect(l1.body.data.id).toBe(older);
    const j = (await w2("GET", `/v1/jobs/${older}`)).body.data;
    expect(j).toMatchObject({ state: "processing", progress: 0, previous_attempts: 1 });
    expect(j.started_date).toBe(l1.body.data.server_time);
    expect((await w("POST", "/v1/jobs/lease")).body.data.id).toBe(younger);
    expect((await w("POST", "/v1/jobs/lease")).body.code).toBe("JOB_QUEUE_EMPTY");
    await admin("PATCH", `/v1/admin/jobs/${older}`, { json: { state: "done" } });
    await admin("PATCH", `/v1/admin/jobs/${younger}`, { json: { state: "done" } });
  });

  test("stale lease token → 409 and nothing changes; the current token works", async () => {
    await drain();
    const id = await queuedJob(["t.png"]);
    const first = await w("POST", "/v1/jobs/lease");
    const oldToken = first.body.data.lease_token as string;
    expect(oldToken).toBeTruthy();
    await w("DELETE", `/v1/jobs/${id}/lease`, { headers: { "x-lease-token": oldToken } });
    const second = await w("POST", "/v1/jobs/lease"); // same worker key, new lease
    const newToken = second.body.data.lease_token as string;
    expect(newToken).not.toBe(oldToken);
    const before = (await w("GET", `/v1/jobs/${id}`)).body.data;
    for (const [method, path, o] of [
      ["PATCH", `/v1/jobs/${id}`, { json: { progress: 0.5 } }],
      ["PATCH", `/v1/jobs/${id}/lease`, {}],
      ["DELETE", `/v1/jobs/${id}/lease`, {}],
      ["POST", `/v1/jobs/${id}/result`, { file: zipBytes() }],
      ["POST", `/v1/jobs/${id}/artifacts`, { file: zipBytes() }],
    ] as const) {
      const r = await w(method, path, { ...o, headers: { "x-lease-token": oldToken } });
      expect([r.status, r.body.code]).toEqual([409, "JOB_LEASE_TOKEN_STALE"]);
    }
    // a token that is no UUID at all, or the current one in other letters, is just as stale (and no 500)
    for (const token of ["not-a-uuid", newToken.toUpperCase()]) {
      for (const json of [{ progress: 0.5 }, { state: "error" }]) {
        const r = await w("PATCH", `/v1/jobs/${id}`, { json, headers: { "x-lease-token": token } });
        expect([r.status, r.body.code]).toEqual([409, "JOB_LEASE_TOKEN_STALE"]);
      }
    }
    expect((await w("GET", `/v1/jobs/${id}`)).body.data).toEqual(before);
    expect(existsSync(join(s.config.resultsDir, `${id}.zip`))).toBe(false);
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { progress: 0.5 }, headers: { "x-lease-token": newToken } })).body.code).toBe(
      "JOB_UPDATED",
    );
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { progress: 0.6 } })).body.code).toBe("JOB_UPDATED"); // no header: reference rules
  });

  test("admin: PATCH /v1/admin/jobs (any state, append_logs), debug start, artifacts", async () => {
    const r = await u("POST", "/v1/jobs", { json: { images: [] } });
    const id = r.body.data.id;
    expect((await admin("PUT", `/debug/jobs/${id}/start`)).body.code).toBe("JOB_STARTED");
    expect((await admin("PUT", `/debug/jobs/${id}/start`)).body.code).toBe("JOB_ALREADY_STARTED");
    const notReady = await u("POST", "/v1/jobs", { json: { images: [{ name: "x.png", order: 0 }] } });
    expect((await admin("PUT", `/debug/jobs/${notReady.body.data.id}/start`)).body.code).toBe("JOB_NOT_READY");
    expect((await admin("PUT", `/debug/jobs/${crypto.randomUUID()}/start`)).body.code).toBe("JOB_NOT_FOUND");
    expect((await admin("PATCH", `/v1/admin/jobs/${crypto.randomUUID()}`, { json: {} })).body.code).toBe("JOB_NOT_FOUND");
    expect((await admin("PATCH", `/v1/admin/jobs/${id}`, { json: { log: "a", whatever: 1 } })).body).toMatchObject({
      code: "JOB_UPDATED",
      detail: "Job was updated successfully.",
    });
    await admin("PATCH", `/v1/admin/jobs/${id}`, { json: { log: "b" } });
    expect((await admin("GET", `/v1/jobs/${id}`)).body.data.log).toBe("a\nb");
    await admin("PATCH", `/v1/admin/jobs/${id}?append_logs=false`, {
      json: { log: "c", state: "done", progress: 0.25, previous_attempts: 1 },
    });
    expect((await admin("GET", `/v1/jobs/${id}`)).body.data).toMatchObject({
      log: "c",
      state: "done",
      progress: 0.25,
      previous_attempts: 1,
    });
    expect((await admin("PATCH", `/v1/admin/jobs/${id}?append_logs=maybe`, { json: {} })).body.details[0]).toMatchObject({
      type: "bool_parsing",
      loc: ["query", "append_logs"],
    });
    expect((await admin("GET", `/v1/admin/jobs/${id}/artifacts`)).body.code).toBe("JOB_ARTIFACTS_NOT_FOUND");
    expect((await admin("POST", `/v1/jobs/${id}/artifacts`, { file: zipBytes() })).body.code).toBe("JOB_ARTIFACTS_UPLOADED");
    const art = await admin("GET", `/v1/admin/jobs/${id}/artifacts`);
    expect(art.status).toBe(200);
    expect(art.headers.get("content-disposition")).toBe(`attachment; filename="${id}.zip"`);
  });

  test("user id is the owner of created jobs in the database", async () => {
    const r = await u("POST", "/v1/jobs", { json: { images: [] } });
    const rows = await s.deps.sql`SELECT owner_key_id FROM jobs WHERE id = ${r.body.data.id}`;
    expect(rows[0]!.owner_key_id).toBe(userId);
  });
});

describe("jobs and engines", () => {
  test("engine selection, ENGINE_INACTIVE, engine fields per view, engine last_used on queueing, list filter", async () => {
    const def = { model: "m1", threshold: 0.5 };
    expect(
      (
        await admin("POST", "/v1/admin/engines", {
          json: { name: "EngJ", version: "1.0", description: "d", definition: def, active: false },
        })
      ).status,
    ).toBe(201);
    const inactive = await u("POST", "/v1/jobs", { json: { images: [], engine_name: "EngJ" } });
    expect([inactive.status, inactive.body.code]).toEqual([409, "ENGINE_INACTIVE"]);
    // An admin may name an inactive version explicitly.
    expect((await admin("POST", "/v1/jobs", { json: { images: [], engine_name: "EngJ", engine_version: "1.0" } })).status).toBe(201);
    await admin("PATCH", "/v1/admin/engines/EngJ/1.0", { json: { active: true } });
    await drain();
    const created = await u("POST", "/v1/jobs", {
      json: { images: [{ name: "e.png", order: 0 }], engine_name: "EngJ", engine_settings: { outputs: { crops: true } } },
    });
    expect(created.body.data).toMatchObject({ engine_name: "EngJ", engine_version: "1.0" });
    expect(created.body.data).not.toHaveProperty("engine_definition");
    const id = created.body.data.id;
    await u("PUT", `/v1/jobs/${id}/images/e.png/files/image`, { file: pngBytes() });
    const eng = await s.deps.sql`SELECT id, last_used FROM engines WHERE name = 'EngJ'`;
    expect(eng[0]!.last_used).not.toBeNull();
    expect((await w("POST", "/v1/jobs/lease")).body.data.id).toBe(id);
    const full = (await w("GET", `/v1/jobs/${id}`)).body.data;
    expect(full).toMatchObject({
      engine_id: eng[0]!.id,
      engine_definition: def,
      engine_files_updated: null,
      engine_settings: { outputs: { crops: true } },
    });
    const user = (await u("GET", `/v1/jobs/${id}`)).body.data;
    for (const k of ["engine_id", "engine_definition", "engine_files_updated", "engine_settings"]) expect(user).not.toHaveProperty(k);
    const listed = (await u("GET", "/v1/jobs?engine_name=EngJ&engine_version=1.0")).body.data;
    expect(listed.map((j: { id: string }) => j.id)).toEqual([id]);
  });

  test("re-uploads while the job is new answer 200 and do not queue it", async () => {
    const r = await u("POST", "/v1/jobs", {
      json: {
        images: [
          { name: "a.png", order: 0 },
          { name: "b.png", order: 1 },
        ],
        page_required: true,
      },
    });
    const id = r.body.data.id;
    expect((await u("PUT", `/v1/jobs/${id}/images/a.png/files/image`, { file: pngBytes() })).body.code).toBe("IMAGE_UPLOADED");
    expect((await u("PUT", `/v1/jobs/${id}/images/a.png/files/image`, { file: pngBytes(8, 8) })).body).toMatchObject({
      status: 200,
      code: "IMAGE_REUPLOADED",
      data: null,
    });
    const page = "<PcGts><Page/></PcGts>";
    expect((await u("PUT", `/v1/jobs/${id}/images/a.png/files/page`, { file: page })).body.code).toBe("PAGE_UPLOADED");
    expect((await u("PUT", `/v1/jobs/${id}/images/a.png/files/page`, { file: page })).body.code).toBe("PAGE_REUPLOADED");
    expect((await u("PUT", `/v1/jobs/${id}/images/a.png/files/alto`, { file: "<alto/>" })).body.code).toBe("ALTO_NOT_REQUIRED");
    expect((await u("GET", `/v1/jobs/${id}`)).body.data.state).toBe("new");
    const rows = await s.deps.sql`SELECT image_width FROM images WHERE job_id = ${id} AND name = 'a.png'`;
    expect(rows[0]!.image_width).toBe(8);
  });

  test("artifacts re-upload and PAGE_GONE", async () => {
    await drain();
    const r = await u("POST", "/v1/jobs", { json: { images: [{ name: "g.png", order: 0 }], page_required: true } });
    const id = r.body.data.id;
    await u("PUT", `/v1/jobs/${id}/images/g.png/files/image`, { file: pngBytes() });
    await u("PUT", `/v1/jobs/${id}/images/g.png/files/page`, { file: "<PcGts/>" });
    const job = (await w("POST", "/v1/jobs/lease")).body.data;
    expect(job.id).toBe(id);
    expect((await w("POST", `/v1/jobs/${id}/artifacts`, { file: zipBytes() })).body.code).toBe("JOB_ARTIFACTS_UPLOADED");
    expect((await w("POST", `/v1/jobs/${id}/artifacts`, { file: zipBytes() })).body.code).toBe("JOB_ARTIFACTS_REUPLOADED");
    const imageId = (await w("GET", `/v1/jobs/${id}`)).body.data.images[0].id;
    rmSync(join(s.config.jobsDir, id, `${imageId}.page.xml`));
    expect((await w("GET", `/v1/jobs/${id}/images/${imageId}/files/page`)).body.code).toBe("PAGE_GONE");
  });
});

describe("lease expiry", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      env: { JOB_TIMEOUT_SECONDS: "1", JOB_TIMEOUT_GRACE_SECONDS: "0", JOB_MAX_ATTEMPTS: "2", SWEEP_INTERVAL_SECONDS: "1" },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  test("expired lease → requeued (old worker locked out) → failed after the last attempt", async () => {
    const tu = client(t, (await makeKey(t, "user")).key);
    const tw1 = client(t, (await makeKey(t, "worker")).key);
    const tw2 = client(t, (await makeKey(t, "worker")).key);
    const r = await tu("POST", "/v1/jobs", { json: { images: [{ name: "x.png", order: 0 }] } });
    const id = r.body.data.id;
    await tu("PUT", `/v1/jobs/${id}/images/x.png/files/image`, { file: pngBytes() });
    const l1 = await tw1("POST", "/v1/jobs/lease");
    expect(l1.body.data.id).toBe(id);
    expect((await tw2("POST", "/v1/jobs/lease")).body.code).toBe("JOB_QUEUE_EMPTY");
    await Bun.sleep(1200);
    // The lease call's sweep requeues the timed-out job and hands it to the next worker.
    const l2 = await tw2("POST", "/v1/jobs/lease");
    expect(l2.body.data?.id).toBe(id);
    expect((await tw1("PATCH", `/v1/jobs/${id}/lease`)).body.code).toBe("API_KEY_FORBIDDEN_FOR_JOB");
    expect((await tw2("GET", `/v1/jobs/${id}`)).body.data.previous_attempts).toBe(1);
    // Second (last) attempt times out too: the background sweeper fails it without any lease call.
    await Bun.sleep(2600);
    const j = (await tw2("GET", `/v1/jobs/${id}`)).body.data;
    expect(j).toMatchObject({ state: "failed", progress: 1 });
    expect((await tw2("PATCH", `/v1/jobs/${id}/lease`)).body).toMatchObject({
      code: "JOB_NOT_IN_PROCESSING",
      details: { state: "failed" },
    });
  });

  test("an error job waits for the next lease call (the background sweep takes stale leases only), which retries it at once", async () => {
    const tu = client(t, (await makeKey(t, "user")).key);
    const tw = client(t, (await makeKey(t, "worker")).key);
    const id = (await tu("POST", "/v1/jobs", { json: { images: [{ name: "x.png", order: 0 }] } })).body.data.id;
    await tu("PUT", `/v1/jobs/${id}/images/x.png/files/image`, { file: pngBytes() });
    expect((await tw("POST", "/v1/jobs/lease")).body.data.id).toBe(id);
    expect((await tw("PATCH", `/v1/jobs/${id}`, { json: { state: "error", log: "boom" } })).body.code).toBe("JOB_MARKED_ERROR");
    await Bun.sleep(2500); // two and more background sweeps
    expect((await tu("GET", `/v1/jobs/${id}`)).body.data.state).toBe("error");
    const again = await tw("POST", "/v1/jobs/lease");
    expect(again.body.data.id).toBe(id);
    expect((await tw("GET", `/v1/jobs/${id}`)).body.data).toMatchObject({ state: "processing", previous_attempts: 1 });
  });
});
