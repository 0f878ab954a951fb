/**
 * The job life cycle on the embedded database (PGlite behind its socket server): the same HTTP
 * routes as on PostgreSQL — uploads queue the job, a long-polling worker is woken in-process
 * (the periodic re-check is set to 30 s, past the wait, so only the wake-up can hand it the job), progress/result/done, release, retries → failed, lease expiry swept in the
 * background, and concurrent workers never lease a job twice.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { client } from "../helpers/http.ts";
import { makeKey } from "../helpers/keys.ts";
import { pngBytes, zipBytes } from "../helpers/files.ts";

let s: TestServer;
let admin: ReturnType<typeof client>;
let u: ReturnType<typeof client>;
let w: ReturnType<typeof client>;

beforeAll(async () => {
  s = await startTestServer({
    embedded: true,
    env: {
      JOB_TIMEOUT_SECONDS: "1",
      JOB_TIMEOUT_GRACE_SECONDS: "0",
      SWEEP_INTERVAL_SECONDS: "1",
      JOB_MAX_ATTEMPTS: "2",
      LEASE_RECHECK_MS: "30000",
    },
  });
  admin = client(s, s.adminKey);
  u = client(s, (await makeKey(s, "user")).key);
  w = client(s, (await makeKey(s, "worker")).key);
}, 60_000);
afterAll(async () => {
  await s.close();
});

describe("embedded database", () => {
  test("create → upload → long-poll lease woken by the upload → progress → result → done → download", async () => {
    const r = await u("POST", "/v1/jobs", {
      json: { images: [{ name: "a.png", order: 0 }], meta_json_required: true, engine_settings: { k: 1 } },
    });
    expect(r.status).toBe(201);
    const id = r.body.data.id;
    await u("PUT", `/v1/jobs/${id}/images/a.png/files/image`, { file: pngBytes() });
    const pending = w("POST", "/v1/jobs/lease?wait=20").then((res) => ({ res, at: performance.now() }));
    await Bun.sleep(250);
    expect((await u("PUT", `/v1/jobs/${id}/files/metadata`, { json: { a: 1 } })).body.code).toBe("META_JSON_UPLOADED");
    const queuedAt = performance.now();
    const { res, at } = await pending;
    expect(res.body.data.id).toBe(id);
    expect(at - queuedAt).toBeLessThan(10_000); // without the wake-up: JOB_QUEUE_EMPTY after 20 s (re-check 30 s)
    const job = (await w("GET", `/v1/jobs/${id}`)).body.data;
    expect(job).toMatchObject({ state: "processing", previous_attempts: 0, engine_settings: { k: 1 } });
    const p = await w("PATCH", `/v1/jobs/${id}`, { json: { progress: 0.5, log_user: "half" } });
    expect(p.body.data.server_time > res.body.data.server_time).toBe(true);
    expect((await w("GET", `/v1/jobs/${id}/images/${job.images[0].id}/files/image`)).status).toBe(200);
    expect((await w("POST", `/v1/jobs/${id}/result`, { file: zipBytes() })).body.code).toBe("JOB_RESULT_UPLOADED");
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "done" } })).body.code).toBe("JOB_COMPLETED");
    const result = await u("GET", `/v1/jobs/${id}/result`);
    expect(result.status).toBe(200);
    expect((await u("GET", `/v1/jobs/${id}`)).body.data).toMatchObject({ state: "done", progress: 1, log_user: "half" });
  });

  test("release, error → retry → failed, and a lease that expires is swept in the background", async () => {
    const id = (await u("POST", "/v1/jobs", { json: { images: [] } })).body.data.id;
    await admin("PUT", `/debug/jobs/${id}/start`);
    expect((await w("POST", "/v1/jobs/lease")).body.data.id).toBe(id);
    expect((await w("DELETE", `/v1/jobs/${id}/lease`)).status).toBe(204);
    expect((await w("POST", "/v1/jobs/lease")).body.data.id).toBe(id);
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "error" } })).body.code).toBe("JOB_MARKED_ERROR");
    expect((await w("POST", "/v1/jobs/lease")).body.data.id).toBe(id); // retried at once
    expect((await w("GET", `/v1/jobs/${id}`)).body.data.previous_attempts).toBe(1);
    // Last attempt: no heartbeat → the background sweeper fails the job.
    await Bun.sleep(2500);
    expect((await w("GET", `/v1/jobs/${id}`)).body.data).toMatchObject({ state: "failed", progress: 1 });
  });

  test("4 concurrent workers lease 40 jobs exactly once", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const id = (await u("POST", "/v1/jobs", { json: { images: [] } })).body.data.id;
      await admin("PUT", `/debug/jobs/${id}/start`);
      ids.push(id);
    }
    const workers = await Promise.all(Array.from({ length: 4 }, async () => client(s, (await makeKey(s, "worker")).key)));
    const got = await Promise.all(
      workers.map(async (wk) => {
        const mine: string[] = [];
        for (;;) {
          const r = await wk("POST", "/v1/jobs/lease");
          if (r.body.code !== "JOB_LEASED") return mine;
          mine.push(r.body.data.id);
        }
      }),
    );
    const all = got.flat();
    expect(all.length).toBe(40);
    expect(new Set(all)).toEqual(new Set(ids));
  }, 30_000);
});
