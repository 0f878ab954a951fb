/**
 * Lease tokens (docs/decisions.md §5) fence out a stale worker that shares its API key with the
 * new lease holder: worker A's lease is forced stale, the job is swept and leased again by worker
 * B with the same key; when A's processor finishes, A's result upload is refused
 * (JOB_LEASE_TOKEN_STALE), A drops the job, and only B's result is kept.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { strToU8, unzipSync, zipSync } from "fflate";
import { ApiClient } from "../../src/client/api.ts";
import { startWorker } from "../../src/worker/loop.ts";
import type { Logger } from "../../src/worker/job-runner.ts";
import type { WorkerOptions } from "../../src/worker/options.ts";
import { testWorkerOptions } from "../helpers/worker-options.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { FAKE_PROCESSOR } from "../helpers/cli.ts";

let server: TestServer;
let dir: string;
const log: Logger = { debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  server = await startTestServer({ env: { JOB_TIMEOUT_SECONDS: "30", JOB_TIMEOUT_GRACE_SECONDS: "0", SWEEP_INTERVAL_SECONDS: "1" } });
  dir = mkdtempSync(join(tmpdir(), "worker-fence-"));
}, 30_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function options(tag: string, workerKey: string, delayMs: number): WorkerOptions {
  return testWorkerOptions(
    {
      apiUrl: server.url,
      apiKey: workerKey,
      dir: join(dir, tag),
      processor: [
        process.execPath,
        FAKE_PROCESSOR,
        "--fake-mode",
        "slow",
        "--fake-delay-ms",
        String(delayMs),
        "--fake-pid-file",
        join(dir, `${tag}.pid`),
      ],
    },
    // A renews rarely, so its lease can be made stale behind its back.
    { processorEnv: { FAKE_PROCESSOR_TAG: tag }, heartbeatMs: 20_000, logFlushMs: 20_000 },
  );
}

test("a stale worker with the same key cannot upload over the new lease holder's job", async () => {
  const admin = new ApiClient({ apiUrl: server.url, apiKey: server.adminKey });
  const user = new ApiClient({ apiUrl: server.url, apiKey: (await admin.createKey("f-user", "user")).secret });
  const sharedKey = (await admin.createKey("f-worker", "worker")).secret;
  await admin.createEngine({ name: "fake", version: "1", description: "", definition: {}, default: true, active: true });
  writeFileSync(join(dir, "engine.zip"), zipSync({ "config.ini": strToU8("[PAGE_PARSER]\n") }));
  await admin.uploadEngineFiles("fake", "1", join(dir, "engine.zip"));
  const job = await user.createJob({
    images: [{ name: "f.png", order: 0 }],
    engine_name: "fake",
    engine_settings: { outputs: { alto: true } },
  });
  const c = createCanvas(30, 20);
  c.getContext("2d").fillRect(0, 0, 10, 10);
  writeFileSync(join(dir, "img"), c.toBuffer("image/png"));
  await user.uploadImage(job.id, "f.png", join(dir, "img"));

  const a = startWorker(options("A", sharedKey, 3000), log);
  for (let i = 0; !existsSync(join(dir, "A.pid")); i++) {
    if (i > 500) throw new Error("A's processor did not start");
    await Bun.sleep(20);
  }
  // A's lease goes stale (as if A had been partitioned away); the sweeper requeues the job.
  await admin.adminUpdateJob(job.id, { last_change: "2000-01-01T00:00:00.000000Z" });
  const b = startWorker(options("B", sharedKey, 4000), log);

  const [ra] = await a.done;
  expect(ra!.outcome).toBe("lost");
  expect(ra!.reason).toContain("lease token is stale");
  const mid = await admin.getJob(job.id);
  expect(mid.state).toBe("processing"); // B still holds it; A changed nothing

  const [rb] = await b.done;
  expect(rb!.outcome).toBe("done");
  const full = await admin.getJob(job.id);
  expect(full.state).toBe("done");
  await user.downloadResult(job.id, join(dir, "r.zip"));
  const alto = new TextDecoder().decode(unzipSync(readFileSync(join(dir, "r.zip")))["alto/f.xml"]);
  expect(alto).toContain('tag="B"');
}, 40_000);
