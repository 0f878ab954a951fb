/**
 * Leasing under concurrency and long-poll wake-ups, over real HTTP against a real PostgreSQL:
 * 8 concurrent workers leasing 300 jobs lease each job exactly once; a long-polling lease call
 * returns within 100 ms of a job being queued — woken in-process, and across replicas by
 * LISTEN/NOTIFY (a second server on the same database).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadServerConfig } from "../../src/config.ts";
import { startServer } from "../../src/cli/serve.ts";
import type { RunningServer } from "../../src/server/serve.ts";
import { ADMIN_KEY, startTestServer, type TestServer } from "../helpers/server.ts";
import { client } from "../helpers/http.ts";
import { makeKey } from "../helpers/keys.ts";
import { pngBytes } from "../helpers/files.ts";

let s: TestServer;
let admin: ReturnType<typeof client>;
let u: ReturnType<typeof client>;

beforeAll(async () => {
  // The periodic re-check of a waiting lease (1 s by default) is set past every wait here, so a waiting worker
  // that gets a job was woken for it (in process, or by NOTIFY from another replica).
  s = await startTestServer({ env: { DATABASE_POOL_SIZE: "20", LEASE_RECHECK_MS: "30000" } });
  admin = client(s, s.adminKey);
  u = client(s, (await makeKey(s, "user")).key);
});
afterAll(async () => {
  await s.close();
});

async function createAndStart(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async () => {
        const r = await u("POST", "/v1/jobs", { json: { images: [] } });
        expect(r.status).toBe(201);
        expect((await admin("PUT", `/debug/jobs/${r.body.data.id}/start`)).body.code).toBe("JOB_STARTED");
        return r.body.data.id as string;
      }),
    );
    ids.push(...batch);
  }
  return ids;
}

describe("concurrent leasing", () => {
  test("8 concurrent workers leasing 300 jobs lease each job exactly once", async () => {
    const ids = await createAndStart(300);
    const workers = await Promise.all(Array.from({ length: 8 }, () => makeKey(s, "worker")));
    const leased = await Promise.all(
      workers.map(async (wk) => {
        const w = client(s, wk.key);
        const mine: string[] = [];
        for (;;) {
          const r = await w("POST", "/v1/jobs/lease");
          expect(r.status).toBe(200);
          if (r.body.code === "JOB_QUEUE_EMPTY") return mine;
          expect(r.body.code).toBe("JOB_LEASED");
          mine.push(r.body.data.id);
        }
      }),
    );
    const all = leased.flat();
    expect(all.length).toBe(300);
    expect(new Set(all).size).toBe(300);
    expect([...all].sort()).toEqual([...ids].sort());
    // Work was spread over the workers, and the database agrees with what each was told.
    expect(leased.filter((l) => l.length > 0).length).toBeGreaterThan(1);
    const rows = await s.deps.sql<{ id: string; worker_key_id: string; state: string; previous_attempts: number }[]>`
      SELECT id, worker_key_id, state::text AS state, previous_attempts FROM jobs WHERE id IN ${s.deps.sql(ids)}`;
    const owner = new Map(rows.map((r) => [r.id, r]));
    leased.forEach((list, i) => {
      for (const id of list)
        expect(owner.get(id)).toMatchObject({ worker_key_id: workers[i]!.id, state: "PROCESSING", previous_attempts: 0 });
    });
    for (const id of ids) await admin("PATCH", `/v1/admin/jobs/${id}`, { json: { state: "done" } });
  }, 60_000);
});

describe("long-poll leasing", () => {
  test("wait=0 answers at once; an empty queue answers JOB_QUEUE_EMPTY after the wait; wait>60 is a 422", async () => {
    const w = client(s, (await makeKey(s, "worker")).key);
    let t = performance.now();
    expect((await w("POST", "/v1/jobs/lease?wait=0")).body.code).toBe("JOB_QUEUE_EMPTY");
    expect(performance.now() - t).toBeLessThan(950); // does not wait like wait=1 below
    t = performance.now();
    expect((await w("POST", "/v1/jobs/lease?wait=1")).body.code).toBe("JOB_QUEUE_EMPTY");
    expect(performance.now() - t).toBeGreaterThanOrEqual(950);
    const bad = await w("POST", "/v1/jobs/lease?wait=61");
    expect(bad.status).toBe(422);
    expect(bad.body.details[0].loc).toEqual(["query", "wait"]);
  });

  test("a waiting worker is woken by the job's last upload (same server)", async () => {
    const w = client(s, (await makeKey(s, "worker")).key);
    const r = await u("POST", "/v1/jobs", { json: { images: [{ name: "a.png", order: 0 }] } });
    const id = r.body.data.id;
    const started = performance.now();
    const pending = w("POST", "/v1/jobs/lease?wait=20").then((res) => ({ res, at: performance.now() }));
    await Bun.sleep(300);
    const up = await u("PUT", `/v1/jobs/${id}/images/a.png/files/image`, { file: pngBytes() });
    const queuedAt = performance.now();
    expect(up.body.code).toBe("IMAGE_UPLOADED");
    const { res, at } = await pending;
    expect(res.body.code).toBe("JOB_LEASED");
    expect(res.body.data.id).toBe(id);
    expect(at - started).toBeGreaterThanOrEqual(290);
    expect(at - queuedAt).toBeLessThan(10_000); // without the wake-up: JOB_QUEUE_EMPTY after 20 s
  });

  test("LISTEN/NOTIFY wakes a worker waiting on another replica", async () => {
    const baseDir = mkdtempSync(join(tmpdir(), "annopage-replica-"));
    let replica: RunningServer | undefined;
    try {
      replica = await startServer(
        loadServerConfig({
          APP_HOST: "127.0.0.1",
          APP_PORT: "0",
          BASE_DIR: baseDir,
          ADMIN_KEY,
          DATABASE_URL: s.database!.url,
          SWEEP_INTERVAL_SECONDS: "3600",
          LEASE_RECHECK_MS: "30000",
        }),
      );
      const w = client(replica, (await makeKey(s, "worker")).key);
      const r = await u("POST", "/v1/jobs", { json: { images: [] } });
      const id = r.body.data.id;
      for (let round = 0; round < 3; round++) {
        const jobId = round === 0 ? id : (await u("POST", "/v1/jobs", { json: { images: [] } })).body.data.id;
        const pending = w("POST", "/v1/jobs/lease?wait=20").then((res) => ({ res, at: performance.now() }));
        await Bun.sleep(200 + round * 150);
        const started = await admin("PUT", `/debug/jobs/${jobId}/start`); // queued on the first server
        const queuedAt = performance.now();
        expect(started.body.code).toBe("JOB_STARTED");
        const { res, at } = await pending;
        expect(res.body.data?.id).toBe(jobId);
        expect(at - queuedAt).toBeLessThan(10_000); // without NOTIFY: JOB_QUEUE_EMPTY after 20 s
      }
    } finally {
      await replica?.stop();
      rmSync(baseDir, { recursive: true, force: true });
    }
  }, 30_000);
});
