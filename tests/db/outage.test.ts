/**
 * A database outage, simulated without touching the shared PostgreSQL: the server (in this process,
 * real HTTP on 127.0.0.1) reaches its database through a TCP proxy that the test cuts (listener
 * closed, open connections destroyed) and restores. While it is cut, every endpoint that needs the
 * database answers 503 DATABASE_UNAVAILABLE with Retry-After, each within a bound; afterwards the
 * same requests succeed and every job is still there. A client call and a worker started during the
 * outage retry with backoff and succeed once the database is back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import { ApiClient, type ApiError } from "../../src/client/api.ts";
import { CONNECT_TIMEOUT_SECONDS, connect } from "../../src/db/client.ts";
import { isDatabaseUnavailable } from "../../src/db/unavailable.ts";
import { startWorker } from "../../src/worker/loop.ts";
import type { Logger } from "../../src/worker/job-runner.ts";
import { PG_URL } from "../helpers/db.ts";
import { freePort } from "../helpers/ports.ts";
import { client } from "../helpers/http.ts";
import { makeKey } from "../helpers/keys.ts";
import { pngBytes } from "../helpers/files.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";
import { testWorkerOptions } from "../helpers/worker-options.ts";
import { FAKE_PROCESSOR } from "../helpers/cli.ts";

/** Longest a request may take while the database is cut: a refused connection, or at worst one connect timeout. */
const ANSWER_BOUND_MS = (CONNECT_TIMEOUT_SECONDS + 5) * 1000;

let proxy: TcpProxy;
let s: TestServer;
let keys: { user: string; worker: string };
let work: string;

beforeAll(async () => {
  const pg = new URL(PG_URL);
  proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  // KEY_CACHE_MS=0: every request looks its key up, so every endpoint needs the database.
  s = await startTestServer({ databaseUrl: (url) => proxy.rewrite(url), env: { KEY_CACHE_MS: "0" } });
  keys = { user: (await makeKey(s, "user")).key, worker: (await makeKey(s, "worker")).key };
  work = mkdtempSync(join(tmpdir(), "annopage-outage-"));
}, 60_000);

afterAll(async () => {
  await proxy?.restore();
  await s?.close();
  await proxy?.close();
  rmSync(work, { recursive: true, force: true });
});

const user = () => client(s, keys.user);
const worker = () => client(s, keys.worker);

async function queuedJob(name: string): Promise<string> {
  const u = user();
  const job = await u("POST", "/v1/jobs", { json: { images: [{ name, order: 0 }] } });
  expect(job.status).toBe(201);
  expect((await u("PUT", `/v1/jobs/${job.body.data.id}/images/${name}/files/image`, { file: pngBytes() })).status).toBe(201);
  return job.body.data.id as string;
}

/** A request with a deadline: a server that hangs fails the test instead of holding it. */
async function bounded(method: string, path: string, key: string, body?: { json?: unknown; file?: Uint8Array }) {
  const headers: Record<string, string> = { "x-api-key": key };
  let payload: BodyInit | undefined;
  if (body?.json !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body.json);
  }
  if (body?.file) {
    const fd = new FormData();
    fd.append("file", new Blob([body.file as BlobPart]), "p.png");
    payload = fd;
  }
  const r = await fetch(`${s.url}${path}`, { method, headers, body: payload, signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
  const text = await r.text();
  return {
    what: `${method} ${path}`,
    status: r.status,
    retryAfter: r.headers.get("retry-after"),
    code: (JSON.parse(text) as { code?: string }).code,
  };
}

/** Repeats `fn` until it holds (a pool reconnecting after the outage may answer one more 503). */
async function eventually<T>(what: string, fn: () => Promise<T | undefined>, tries = 40): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await Bun.sleep(250);
  }
  throw new Error(`${what} did not happen after ${tries} tries`);
}

describe("database outage", () => {
  test("while PostgreSQL is unreachable every endpoint answers 503 DATABASE_UNAVAILABLE with Retry-After; afterwards all succeeds and no job is lost", async () => {
    const waiting = (await user()("POST", "/v1/jobs", { json: { images: [{ name: "n.png", order: 0 }] } })).body.data.id as string;
    const queued = await queuedJob("q.png");
    const before = (await user()("GET", "/v1/jobs")).body.data.map((j: { id: string; state: string }) => [j.id, j.state]);
    expect(before).toContainEqual([waiting, "new"]);
    expect(before).toContainEqual([queued, "queued"]);

    await proxy.cut();
    const calls: [string, string, string, { json?: unknown; file?: Uint8Array }?][] = [
      ["GET", "/v1/me", keys.user],
      ["GET", "/v1/jobs", keys.user],
      ["GET", `/v1/jobs/${queued}`, keys.user],
      ["POST", "/v1/jobs", keys.user, { json: { images: [{ name: "x.png", order: 0 }] } }],
      ["PUT", `/v1/jobs/${waiting}/images/n.png/files/image`, keys.user, { file: pngBytes() }],
      ["PATCH", `/v1/jobs/${waiting}`, keys.user, { json: { state: "cancelled" } }],
      ["GET", "/v1/engines", keys.user],
      ["POST", "/v1/jobs/lease", keys.worker],
      ["GET", "/v1/admin/keys", s.adminKey],
    ];
    const answers = [];
    for (const round of [1, 2]) for (const [m, p, k, b] of calls) answers.push({ round, ...(await bounded(m, p, k, b)) });
    const statuses: Record<number, number> = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    expect(statuses).toEqual({ 503: calls.length * 2 });
    for (const a of answers) {
      expect({ what: a.what, code: a.code }).toEqual({ what: a.what, code: "DATABASE_UNAVAILABLE" });
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
    }
    expect((await fetch(`${s.url}/healthz`)).status).toBe(503);

    await proxy.restore();
    await eventually("GET /v1/jobs answering 200", async () => ((await user()("GET", "/v1/jobs")).status === 200 ? true : undefined));
    const after = (await user()("GET", "/v1/jobs")).body.data.map((j: { id: string; state: string }) => [j.id, j.state]);
    expect(after).toEqual(before); // nothing created, changed or lost by the refused requests
    expect((await user()("GET", "/v1/me")).status).toBe(200);
    expect((await user()("GET", "/v1/engines")).status).toBe(200);
    expect((await client(s, s.adminKey)("GET", "/v1/admin/keys")).status).toBe(200);
    const lease = await worker()("POST", "/v1/jobs/lease");
    expect([lease.status, lease.body.code, lease.body.data?.id]).toEqual([200, "JOB_LEASED", queued]);
    expect((await user()("PUT", `/v1/jobs/${waiting}/images/n.png/files/image`, { file: pngBytes() })).status).toBe(201);
    expect((await user()("GET", `/v1/jobs/${waiting}`)).body.data.state).toBe("queued");
    for (const id of [waiting, queued])
      expect((await user()("PATCH", `/v1/jobs/${id}`, { json: { state: "cancelled" } })).status).toBe(200);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  }, 120_000);

  test("a client call and a worker started during the outage retry 503 with backoff and succeed once the database is back", async () => {
    const admin = new ApiClient({ apiUrl: s.url, apiKey: s.adminKey });
    const zip = join(work, "engine.zip");
    writeFileSync(zip, zipSync({ "config.ini": strToU8("[PAGE_PARSER]\n") }));
    await admin.createEngine({ name: "fake", version: "1", description: "fake processor", definition: {}, default: true, active: true });
    await admin.uploadEngineFiles("fake", "1", zip);
    const queued = await queuedJob("w.png");
    const jobsBefore = (await user()("GET", "/v1/jobs")).body.data.length as number;

    await proxy.cut();
    const clientRetries: ApiError[] = [];
    const api = new ApiClient({
      apiUrl: s.url,
      apiKey: keys.user,
      retry: { attempts: 100, baseDelayMs: 50, maxDelayMs: 500 },
      onRetry: ({ error }) => clientRetries.push(error),
    });
    const created = api.createJob({ images: [{ name: "c.png", order: 0 }] }, { idempotencyKey: "outage-1" });
    const workerWarnings: string[] = [];
    const log: Logger = { debug() {}, info() {}, warn: (m) => workerWarnings.push(m), error: (m) => workerWarnings.push(m) };
    const dir = join(work, "worker");
    mkdirSync(dir, { recursive: true });
    const running = startWorker(
      testWorkerOptions({ apiUrl: s.url, apiKey: keys.worker, dir, processor: [process.execPath, FAKE_PROCESSOR] }),
      log,
    );

    // The outage lasts until both have been refused by the server at least once.
    await eventually("a 503 for the client and the worker", async () =>
      clientRetries.length > 0 && workerWarnings.some((w) => w.includes("503 DATABASE_UNAVAILABLE")) ? true : undefined,
    );
    await proxy.restore();

    const job = await created;
    expect(clientRetries.length).toBeGreaterThan(0);
    expect(clientRetries.every((e) => e.status === 503 && e.code === "DATABASE_UNAVAILABLE")).toBe(true);
    const reports = await running.done;
    expect(reports.map((r) => [r.jobId, r.outcome])).toEqual([[queued, "done"]]);
    expect((await api.getJob(queued)).state).toBe("done");
    // Created exactly once, however many times the request was sent.
    const jobs = await api.listJobs();
    expect(jobs.filter((j) => j.id === job.id)).toHaveLength(1);
    expect(jobs).toHaveLength(jobsBefore + 1);
  }, 120_000);

  test("which errors count as unavailable: lost connections and timed-out statements do; a bad query or another service's refused connection does not", async () => {
    const sql = connect(PG_URL, { max: 1 });
    try {
      const timedOut = await sql
        .begin(async (tx) => {
          await tx`SET LOCAL statement_timeout = 50`;
          return tx`SELECT pg_sleep(5)`.catch((e) => e);
        })
        .catch((e) => e);
      expect([(timedOut as { code?: string }).code, isDatabaseUnavailable(timedOut)]).toEqual(["57014", true]);
      const syntax = await sql.unsafe("SELEC 1").catch((e) => e);
      expect([(syntax as { code?: string }).code, isDatabaseUnavailable(syntax)]).toEqual(["42601", false]);
    } finally {
      await sql.end({ timeout: 5 });
    }
    const refusedDb = connect(`postgres://postgres@127.0.0.1:${await freePort()}/x`, { max: 1 });
    const dbErr = await refusedDb`SELECT 1`.catch((e) => e);
    await refusedDb.end({ timeout: 1 });
    expect([(dbErr as { code?: string }).code, isDatabaseUnavailable(dbErr)]).toEqual(["ECONNREFUSED", true]);
    const httpErr = await fetch(`http://127.0.0.1:${await freePort()}/`).catch((e) => e);
    expect([(httpErr as { code?: string }).code, isDatabaseUnavailable(httpErr)]).toEqual(["ECONNREFUSED", false]);
  });

  test("/openapi.json documents the 503 DATABASE_UNAVAILABLE answer on every authenticated operation", async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, { description: string }> }>>;
    };
    const ops = Object.values(doc.paths)
      .flatMap((p) => Object.values(p))
      .filter((op) => op.security);
    expect(ops.length).toBeGreaterThan(20);
    expect(ops.filter((op) => !op.responses["503"]?.description.includes("DATABASE_UNAVAILABLE"))).toEqual([]);
  });
});
