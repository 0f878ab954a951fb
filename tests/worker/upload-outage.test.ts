/**
 * The result upload rides out a server outage without leaking its file: `annopage work` as a real
 * child process, the real server stopped while the processor runs, so that the upload of result.zip
 * fails and is retried several times, then started again on the same port, database and data
 * directory. Every attempt opens the ZIP; an attempt whose connection was refused never reads it to
 * the end, and a handle left to the garbage collector is an uncaught error in Bun ("A FileHandle
 * object was closed during garbage collection") that ended the worker. The worker runs with Bun's
 * garbage collector at level 1 (a collection after each tick) so that a leaked handle is collected
 * while the test watches.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, unzipSync, zipSync } from "fflate";
import { ApiClient } from "../../src/client/api.ts";
import { loadServerConfig, type ServerConfig } from "../../src/config.ts";
import { startServer } from "../../src/cli/serve.ts";
import type { RunningServer } from "../../src/server/serve.ts";
import { pageJpeg } from "../helpers/files.ts";
import { BUN, startCli, FAKE_PROCESSOR } from "../helpers/cli.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { freePort } from "../helpers/ports.ts";
import { ADMIN_KEY } from "../helpers/server.ts";

let db: TestDatabase;
let config: ServerConfig;
let server: RunningServer | undefined;
let dir: string;
let admin: ApiClient;
let user: ApiClient;
let workerKey: string;

beforeAll(async () => {
  db = await createTestDatabase("upload_outage");
  dir = mkdtempSync(join(tmpdir(), "worker-upload-outage-"));
  config = loadServerConfig({
    APP_HOST: "127.0.0.1",
    APP_PORT: String(await freePort()),
    BASE_DIR: join(dir, "server"),
    ADMIN_KEY,
    DATABASE_URL: db.url,
    JOB_TIMEOUT_SECONDS: "120",
  });
  server = await startServer(config);
  admin = new ApiClient({ apiUrl: server.url, apiKey: ADMIN_KEY });
  user = new ApiClient({ apiUrl: server.url, apiKey: (await admin.createKey("o-user", "user")).secret });
  workerKey = (await admin.createKey("o-worker", "worker")).secret;
  await admin.createEngine({ name: "fake", version: "1", description: "", definition: {}, active: true });
  writeFileSync(join(dir, "engine.zip"), zipSync({ "config.ini": strToU8("[PAGE_PARSER]\n") }));
  await admin.uploadEngineFiles("fake", "1", join(dir, "engine.zip"));
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

test("a result upload retried across a server restart closes its file every time; the job ends done", async () => {
  const job = await user.createJob({
    images: [{ name: "p1.jpg", order: 0 }],
    engine_name: "fake",
    engine_settings: { outputs: { alto: true, renders: true } },
  });
  writeFileSync(join(dir, "p1.jpg"), pageJpeg("p1", 900, 1200, true));
  await user.uploadImage(job.id, "p1.jpg", join(dir, "p1.jpg"));
  const pidFile = join(dir, "processor.pid");
  const url = server!.url;
  const worker = startCli(
    [
      "work",
      "--once",
      "--api-url",
      url,
      "--base-dir",
      join(dir, "worker"),
      "--wait",
      "0.2",
      "--device",
      "cpu",
      "--processor",
      `${BUN} ${FAKE_PROCESSOR} --fake-mode slow --fake-delay-ms 1500 --fake-pid-file ${pidFile}`,
    ],
    { env: { ANNOPAGE_API_KEY: workerKey, BUN_GARBAGE_COLLECTOR_LEVEL: "1" } },
  );
  try {
    for (let i = 0; ; i++) {
      try {
        if (Number(readFileSync(pidFile, "utf8")) > 0) break;
      } catch {}
      if (i > 1200) throw new Error(`the processor did not start:\n${worker.output()}`);
      await Bun.sleep(50);
    }
    // Down while the processor works: the upload that follows fails, is retried, fails again…
    await server!.stop();
    server = undefined;
    const retries = new RegExp(`POST /v1/jobs/${job.id}/result failed.*retry 3 in`);
    await worker.waitFor(retries, 60_000);
    server = await startServer(config);
    expect(await worker.exited).toBe(0);
    const stderr = worker.output();
    expect(stderr).toMatch(retries);
    expect(stderr).not.toMatch(/FileHandle|closed during garbage collection/);
    expect((await admin.getJob(job.id)).state).toBe("done");
    const out = join(dir, "result.zip");
    await user.downloadResult(job.id, out);
    expect(Object.keys(unzipSync(readFileSync(out))).sort()).toEqual(["alto/p1.xml", "renders/p1.jpg"]);
  } finally {
    worker.kill("SIGKILL");
    await worker.exited;
  }
}, 120_000);
