/**
 * The server's hot queries on a big jobs table: a scratch database (dropped at the end) is seeded with BIG_JOBS
 * (default 10⁶) finished jobs of one page each (one INSERT … SELECT generate_series for the jobs, one for their
 * images; 10 user keys own them in turn; then VACUUM ANALYZE, as autovacuum would), after a first round on a small table (BIG_SMALL_JOBS, default 10³) for
 * comparison. At each size, over real HTTP against `annopage serve`: p50/p95 of a lease on an empty queue and with a
 * few queued jobs, GET of a job, and the job list with paging (`limit`/`offset`) and a state filter, for a user (its
 * 10 % of the jobs) and for the admin (all of them). Then EXPLAIN (ANALYZE, BUFFERS) of the queries behind them, taken
 * from the server's own query functions (the lease inside a transaction that is rolled back).
 * Settings (env): BIG_JOBS=1000000 BIG_SMALL_JOBS=1000 BIG_SAMPLES=200 BIG_PLANS=1 (0: no plans)
 * TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { connect, type Sql } from "../src/db/client.ts";
import { findJobWithImages, listJobs, countJobs, listJobsChangedSince } from "../src/db/jobs.ts";
import { sweepAndClaim } from "../src/db/lease.ts";
import { createTestDatabase } from "../tests/helpers/db.ts";
import { pngBytes } from "../tests/helpers/files.ts";
import { call, jsonInit } from "./life-cycle.ts";
import { BENCH_ADMIN_KEY as ADMIN_KEY, Latencies, envNumber as env, freePort, multipartOnce, startBenchServer } from "./lib.ts";

const BIG = env("BIG_JOBS", 1_000_000);
const SMALL = env("BIG_SMALL_JOBS", 1000);
const SAMPLES = env("BIG_SAMPLES", 200);
const PLANS = env("BIG_PLANS", 1) === 1;
const USERS = 10;

const work = mkdtempSync(join(tmpdir(), "annopage-big-"));
const db = await createTestDatabase("big_table");
const server = await startBenchServer({ dbUrl: db.url, baseDir: join(work, "data"), port: await freePort() });
const sql = connect(db.url, { max: 2 });
let failed = false;

/** Inserts `count` finished jobs (one image each), owned by the users in turn, created over the past year. */
async function seed(owners: string[], workerId: string, engineId: string, count: number): Promise<void> {
  const t0 = performance.now();
  // without the server's statement timeout (30 s): a million rows and their index entries take longer on a busy machine
  const sql = postgres(db.url, { max: 1, onnotice: () => {}, connection: { statement_timeout: 0 } });
  await sql`
    INSERT INTO jobs (id, owner_key_id, worker_key_id, engine_id, definition, alto_required, page_required, meta_json_required,
                      meta_json_uploaded, state, progress, previous_attempts, created_date, started_date, last_change, finished_date)
    SELECT gen_random_uuid(), (${owners}::uuid[])[1 + g % ${owners.length}], ${workerId}, ${engineId},
           '{"images":[{"name":"page_0.jpg","order":0}],"meta_json_required":false,"alto_required":false,"page_required":false,"engine_name":null,"engine_version":null}'::jsonb,
           false, false, false, false, 'DONE', 1.0, 0, t, t + interval '2 s', t + interval '5 s', t + interval '5 s'
      FROM generate_series(1, ${count}) g, LATERAL (SELECT now() - interval '400 days' + g * interval '1 s' * (365 * 86400.0 / ${count})) x(t)`;
  await sql`
    INSERT INTO images (id, name, "order", image_uploaded, alto_uploaded, page_uploaded, job_id, image_format, image_width, image_height)
    SELECT gen_random_uuid(), 'page_0.jpg', 0, true, false, false, j.id, 'jpg', 1000, 1400
      FROM jobs j WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.job_id = j.id)`;
  // as autovacuum leaves a table that has settled: statistics, and the visibility map for index-only scans
  await sql`VACUUM ANALYZE jobs`;
  await sql`VACUUM ANALYZE images`;
  await sql.end({ timeout: 1 });
  console.log(`seeded ${count} finished jobs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const q = (v: number[], p: number) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

try {
  const load = { base: server.url, lat: new Latencies(), mode: "prepared" as const, keepAlive: true };
  const req = (key: string, path: string, init?: RequestInit, expect?: number[]) => call(load, "x", key, path, init, expect);
  const mk = async (label: string, role: string) =>
    (await req(ADMIN_KEY, "/v1/admin/keys", { method: "POST", ...jsonInit({ label, role }) }, [201])).body.data.secret as string;
  const users = await Promise.all(Array.from({ length: USERS }, (_, i) => mk(`big-user-${i}`, "user")));
  const worker = await mk("big-worker", "worker");
  await req(
    ADMIN_KEY,
    "/v1/admin/engines",
    { method: "POST", ...jsonInit({ name: "big", version: "1", description: "big", definition: {}, default: true }) },
    [201],
  );
  const keyIds = async (labels: string[]) =>
    (await sql<{ id: string }[]>`SELECT id FROM keys WHERE label = ANY(${labels}) ORDER BY label`).map((r) => r.id);
  const owners = await keyIds(users.map((_, i) => `big-user-${i}`));
  const [workerId] = await keyIds(["big-worker"]);
  const engineId = (await sql<{ id: string }[]>`SELECT id FROM engines WHERE name = 'big'`)[0]!.id;
  const user = users[0]!;
  const upload = await multipartOnce(pngBytes(40, 30), "page_0.png", "image/png");

  const rows: string[][] = [];
  const timed = async (what: string, n: number, f: (i: number) => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await f(i);
      ms.push(performance.now() - t0);
    }
    rows.push([what, q(ms, 0.5).toFixed(2), q(ms, 0.95).toFixed(2)]);
  };

  for (const [size, add] of [
    [SMALL, SMALL],
    [BIG, BIG - SMALL],
  ] as const) {
    if (add > 0) await seed(owners, workerId!, engineId, add);
    const n = (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs`)[0]!.n;
    rows.length = 0;
    const ids = (
      await sql<{ id: string }[]>`SELECT id FROM jobs WHERE owner_key_id = ${owners[0]!} ORDER BY random() LIMIT ${SAMPLES}`
    ).map((r) => r.id);
    await timed("lease, empty queue", SAMPLES, async () => {
      const r = await req(worker, "/v1/jobs/lease", { method: "POST" });
      if (r.body.code !== "JOB_QUEUE_EMPTY") throw new Error(`lease on an empty queue: ${r.body.code}`);
    });
    // a few queued jobs: created and uploaded 10 at a time, then leased
    const queued: string[] = [];
    for (let round = 0; round < Math.ceil(SAMPLES / 10); round++) {
      for (let i = 0; i < 10; i++) {
        const id = (await req(user, "/v1/jobs", { method: "POST", ...jsonInit({ images: [{ name: "page_0.png", order: 0 }] }) }, [201]))
          .body.data.id as string;
        await req(user, `/v1/jobs/${id}/images/page_0.png/files/image`, { method: "PUT", ...upload }, [201]);
        queued.push(id);
      }
    }
    await timed("lease, 10…1 jobs queued", queued.length, async () => {
      const r = await req(worker, "/v1/jobs/lease", { method: "POST" });
      if (r.body.code !== "JOB_LEASED") throw new Error(`lease: ${r.body.code}`);
    });
    await timed("GET /v1/jobs/{id} (user)", ids.length, (i) => req(user, `/v1/jobs/${ids[i]}`));
    const lists: [string, string, string][] = [
      ["user, limit=50", user, "/v1/jobs?limit=50"],
      ["user, limit=50 offset=5000", user, `/v1/jobs?limit=50&offset=${Math.min(5000, Math.floor(n / USERS / 2))}`],
      ["user, state=done limit=50", user, "/v1/jobs?state=done&limit=50"],
      ["user, state=processing limit=50", user, "/v1/jobs?state=processing&limit=50"],
      ["admin, limit=50", ADMIN_KEY, "/v1/jobs?limit=50"],
      ["admin, state=processing limit=50", ADMIN_KEY, "/v1/jobs?state=processing&limit=50"],
    ];
    for (const [what, key, path] of lists) await timed(`GET /v1/jobs ${what}`, Math.min(SAMPLES, 50), () => req(key, path));
    console.log(`\n${n} jobs in the table (load average ${loadavg()[0]!.toFixed(2)}): ms over HTTP, one request at a time`);
    console.log(`  ${"request".padEnd(52)} ${"p50".padStart(8)} ${"p95".padStart(8)}`);
    for (const [what, p50, p95] of rows) console.log(`  ${what!.padEnd(52)} ${p50!.padStart(8)} ${p95!.padStart(8)}`);
    if (size !== BIG && BIG <= SMALL) break;
  }

  if (PLANS) {
    // The server's own query functions on a connection that records each statement, then EXPLAIN of the record.
    let last: { text: string; params: unknown[] } | undefined;
    const rec = postgres(db.url, {
      max: 1,
      onnotice: () => {},
      debug: (_c, text, params) => (last = { text, params: params as unknown[] }),
    }) as unknown as Sql;
    const plan = async (title: string, run: (s: Sql) => Promise<unknown>) => {
      await rec
        .begin(async (tx) => {
          await run(tx as unknown as Sql);
          const { text, params } = last!;
          const lines = await tx.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params as postgres.ParameterOrJSON<never>[]);
          console.log(`\n--- ${title}\n${lines.map((l) => l["QUERY PLAN"]).join("\n")}`);
          throw new Rollback();
        })
        .catch((e) => {
          if (!(e instanceof Rollback)) throw e;
        });
    };
    class Rollback extends Error {}
    const someId = (await sql<{ id: string }[]>`SELECT id FROM jobs WHERE owner_key_id = ${owners[0]!} LIMIT 1`)[0]!.id;
    const cfg = { timeoutSeconds: 3600, graceSeconds: 60, maxAttempts: 3 };
    const now = new Date().toISOString();
    await plan("lease (sweep + claim, one statement), empty queue", (s) => sweepAndClaim(s, workerId!, now, crypto.randomUUID(), cfg));
    await plan("GET /v1/jobs/{id}", (s) => findJobWithImages(s, someId, { withLog: false }));
    await plan("GET /v1/jobs?limit=50&offset=5000 (user)", (s) =>
      listJobs(s, { ownerKeyId: owners[0] }, { withLog: false, page: { limit: 50, offset: 5000 } }),
    );
    await plan("GET /v1/jobs?state=processing&limit=50 (user)", (s) =>
      listJobs(s, { ownerKeyId: owners[0], state: "processing" }, { withLog: false, page: { limit: 50, offset: 0 } }),
    );
    await plan("GET /v1/jobs?limit=50 (admin)", (s) => listJobs(s, {}, { withLog: true, page: { limit: 50, offset: 0 } }));
    await plan("X-Total-Count of a paged list (user)", (s) => countJobs(s, { ownerKeyId: owners[0] }));
    await plan("X-Total-Count of a paged list (user, state=done)", (s) => countJobs(s, { ownerKeyId: owners[0], state: "done" }));
    await plan("X-Total-Count of a paged list (admin)", (s) => countJobs(s, {}));
    await plan("dashboard change feed (jobs changed in the last 2 s)", (s) =>
      listJobsChangedSince(s, new Date(Date.now() - 2000).toISOString()),
    );
    await rec.end({ timeout: 1 });
  }
} catch (e) {
  failed = true;
  console.error(`\nbenchmark failed: ${(e as Error).stack}`);
} finally {
  await sql.end({ timeout: 1 });
  await server.stop();
  await db.drop();
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
