/**
 * The worker survives a server restart: network errors and 5xx are retried with backoff, both
 * while a job runs (heartbeats, log updates, upload, done) and while it waits for work. The real
 * server is stopped and started again on the same port, database and data directory.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { strToU8, unzipSync, zipSync } from "fflate";
import { ApiClient } from "../../src/client/api.ts";
import { loadServerConfig, type ServerConfig } from "../../src/config.ts";
import { startServer } from "../../src/cli/serve.ts";
import type { RunningServer } from "../../src/server/serve.ts";
import { startWorker } from "../../src/worker/loop.ts";
import type { Logger } from "../../src/worker/job-runner.ts";
import type { WorkerOptions } from "../../src/worker/options.ts";
import { testWorkerOptions } from "../helpers/worker-options.ts";
import { freePort } from "../../bench/lib.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { ADMIN_KEY } from "../helpers/server.ts";
import { FAKE_PROCESSOR } from "../helpers/cli.ts";

let db: TestDatabase;
let config: ServerConfig;
let server: RunningServer | undefined;
let url: string;
let dir: string;
let user: ApiClient;
let admin: ApiClient;
let workerKey: string;
const warnings: string[] = [];
const log: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };

beforeAll(async () => {
  db = await createTestDatabase("wrestart");
  dir = mkdtempSync(join(tmpdir(), "worker-restart-"));
  const port = await freePort();
  config = loadServerConfig({
    APP_HOST: "127.0.0.1",
    APP_PORT: String(port),
    BASE_DIR: join(dir, "server"),
    ADMIN_KEY,
    DATABASE_URL: db.url,
    JOB_TIMEOUT_SECONDS: "30",
  });
  server = await startServer(config);
  url = server.url;
  admin = new ApiClient({ apiUrl: url, apiKey: ADMIN_KEY });
  user = new ApiClient({ apiUrl: url, apiKey: (await admin.createKey("r-user", "user")).secret });
  workerKey = (await admin.createKey("r-worker", "worker")).secret;
  await admin.createEngine({ name: "fake", version: "1", description: "", definition: {}, default: true, active: true });
  writeFileSync(join(dir, "engine.zip"), zipSync({ "config.ini": strToU8("[PAGE_PARSER]\n") }));
  await admin.uploadEngineFiles("fake", "1", join(dir, "engine.zip"));
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function options(tag: string, mode: string, extra: string[] = []): WorkerOptions & { pidFile: string } {
  const pidFile = join(dir, `${tag}.pid`);
  const processor = [process.execPath, FAKE_PROCESSOR, "--fake-mode", mode, "--fake-pid-file", pidFile, ...extra];
  return { pidFile, ...testWorkerOptions({ apiUrl: url, apiKey: workerKey, dir: join(dir, tag), processor }) };
}

async function queueJob(name: string): Promise<string> {
  const job = await user.createJob({ images: [{ name, order: 0 }], engine_settings: { outputs: { alto: true } } });
  const c = createCanvas(30, 20);
  c.getContext("2d").fillRect(0, 0, 10, 10);
  const p = join(dir, `${name}.bin`);
  writeFileSync(p, c.toBuffer("image/png"));
  await user.uploadImage(job.id, name, p);
  return job.id;
}

async function restart(downMs: number) {
  await server!.stop();
  server = undefined;
  await Bun.sleep(downMs);
  server = await startServer(config);
}

test("a job in progress survives a server restart (heartbeats and uploads retried) and ends done", async () => {
  const jobId = await queueJob("r1.png");
  const o = options("w1", "slow", ["--fake-delay-ms", "2500"]);
  const worker = startWorker(o, log);
  for (let i = 0; !existsSync(o.pidFile); i++) {
    if (i > 500) throw new Error("processor did not start");
    await Bun.sleep(20);
  }
  warnings.length = 0;
  await restart(1500);
  const reports = await worker.done;
  expect(reports.map((r) => [r.jobId, r.outcome])).toEqual([[jobId, "done"]]);
  expect(warnings.some((w) => /heartbeat .* failed|retry \d/.test(w))).toBe(true);
  const job = await admin.getJob(jobId);
  expect(job.state).toBe("done");
  expect(job.previous_attempts).toBe(0);
  const out = join(dir, "r1.zip");
  await user.downloadResult(jobId, out);
  expect(Object.keys(unzipSync(readFileSync(out)))).toEqual(["alto/r1.xml"]);
}, 40_000);

test("a worker waiting for work rides out a server that is down, then takes the next job", async () => {
  await server!.stop();
  server = undefined;
  warnings.length = 0;
  const o = options("w2", "ok");
  const worker = startWorker(o, log);
  await Bun.sleep(1500);
  expect(warnings.some((w) => w.includes("server not reachable"))).toBe(true);
  server = await startServer(config);
  const jobId = await queueJob("r2.png");
  const reports = await worker.done;
  expect(reports.map((r) => [r.jobId, r.outcome])).toEqual([[jobId, "done"]]);
  expect((await admin.getJob(jobId)).state).toBe("done");
}, 40_000);
