/**
 * `annopage work` end to end: the real server (real PostgreSQL) on 127.0.0.1, real worker
 * (in-process loop, or the CLI as a child process for the signal tests), the fake processor
 * fixture as a real child process. Lease timeout is 1 s (grace 0) so heartbeats matter.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { createCanvas } from "@napi-rs/canvas";
import { strToU8, unzipSync, zipSync } from "fflate";
import { ApiClient, type Job, type JobDefinition } from "../../src/client/api.ts";
import { startWorker } from "../../src/worker/loop.ts";
import type { Logger } from "../../src/worker/job-runner.ts";
import { DEFAULTS, defaultProcessor, type WorkerOptions } from "../../src/worker/options.ts";
import { testWorkerOptions } from "../helpers/worker-options.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { SHARED } from "../helpers/shared.ts";
import { BUN, FAKE_PROCESSOR, runCli, startCli } from "../helpers/cli.ts";

let server: TestServer;
let url: string;
let admin: ApiClient;
let user: ApiClient;
let workerKey: string;
let otherWorker: ApiClient;
let work: string;
const quiet: Logger = {
  debug() {},
  info() {},
  warn: (m) => process.env.WORKER_TEST_VERBOSE && console.error(new Date().toISOString(), m),
  error: (m) => process.env.WORKER_TEST_VERBOSE && console.error(new Date().toISOString(), m),
};

function png(label: string, w = 40, h = 30): Buffer {
  const c = createCanvas(w, h);
  const g = c.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, w, h);
  g.fillStyle = "#000";
  g.fillText(label, 2, 12);
  return c.toBuffer("image/png");
}
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

beforeAll(async () => {
  server = await startTestServer({ env: { JOB_TIMEOUT_SECONDS: "1", JOB_TIMEOUT_GRACE_SECONDS: "0", SWEEP_INTERVAL_SECONDS: "1" } });
  url = server.url;
  admin = new ApiClient({ apiUrl: url, apiKey: server.adminKey });
  user = new ApiClient({ apiUrl: url, apiKey: (await admin.createKey("w-user", "user")).secret });
  workerKey = (await admin.createKey("w-worker", "worker")).secret;
  otherWorker = new ApiClient({ apiUrl: url, apiKey: (await admin.createKey("w-worker-2", "worker")).secret });
  work = mkdtempSync(join(tmpdir(), "worker-e2e-"));
  await admin.createEngine({
    name: "fake",
    version: "1.0",
    description: "fake processor engine",
    definition: { kind: "fake" },
    default: true,
    active: true,
  });
  const engineZip = join(work, "engine.zip");
  writeFileSync(
    engineZip,
    zipSync({
      "config.ini": strToU8("[PAGE_PARSER]\n\n[DETECT]\nMETHOD = YOLO_DETECTION\n"),
      "models/readme.txt": strToU8("weights would go here"),
    }),
  );
  await admin.uploadEngineFiles("fake", "1.0", engineZip);
}, 30_000);

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

let seq = 0;
interface Run {
  dir: string;
  pidFile: string;
  argsFile: string;
  options: WorkerOptions;
}
function runSetup(mode: string, extra: string[] = []): Run {
  const dir = join(work, `run-${seq++}`);
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, "processor.pid");
  const argsFile = join(dir, "args.json");
  return {
    dir,
    pidFile,
    argsFile,
    options: testWorkerOptions(
      {
        apiUrl: url,
        apiKey: workerKey,
        dir,
        processor: [BUN, FAKE_PROCESSOR, "--fake-mode", mode, "--fake-pid-file", pidFile, "--fake-args-file", argsFile, ...extra],
      },
      { enginesDir: join(work, "engines"), graceSeconds: 30, heartbeatMs: DEFAULTS.heartbeatMs, logFlushMs: 300 },
    ),
  };
}

async function submit(
  names: string[],
  def: Partial<JobDefinition> = {},
  extra: { alto?: boolean; meta?: unknown } = {},
): Promise<{ job: Job; bytes: Map<string, Buffer> }> {
  const job = await user.createJob({ images: names.map((name, order) => ({ name, order })), engine_name: "fake", ...def });
  const bytes = new Map<string, Buffer>();
  const dir = join(work, `in-${job.id}`);
  mkdirSync(dir);
  for (const name of names) {
    const b = png(name);
    bytes.set(name, b);
    writeFileSync(join(dir, "img"), b);
    await user.uploadImage(job.id, name, join(dir, "img"));
    if (extra.alto) {
      const stem = name.replace(/\.[^.]+$/, "");
      writeFileSync(
        join(dir, "alto.xml"),
        `<?xml version="1.0"?><alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page ID="${stem}"/></Layout></alto>`,
      );
      await user.uploadAlto(job.id, name, join(dir, "alto.xml"));
    }
  }
  if (extra.meta !== undefined) await user.uploadMetadata(job.id, extra.meta);
  const now = await user.getJob(job.id);
  expect(now.state).toBe("queued");
  return { job: now, bytes };
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  stepMs = 20,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(stepMs);
  }
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function cleanup(jobId: string) {
  const j = await admin.getJob(jobId);
  if (!["done", "cancelled", "failed"].includes(j.state)) await user.cancelJob(jobId).catch(() => {});
}

describe("annopage work against the real server", () => {
  test("happy path: inputs, §7.2 flags, streamed log and progress, expected result ZIP, done", async () => {
    const names = ["p2.png", "p1.png", "x y ü.png"];
    const { job, bytes } = await submit(
      names,
      {
        alto_required: true,
        meta_json_required: true,
        engine_settings: { outputs: { alto: true, renders: true, embeddings: true, embeddings_jsonlines: true } },
      },
      { alto: true, meta: { title: "Kronika" } },
    );
    const run = runSetup("ok");
    const reports = await startWorker(run.options, quiet).done;
    expect(reports.map((r) => [r.jobId, r.outcome])).toEqual([[job.id, "done"]]);

    const full = await admin.getJob(job.id);
    expect(full.state).toBe("done");
    expect(full.progress).toBe(1);
    expect(full.log).toContain("DONE 3/3");
    expect(full.log_user).toContain("Page 1/3 done (p1)");
    expect(full.log_user).toContain("Page 3/3 done (x y ü)");

    // The processor got exactly the docs/processor.md §7.2 command line.
    const jobDir = join(run.options.jobsDir, readdirSync(run.options.jobsDir).find((d) => d.endsWith(job.id))!);
    const engineDirs = readdirSync(run.options.enginesDir);
    expect(engineDirs).toHaveLength(1);
    const engineDir = join(run.options.enginesDir, engineDirs[0]!);
    expect(engineDir.endsWith(`.${full.engine_id}`)).toBe(true);
    const got = JSON.parse(readFileSync(run.argsFile, "utf8"));
    expect(got.argv).toEqual([
      "--config",
      join(engineDir, "config.ini"),
      "--input-image-path",
      join(jobDir, "images"),
      "--logging-level",
      "INFO",
      "--device",
      "cpu",
      "--input-alto-path",
      join(jobDir, "alto"),
      "--input-metadata-path",
      join(jobDir, "meta.json"),
      "--output-alto-path",
      join(jobDir, "result", "alto"),
      "--output-embeddings-path",
      join(jobDir, "result", "embeddings"),
      "--embeddings-jsonlines",
      "--output-render-path",
      join(jobDir, "result", "renders"),
    ]);
    expect(got.config).toContain("YOLO_DETECTION");
    expect(readdirSync(join(jobDir, "images")).sort()).toEqual([...names].sort());
    expect(readdirSync(join(jobDir, "alto")).sort()).toEqual(["p1.xml", "p2.xml", "x y ü.xml"]);
    expect(JSON.parse(readFileSync(join(jobDir, "meta.json"), "utf8"))).toEqual({ title: "Kronika" });
    expect(existsSync(join(engineDir, "models", "readme.txt"))).toBe(true);

    // The result as the user downloads it.
    const zipPath = join(run.dir, "result.zip");
    await user.downloadResult(job.id, zipPath);
    const entries = unzipSync(readFileSync(zipPath));
    const expected: string[] = [];
    for (const name of names) {
      const stem = name.replace(/\.png$/, "");
      expected.push(`alto/${stem}.xml`, `embeddings/${stem}.jsonl`, `renders/${stem}.jpg`);
      expect(new TextDecoder().decode(entries[`alto/${stem}.xml`])).toBe(
        `<fake-alto image="${name}" md5="${md5(bytes.get(name)!)}" bytes="${bytes.get(name)!.length}"/>`,
      );
      expect(md5(entries[`renders/${stem}.jpg`]!)).toBe(md5(bytes.get(name)!));
    }
    expect(Object.keys(entries).sort()).toEqual(expected.sort());
  }, 30_000);

  test("default processor: this program's own `annopage process` runs a real page on the server's built-in engine", async () => {
    const page = readFileSync(`${SHARED}/fixtures/pages/images/dev_001.jpg`);
    const job = await user.createJob({
      images: [{ name: "dev_001.jpg", order: 0 }],
      engine_name: "annopage",
      engine_settings: { outputs: { alto: true } },
    });
    const img = join(work, "dev_001.jpg");
    writeFileSync(img, page);
    await user.uploadImage(job.id, "dev_001.jpg", img);
    const run = runSetup("unused");
    const reports = await startWorker({ ...run.options, processor: defaultProcessor() }, quiet).done;
    expect(reports.map((r) => [r.jobId, r.outcome, r.reason])).toEqual([[job.id, "done", undefined]]);
    const full = await admin.getJob(job.id);
    expect(full.log_user?.match(/Page 1\/1 done \(dev_001\)/g)).toHaveLength(1);
    const zipPath = join(run.dir, "result.zip");
    await user.downloadResult(job.id, zipPath);
    const entries = unzipSync(readFileSync(zipPath));
    expect(Object.keys(entries)).toEqual(["alto/dev_001.xml"]);
    const alto = new TextDecoder().decode(entries["alto/dev_001.xml"]);
    expect(alto).toContain("<alto");
    expect(alto).toContain("dev_001");
  }, 60_000);

  test("the engine is downloaded once per (engine, files_updated) and reused", async () => {
    const { job } = await submit(["a.png"], { engine_settings: { outputs: { alto: true } } });
    const run = runSetup("ok");
    const before = readdirSync(run.options.enginesDir);
    const reports = await startWorker(run.options, quiet).done;
    expect(reports[0]!.outcome).toBe("done");
    expect(readdirSync(run.options.enginesDir)).toEqual(before);
    const wl = readFileSync(join(run.options.jobsDir, readdirSync(run.options.jobsDir)[0]!, "worker.log"), "utf8");
    expect(wl).toContain("(cached)");
    expect((await admin.getJob(job.id)).state).toBe("done");
  }, 30_000);

  test("a processor that exits non-zero ends the job in error with its exit code and stderr", async () => {
    const { job } = await submit(["f.png"]);
    const run = runSetup("fail");
    const reports = await startWorker(run.options, quiet).done;
    expect(reports[0]!.outcome).toBe("error");
    const full = await admin.getJob(job.id);
    expect(full.state).toBe("error");
    expect(full.log).toContain("return code 1");
    expect(full.log).toContain("RuntimeError: fake processor failed on purpose (mode=fail)");
    expect(full.log_user).toContain("AnnoPage processing failed with return code 1: RuntimeError: fake processor failed on purpose");
    await cleanup(job.id);
  }, 30_000);

  test("exit code 3 (some pages failed): the pages that worked are delivered, the job is done, the failure is told", async () => {
    const { job } = await submit(["q1.png", "q2.png"], { engine_settings: { outputs: { alto: true } } });
    const run = runSetup("partial");
    const reports = await startWorker({ ...run.options, partialExitCode: true }, quiet).done; // as for the built-in processor
    expect(reports[0]!.outcome).toBe("done");
    const full = await admin.getJob(job.id);
    expect(full.state).toBe("done");
    expect(full.log_user).toContain("Some pages failed and are missing from the result");
    expect(full.log_user).toContain("page q2 failed: broken on purpose");
    const zipPath = join(run.dir, "result.zip");
    await user.downloadResult(job.id, zipPath);
    expect(Object.keys(unzipSync(readFileSync(zipPath)))).toEqual(["alto/q1.xml"]);
  }, 30_000);

  test("exit code 3 from another processor fails the job like any non-zero code (§7.2)", async () => {
    const { job } = await submit(["q3.png", "q4.png"], { engine_settings: { outputs: { alto: true } } });
    const run = runSetup("partial");
    const reports = await startWorker(run.options, quiet).done;
    expect(reports[0]!.outcome).toBe("error");
    const full = await admin.getJob(job.id);
    expect(full.state).toBe("error");
    expect(full.log_user).toContain("AnnoPage processing failed with return code 3");
    await cleanup(job.id);
  }, 30_000);

  test("a processor that hangs past --processor-timeout is stopped and the job ends in error", async () => {
    const { job } = await submit(["h.png"]);
    const run = runSetup("hang");
    const t0 = performance.now();
    const reports = await startWorker({ ...run.options, processorTimeoutMs: 800 }, quiet).done;
    expect(performance.now() - t0).toBeLessThan(8000);
    expect(reports[0]!.outcome).toBe("error");
    const pid = Number(readFileSync(run.pidFile, "utf8"));
    expect(alive(pid)).toBe(false);
    const full = await admin.getJob(job.id);
    expect(full.state).toBe("error");
    expect(full.log_user).toContain("AnnoPage processing timed out after 0.8 s and was stopped");
    expect(full.log).toContain("SIGTERM ignored");
    await cleanup(job.id);
  }, 30_000);

  test("a run longer than the lease timeout is not re-leased (heartbeats keep it)", async () => {
    const { job } = await submit(["s1.png", "s2.png"], { engine_settings: { outputs: { alto: true } } });
    const run = runSetup("slow", ["--fake-delay-ms", "1300"]);
    const worker = startWorker(run.options, quiet);
    let stolen = 0;
    let polls = 0;
    let finished = false;
    worker.done.then(() => (finished = true));
    // Once our worker runs the processor, nobody else may lease the job until it is done.
    await waitFor("processor start", () => existsSync(run.pidFile));
    while (!finished) {
      const lease = await otherWorker.leaseJob();
      polls++;
      if (lease) {
        stolen++;
        await otherWorker.releaseLease(lease.id).catch(() => {});
      }
      await Bun.sleep(150);
    }
    const reports = await worker.done;
    expect(polls).toBeGreaterThan(8);
    expect(stolen).toBe(0);
    expect(reports[0]!.outcome).toBe("done");
    expect(reports[0]!.processorMs).toBeGreaterThan(2500);
    const full = await admin.getJob(job.id);
    expect(full.state).toBe("done");
    expect(full.previous_attempts).toBe(0);
  }, 30_000);

  test("cancelling a job mid-run kills the processor within a second", async () => {
    const { job } = await submit(["c.png"]);
    const run = runSetup("hang");
    const worker = startWorker(run.options, quiet);
    const pid = await waitFor("processor start", () => existsSync(run.pidFile) && Number(readFileSync(run.pidFile, "utf8")));
    await Bun.sleep(300);
    expect(alive(pid)).toBe(true);
    await user.cancelJob(job.id);
    const t0 = performance.now();
    await waitFor("processor death", () => !alive(pid), 3000, 10);
    const killedAfter = performance.now() - t0;
    const reports = await worker.done;
    expect(killedAfter).toBeLessThan(1000);
    expect(reports[0]!.outcome).toBe("lost");
    expect(reports[0]!.reason).toContain("cancelled");
    expect((await admin.getJob(job.id)).state).toBe("cancelled");
  }, 30_000);

  test("SIGKILL of the worker mid-job: the lease expires and a second worker completes the job once", async () => {
    const { job, bytes } = await submit(["k.png"], { engine_settings: { outputs: { alto: true } } });
    const first = runSetup("hang");
    const child = spawnWorkerCli(first);
    const pid = await waitFor("processor start", () => existsSync(first.pidFile) && Number(readFileSync(first.pidFile, "utf8")), 15_000);
    child.kill("SIGKILL");
    await child.exited;
    process.kill(pid, "SIGKILL"); // the orphaned processor of the dead worker
    expect((await admin.getJob(job.id)).state).toBe("processing");

    const second = runSetup("ok");
    const reports = await startWorker({ ...second.options, apiKey: workerKey }, quiet).done;
    expect(reports.map((r) => [r.jobId, r.outcome])).toEqual([[job.id, "done"]]);
    const full = await admin.getJob(job.id);
    expect(full.state).toBe("done");
    expect(full.previous_attempts).toBe(1);
    const zipPath = join(second.dir, "result.zip");
    await user.downloadResult(job.id, zipPath);
    const entries = unzipSync(readFileSync(zipPath));
    expect(Object.keys(entries)).toEqual(["alto/k.xml"]);
    expect(new TextDecoder().decode(entries["alto/k.xml"])).toContain(md5(bytes.get("k.png")!));
    expect(await otherWorker.leaseJob()).toBeNull();
  }, 40_000);

  test("SIGTERM: the worker kills the processor after the grace period and releases the job", async () => {
    const { job } = await submit(["t.png"]);
    const run = runSetup("hang");
    const child = spawnWorkerCli(run, ["--grace", "0.5"]);
    const pid = await waitFor("processor start", () => existsSync(run.pidFile) && Number(readFileSync(run.pidFile, "utf8")), 15_000);
    expect((await admin.getJob(job.id)).state).toBe("processing");
    const t0 = performance.now();
    child.kill("SIGTERM");
    const code = await child.exited;
    const exitedAfter = performance.now() - t0;
    expect(code).toBe(0);
    expect(exitedAfter).toBeLessThan(6000);
    expect(alive(pid)).toBe(false);
    const full = await admin.getJob(job.id);
    expect(full.state).toBe("queued");
    expect(full.previous_attempts ?? null).toBeNull();
    // the lines still pending at shutdown were sent before the release: the processor's start and the hand-back
    expect(full.log).toContain("Processing t");
    expect(full.log).toContain("[worker] shutting down: the job is given back to the queue");
    expect(full.log_user).toContain("The worker stopped; the job goes back to the queue");
    await cleanup(job.id);
  }, 40_000);
});

describe("annopage work --process-count", () => {
  test("N > 1 is handed to the processor as --process-count N; a bad value is one line and exit 2", async () => {
    const { job } = await submit(["a.png", "b.png"]);
    const run = runSetup("ok");
    const child = spawnWorkerCli(run, ["--process-count", "2"]);
    expect(await child.exited).toBe(0);
    expect((await admin.getJob(job.id)).state).toBe("done");
    const argv: string[] = JSON.parse(readFileSync(run.argsFile, "utf8")).argv;
    expect(argv.slice(-2)).toEqual(["--process-count", "2"]);

    for (const bad of ["0", "1.5", "many"]) {
      const r = await runCli(["work", "--api-url", url, "--api-key", "k", "--process-count", bad]);
      expect(r.code).toBe(2);
      const err = r.stderr.trim();
      expect(err.split("\n")).toHaveLength(1);
      expect(err).toContain("--process-count");
    }
  }, 40_000);
});

describe("the reference worker's flags (docs/processor.md §7.4)", () => {
  test("--polling-interval and --log-file-path work, --logging-format is accepted with a warning, an unknown flag is exit 2", async () => {
    const { job } = await submit(["a.png"]);
    const run = runSetup("ok");
    const logFile = join(run.dir, "logs", "worker.log");
    const o = run.options;
    const child = startCli([
      "work",
      "--api-url",
      o.apiUrl,
      "--api-key",
      o.apiKey,
      "--once",
      "--polling-interval",
      "0.2",
      "--jobs-dir",
      o.jobsDir,
      "--engines-dir",
      o.enginesDir,
      "--device",
      "cpu",
      "--logging-level",
      "DEBUG",
      "--log-file-path",
      logFile,
      "--logging-format",
      "%(asctime)s %(message)s",
      "--processor",
      o.processor.map((a) => `'${a}'`).join(" "),
    ]);
    expect(await child.exited).toBe(0);
    expect((await admin.getJob(job.id)).state).toBe("done");
    expect(child.stderr()).toContain("--logging-format and --logging-date-format are accepted");
    const lines = readFileSync(logFile, "utf8").trim().split("\n");
    for (const l of lines)
      expect(l).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} : annopage\.worker : \S+ : (DEBUG|INFO|WARNING|ERROR) : /);
    expect(lines.some((l) => l.includes(`job ${job.id} done`))).toBe(true);
    expect(lines.some((l) => / : DEBUG : job \S+ processor stderr: .*Processing a$/.test(l))).toBe(true); // the processor's lines at DEBUG

    for (const bad of [
      ["--polling-interval", "x"],
      ["--bogus-flag", "1"],
      ["--wait", "1", "--polling-interval", "1"],
    ]) {
      const r = await runCli(["work", "--api-url", url, "--api-key", "k", ...bad]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  }, 40_000);
});

function spawnWorkerCli(run: Run, extra: string[] = []) {
  const o = run.options;
  const child = startCli([
    "work",
    "--api-url",
    o.apiUrl,
    "--api-key",
    o.apiKey,
    "--once",
    "--wait",
    "0.2",
    "--jobs-dir",
    o.jobsDir,
    "--engines-dir",
    o.enginesDir,
    "--device",
    "cpu",
    "--logging-level",
    "INFO",
    "--processor",
    o.processor.map((a) => `'${a}'`).join(" "),
    ...extra,
  ]);
  void child.exited.then(() => {
    const { exitCode, signalCode } = child.proc;
    if (exitCode && exitCode !== 0) console.error(`worker exited ${exitCode} ${signalCode}: ${child.stderr()}`);
  });
  return child;
}
