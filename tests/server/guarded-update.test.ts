/**
 * Job changes applied to the row version that was guarded (src/server/jobs/guarded-update.ts, sql/006_record_upload.sql), against a real
 * PostgreSQL: a change made with a version that has moved on touches nothing; concurrent uploads of one job (images
 * and metadata, which changes the job row and forces the retry path) always queue it exactly once; a user's cancel
 * racing the worker's done ends with exactly one of them applied; progress, heartbeats and done of one worker
 * racing each other all succeed and leave the job done. Job reads carry the technical log only where a view shows it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  cancelJob,
  findJob,
  findJobAndImage,
  findJobWithImages,
  insertJobReturningView,
  listJobs,
  recordUpload,
} from "../../src/db/jobs.ts";
import { applyWorkerUpdate, releaseJob, touchJob } from "../../src/db/lease.ts";
import { Subscription } from "../../src/db/listen.ts";
import { JOB_CHANGED, untilApplied } from "../../src/server/jobs/guarded-update.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { client } from "../helpers/http.ts";
import { makeKey } from "../helpers/keys.ts";
import { pngBytes, zipBytes } from "../helpers/files.ts";

let s: TestServer;
let admin: ReturnType<typeof client>;
let user: { key: string; id: string };
let u: ReturnType<typeof client>;

beforeAll(async () => {
  s = await startTestServer({ env: { DATABASE_POOL_SIZE: "20" } });
  admin = client(s, s.adminKey);
  user = await makeKey(s, "user");
  u = client(s, user.key);
});
afterAll(async () => {
  await s.close();
});

const now = () => new Date().toISOString();

describe("untilApplied", () => {
  test("runs the step again while it answers JOB_CHANGED; a step that never applies ends in an error", async () => {
    let calls = 0;
    expect(await untilApplied(async () => (++calls < 4 ? JOB_CHANGED : "applied"))).toBe("applied");
    expect(calls).toBe(4);
    calls = 0;
    await expect(untilApplied(async () => (++calls, JOB_CHANGED))).rejects.toThrow("100 attempts");
    expect(calls).toBe(100);
  });
});

describe("row versions (db)", () => {
  test("a change made with a version that has moved on touches nothing; the new version works", async () => {
    const { job, images } = await insertJobReturningView(s.deps.sql, {
      ownerKeyId: user.id,
      engineId: null,
      definition: {},
      altoRequired: false,
      pageRequired: false,
      metaJsonRequired: false,
      engineSettings: null,
      images: [{ name: "a.png", order: 0 }],
      now: now(),
    });
    const v1 = job.row_version;
    expect(v1).toMatch(/^\d+$/);
    expect((await findJob(s.deps.sql, job.id))!.row_version).toBe(v1); // reading does not change it

    expect(await cancelJob(s.deps.sql, job.id, v1, now())).toBe(true);
    const v2 = (await findJob(s.deps.sql, job.id))!.row_version;
    expect(v2).not.toBe(v1);

    // Everything with the old version: nothing happens.
    const stale = await recordUpload(
      s.deps.sql,
      job.id,
      v1,
      { kind: "image", imageId: images[0]!.id, md5: "0".repeat(32), format: "png", width: 1, height: 1 },
      now(),
    );
    expect(stale).toEqual({ changed: true, first: false, queued: false });
    expect((await findJobAndImage(s.deps.sql, job.id, { id: images[0]!.id }))!.image!.image_uploaded).toBe(false);
    expect(await cancelJob(s.deps.sql, job.id, v1, now())).toBe(false);
    expect(await touchJob(s.deps.sql, job.id, v1, now())).toBeUndefined();
    expect(await releaseJob(s.deps.sql, job.id, v1, now())).toBe(false);
    expect(await applyWorkerUpdate(s.deps.sql, job.id, v1, { state: "done" }, now())).toBeUndefined();
    const after = (await findJob(s.deps.sql, job.id))!;
    expect(after.state).toBe("cancelled");
    expect(after.row_version).toBe(v2);

    // With the current version the change applies (the db layer itself does not guard states; routes do).
    expect(await touchJob(s.deps.sql, job.id, v2, now())).toMatch(/^\d{4}-/);
    expect(await recordUpload(s.deps.sql, job.id, v2, { kind: "metadata" }, now())).toMatchObject({ changed: true }); // the touch moved it on
    const v3 = (await findJob(s.deps.sql, job.id))!.row_version;
    expect(await recordUpload(s.deps.sql, job.id, v3, { kind: "metadata" }, now())).toEqual({ changed: false, first: true, queued: false });
    const v4 = (await findJob(s.deps.sql, job.id))!.row_version; // metadata is a column of the job: a new version
    expect(v4).not.toBe(v3);
    expect(await recordUpload(s.deps.sql, job.id, v4, { kind: "metadata" }, now())).toEqual({
      changed: false,
      first: false,
      queued: false,
    });
  });

  test("recording the last file queues the job once and notifies other replicas", async () => {
    const heard: string[] = [];
    const sub = new Subscription(s.deps.sql, "annopage_job_queued", (p) => heard.push(p));
    await sub.open();
    try {
      const { job, images } = await insertJobReturningView(s.deps.sql, {
        ownerKeyId: user.id,
        engineId: null,
        definition: {},
        altoRequired: true,
        pageRequired: false,
        metaJsonRequired: false,
        engineSettings: null,
        images: [{ name: "a.png", order: 0 }],
        now: now(),
      });
      const img = { kind: "image" as const, imageId: images[0]!.id, md5: "1".repeat(32), format: "png", width: 2, height: 3 };
      let v = job.row_version;
      expect(await recordUpload(s.deps.sql, job.id, v, img, now())).toEqual({ changed: false, first: true, queued: false });
      expect(await recordUpload(s.deps.sql, job.id, v, img, now())).toEqual({ changed: false, first: false, queued: false });
      v = (await findJob(s.deps.sql, job.id))!.row_version; // image flags live in images: the job row did not change
      expect(v).toBe(job.row_version);
      expect(await recordUpload(s.deps.sql, job.id, v, { kind: "alto", imageId: images[0]!.id }, now())).toEqual({
        changed: false,
        first: true,
        queued: true,
      });
      const queued = await findJobAndImage(s.deps.sql, job.id, { id: images[0]!.id });
      expect(queued!.job.state).toBe("queued");
      expect(queued!.image).toMatchObject({
        image_uploaded: true,
        alto_uploaded: true,
        imagehash: "1".repeat(32),
        image_width: 2,
        image_height: 3,
      });
      // Once queued, the job row moved on: a later record with the old version changes nothing.
      expect((await recordUpload(s.deps.sql, job.id, v, { kind: "alto", imageId: images[0]!.id }, now())).changed).toBe(true);
      const deadline = Date.now() + 2000;
      while (heard.length === 0 && Date.now() < deadline) await Bun.sleep(10);
      expect(heard).toEqual(["1"]);
      await admin("PATCH", `/v1/admin/jobs/${job.id}`, { json: { state: "cancelled" } }); // out of the queue
    } finally {
      await sub.close();
    }
  });
});

describe("races over HTTP", () => {
  test("12 jobs × 5 images + metadata uploaded all at once: every job is queued, every upload answered 201", async () => {
    const jobs = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const r = await u("POST", "/v1/jobs", {
          json: { images: [0, 1, 2, 3, 4].map((i) => ({ name: `p${i}.png`, order: i })), meta_json_required: true },
        });
        expect(r.status).toBe(201);
        return r.body.data.id as string;
      }),
    );
    const png = pngBytes(8, 8);
    const uploads = jobs.flatMap((id) => [
      ...[0, 1, 2, 3, 4].map((i) => u("PUT", `/v1/jobs/${id}/images/p${i}.png/files/image`, { file: png })),
      u("PUT", `/v1/jobs/${id}/files/metadata`, { json: { id } }),
    ]);
    const answers = await Promise.all(uploads);
    for (const a of answers) expect([a.status, a.body.code]).toEqual([201, expect.stringMatching(/^(IMAGE|META_JSON)_UPLOADED$/)]);
    for (const id of jobs) {
      const j = await u("GET", `/v1/jobs/${id}`);
      expect(j.body.data.state).toBe("queued");
      expect(j.body.data.images.every((i: { image_uploaded: boolean }) => i.image_uploaded)).toBe(true);
    }
    await Promise.all(jobs.map((id) => admin("PATCH", `/v1/admin/jobs/${id}`, { json: { state: "cancelled" } })));
  }, 60_000);

  test("a user's cancel racing the worker's done: exactly one wins, the other gets its 409", async () => {
    const w = client(s, (await makeKey(s, "worker")).key);
    const outcomes = new Set<string>();
    for (let round = 0; round < 15; round++) {
      const id = (await u("POST", "/v1/jobs", { json: { images: [] } })).body.data.id as string;
      expect((await admin("PUT", `/debug/jobs/${id}/start`)).body.code).toBe("JOB_STARTED");
      const lease = await w("POST", "/v1/jobs/lease");
      expect(lease.body.data.id).toBe(id);
      expect((await w("POST", `/v1/jobs/${id}/result`, { file: zipBytes() })).status).toBe(201);
      const [cancel, done] = await Promise.all([
        u("PATCH", `/v1/jobs/${id}`, { json: { state: "cancelled" } }),
        w("PATCH", `/v1/jobs/${id}`, { json: { state: "done" } }),
      ]);
      const final = (await u("GET", `/v1/jobs/${id}`)).body.data.state;
      if (final === "cancelled") {
        expect([cancel.body.code, done.status, done.body.code]).toEqual(["JOB_CANCELLED", 409, "JOB_UNFINISHABLE"]);
      } else {
        expect(final).toBe("done");
        expect([done.body.code, cancel.status, cancel.body.code]).toEqual(["JOB_COMPLETED", 409, "JOB_UNCANCELLABLE"]);
      }
      outcomes.add(final);
    }
    expect(outcomes.size).toBeGreaterThan(0);
  }, 60_000);

  test("progress, heartbeats and done of one worker at once all succeed; the job ends done with every log line", async () => {
    const w = client(s, (await makeKey(s, "worker")).key);
    const id = (await u("POST", "/v1/jobs", { json: { images: [] } })).body.data.id as string;
    await admin("PUT", `/debug/jobs/${id}/start`);
    expect((await w("POST", "/v1/jobs/lease")).body.data.id).toBe(id);
    const calls = [
      ...Array.from({ length: 10 }, (_, i) => w("PATCH", `/v1/jobs/${id}`, { json: { progress: i / 10, log: `line ${i}` } })),
      ...Array.from({ length: 10 }, () => w("PATCH", `/v1/jobs/${id}/lease`)),
    ];
    const answers = await Promise.all(calls);
    for (const a of answers) expect([a.status, a.body.code]).toEqual([200, expect.stringMatching(/^(JOB_UPDATED|JOB_LEASE_EXTENDED)$/)]);
    expect((await w("POST", `/v1/jobs/${id}/result`, { file: zipBytes() })).status).toBe(201);
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "done" } })).body.code).toBe("JOB_COMPLETED");
    const job = (await findJobWithImages(s.deps.sql, id, { withLog: true }))!.job;
    expect(job.state).toBe("done");
    expect(job.progress).toBe(1);
    expect(job.log!.split("\n").sort()).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i}`).sort());
  }, 60_000);
});

describe("job reads (db)", () => {
  test("the technical log is read only for the views that show it, the job definition never", async () => {
    const { job } = await insertJobReturningView(s.deps.sql, {
      ownerKeyId: user.id,
      engineId: null,
      definition: { images: ["x".repeat(1000)] },
      altoRequired: false,
      pageRequired: false,
      metaJsonRequired: false,
      engineSettings: null,
      images: [{ name: "a.png", order: 0 }],
      now: now(),
    });
    expect(job.log).toBeNull(); // the creation view may be an admin's
    await s.deps.sql`UPDATE jobs SET log = repeat('worker line' || chr(10), 50000), log_user = 'for the user' WHERE id = ${job.id}`;
    const guardReads = [(await findJob(s.deps.sql, job.id))!, (await findJobAndImage(s.deps.sql, job.id, { name: "a.png" }))!.job];
    const userView = (await findJobWithImages(s.deps.sql, job.id, { withLog: false }))!.job;
    const userList = (await listJobs(s.deps.sql, { ownerKeyId: user.id }, { withLog: false })).find((j) => j.id === job.id)!;
    for (const row of [...guardReads, userView, userList]) {
      expect(row).not.toHaveProperty("log");
      expect(row).not.toHaveProperty("definition");
      expect(row.log_user).toBe("for the user");
      expect(row.state).toBe("new");
    }
    const full = (await findJobWithImages(s.deps.sql, job.id, { withLog: true }))!.job;
    const fullList = (await listJobs(s.deps.sql, { ownerKeyId: user.id }, { withLog: true })).find((j) => j.id === job.id)!;
    for (const row of [full, fullList]) {
      expect(row.log!.length).toBe("worker line\n".length * 50000);
      expect(row).not.toHaveProperty("definition");
    }
    // over HTTP the owner's view has the user log and no technical log; an admin's has both
    const mine = (await u("GET", `/v1/jobs/${job.id}`)).body.data;
    expect(mine.log_user).toBe("for the user");
    expect(mine).not.toHaveProperty("log");
    const adminView = (await admin("GET", `/v1/jobs/${job.id}`)).body.data;
    expect(adminView.log.length).toBe("worker line\n".length * 50000);
  });
});
