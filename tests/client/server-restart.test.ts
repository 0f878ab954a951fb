/**
 * A server that goes away mid-upload: the API server runs as its own process on a fixed port; it is
 * killed (SIGKILL) while `annopage submit` uploads, restarted on the same port with the same
 * database and data directory, and the client retries and completes the job — one job, no
 * duplicates.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { ApiClient } from "../../src/client/api.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { freePort } from "../helpers/ports.ts";
import { ADMIN_KEY } from "../helpers/server.ts";
import { HttpWorker } from "../helpers/http-worker.ts";
import { makePageFolder } from "../helpers/files.ts";
import { setupKeys } from "../helpers/keys.ts";
import { startCli, type CliChild } from "../helpers/cli.ts";

let db: TestDatabase;
let baseDir: string;
let tmp: string;
let port: number;
let serverProc: CliChild | undefined;

async function startServerProcess(): Promise<void> {
  serverProc = startCli(["serve", "--host", "127.0.0.1", "--port", String(port), "--base-dir", baseDir, "--database-url", db.url], {
    env: { ADMIN_KEY },
  });
  const t0 = Date.now();
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    if (serverProc.proc.exitCode !== null) throw new Error(`server exited with ${serverProc.proc.exitCode}`);
    if (Date.now() - t0 > 20_000) throw new Error("server did not come up");
    await Bun.sleep(50);
  }
}

beforeAll(async () => {
  db = await createTestDatabase("restart");
  baseDir = mkdtempSync(join(tmpdir(), "annopage-restart-base-"));
  tmp = mkdtempSync(join(tmpdir(), "annopage-restart-"));
  port = await freePort();
  await startServerProcess();
});

afterAll(async () => {
  serverProc?.kill("SIGKILL");
  await serverProc?.exited;
  await db?.drop();
  rmSync(baseDir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

test("a server killed mid-upload and restarted on the same port: the client retries and the job completes", async () => {
  const url = `http://127.0.0.1:${port}`;
  const keys = await setupKeys(url, ADMIN_KEY, "restart");
  await keys.admin.createEngine({ name: "EngR", version: "1", description: "restart test", definition: {}, default: true });
  const names = Array.from({ length: 24 }, (_, i) => `scan${i + 1}.jpg`);
  const f = makePageFolder(join(tmp, "pages"), names, { big: true });
  const out = join(tmp, "out.zip");

  const run = startCli(
    [
      "submit",
      "--images",
      f.images,
      "--alto",
      f.alto,
      "--metadata",
      f.metadata,
      "--parallel",
      "2",
      "--output",
      out,
      "--polling-interval",
      "0.1",
    ],
    {
      env: {
        ANNOPAGE_API_URL: url,
        ANNOPAGE_API_KEY: keys.user,
      },
    },
  );
  await run.waitFor(/Created job ([0-9a-f-]{36})/, 30_000, "stderr");
  const jobId = /Created job ([0-9a-f-]{36})/.exec(run.stderr())![1]!;

  // Kill the server once a few images are on it, while the rest are still being sent.
  const admin = new ApiClient({ apiUrl: url, apiKey: ADMIN_KEY, retry: { attempts: 1 } });
  let uploaded = 0;
  for (const t0 = Date.now(); Date.now() - t0 < 30_000; ) {
    uploaded = (await admin.getJob(jobId)).images.filter((i) => i.image_uploaded).length;
    if (uploaded >= 3) break;
    await Bun.sleep(10);
  }
  expect(uploaded).toBeGreaterThanOrEqual(3);
  expect(uploaded).toBeLessThan(names.length);
  serverProc!.kill("SIGKILL");
  await serverProc!.exited;
  await Bun.sleep(1500);
  await startServerProcess();

  const worker = new HttpWorker(url, keys.worker).start();
  try {
    const r = await run.done;
    expect(r.stderr).toMatch(/retrying PUT \/v1\/jobs\/[0-9a-f-]{36}\/(images|files)\//);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ job_id: jobId, state: "done", output: out });
    const entries = Object.keys(unzipSync(readFileSync(out)));
    expect(entries.filter((e) => e.startsWith("alto/")).sort()).toEqual(names.map((n) => `alto/${n.replace(".jpg", ".xml")}`).sort());
    // One job, no duplicates.
    const jobs = await new ApiClient({ apiUrl: url, apiKey: ADMIN_KEY }).listJobs();
    expect(jobs.map((j) => j.id)).toEqual([jobId]);
  } finally {
    await worker.stop();
  }
}, 120_000);
