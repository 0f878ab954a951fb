/**
 * The worker without our server's extensions, as against a reference DocAPI server: the real
 * server behind a real HTTP proxy mounted under a path prefix (`/docapi/`, docs/protocol.md §11.25) that
 * drops the extensions — `?wait=` is removed (no long-poll), `lease_token` is removed from lease
 * answers. The worker must fall back to sleeping `--wait` between empty polls, send no
 * `X-Lease-Token`, and still complete a job.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { strToU8, unzipSync, zipSync } from "fflate";
import { ApiClient } from "../../src/client/api.ts";
import { startWorker } from "../../src/worker/loop.ts";
import type { Logger } from "../../src/worker/job-runner.ts";
import { testWorkerOptions } from "../helpers/worker-options.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { FAKE_PROCESSOR } from "../helpers/cli.ts";

let server: TestServer;
let dir: string;
const seen = { leases: 0, waitParams: 0, tokenHeaders: 0, outsidePrefix: 0 };
let proxy: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), "worker-ref-"));
  proxy = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const u = new URL(req.url);
      if (!u.pathname.startsWith("/docapi/")) {
        seen.outsidePrefix++;
        return new Response("not under /docapi/", { status: 404 });
      }
      if (u.searchParams.has("wait")) seen.waitParams++;
      u.searchParams.delete("wait");
      const headers = new Headers(req.headers);
      if (headers.has("x-lease-token")) seen.tokenHeaders++;
      headers.delete("x-lease-token");
      headers.delete("host");
      const target = new URL(u.pathname.slice("/docapi".length) + u.search, server.url);
      const isLease = req.method === "POST" && u.pathname === "/docapi/v1/jobs/lease";
      if (isLease) seen.leases++;
      const res = await fetch(target, { method: req.method, headers, body: req.body, duplex: "half", redirect: "manual" } as RequestInit);
      if (!isLease) return new Response(res.body, { status: res.status, headers: res.headers });
      const env = (await res.json()) as { data?: Record<string, unknown> | null };
      if (env.data) delete env.data.lease_token;
      return Response.json(env, { status: res.status });
    },
  });
}, 30_000);

afterAll(async () => {
  proxy?.stop(true);
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("no long-poll, no lease token, a path prefix: the worker sleeps --wait between polls and completes a job", async () => {
  const base = `http://127.0.0.1:${proxy.port}/docapi`;
  const admin = new ApiClient({ apiUrl: base, apiKey: server.adminKey });
  const user = new ApiClient({ apiUrl: base, apiKey: (await admin.createKey("ref-user", "user")).secret });
  const workerKey = (await admin.createKey("ref-worker", "worker")).secret;
  await admin.createEngine({ name: "fake", version: "1", description: "", definition: {}, default: true, active: true });
  writeFileSync(join(dir, "engine.zip"), zipSync({ "config.ini": strToU8("[PAGE_PARSER]\n") }));
  await admin.uploadEngineFiles("fake", "1", join(dir, "engine.zip"));

  const warnings: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  const worker = startWorker(
    testWorkerOptions(
      { apiUrl: base, apiKey: workerKey, dir, processor: [process.execPath, FAKE_PROCESSOR, "--fake-mode", "ok"] },
      { waitSeconds: 1, cleanupJobDir: true },
    ),
    log,
  );
  // Empty queue for ~3.2 s: a reference server answers at once, so the worker must sleep ~1 s
  // between polls (4 polls, not hundreds).
  await Bun.sleep(3200);
  expect(seen.leases).toBeGreaterThanOrEqual(3);
  expect(seen.leases).toBeLessThanOrEqual(5);
  expect(seen.waitParams).toBe(seen.leases);

  const job = await user.createJob({ images: [{ name: "ref page.png", order: 0 }], engine_settings: { outputs: { alto: true } } });
  const c = createCanvas(30, 20);
  c.getContext("2d").fillRect(0, 0, 10, 10);
  writeFileSync(join(dir, "img"), c.toBuffer("image/png"));
  await user.uploadImage(job.id, "ref page.png", join(dir, "img"));
  const reports = await worker.done;
  expect(reports.map((r) => [r.jobId, r.outcome])).toEqual([[job.id, "done"]]);
  expect(seen.tokenHeaders).toBe(0);
  expect(seen.outsidePrefix).toBe(0);
  expect(warnings).toEqual([]);
  await user.downloadResult(job.id, join(dir, "r.zip"));
  expect(Object.keys(unzipSync(readFileSync(join(dir, "r.zip"))))).toEqual(["alto/ref page.xml"]);
}, 30_000);
