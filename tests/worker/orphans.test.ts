/**
 * A worker that dies without warning (SIGKILL) takes its processor down with it: real processes
 * only. `annopage work` (from source and the compiled binary) and a server with local workers
 * (`serve --workers`: the workers run inside the server process) start the fake processor in its
 * "hang" mode (it ignores SIGTERM and never ends, like a stuck foreign processor); once it runs
 * (its pid file exists) the worker or server is SIGKILLed and every process it had started —
 * the processor included — must be gone shortly after.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import { ApiClient } from "../../src/client/api.ts";
import { startProcessor, type ProcessorResult, type ProcessorRun } from "../../src/worker/processor.ts";
import { pageJpeg } from "../helpers/files.ts";
import { relocatedBinary, BUN, REPO, startCli, type CliChild, FAKE_PROCESSOR } from "../helpers/cli.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { freePort } from "../helpers/ports.ts";
import { ADMIN_KEY, startTestServer, type TestServer } from "../helpers/server.ts";

const SERVE_FIXTURE = join(REPO, "tests", "fixtures", "serve-with-workers.ts");
/** How long the processes of a killed worker may take to go. */
const GONE_WITHIN_MS = 15_000;

let server: TestServer;
let tmp: string;
let workerKey: string;
let userApi: ApiClient;
const leftovers = new Set<number>();

/** An engine `fake` with a config.ini on the server at `url`; returns a user client. */
async function setUpServer(url: string, adminKey: string): Promise<{ user: ApiClient; workerKey: string }> {
  const admin = new ApiClient({ apiUrl: url, apiKey: adminKey });
  const zip = join(tmp, `engine-${Math.random().toString(36).slice(2)}.zip`);
  writeFileSync(zip, zipSync({ "config.ini": strToU8("[PAGE_PARSER]\n") }));
  await admin.createEngine({ name: "fake", version: "1", description: "fake processor", definition: {}, active: true });
  await admin.uploadEngineFiles("fake", "1", zip);
  const user = new ApiClient({ apiUrl: url, apiKey: (await admin.createKey(`u-${Math.random()}`, "user")).secret });
  return { user, workerKey: (await admin.createKey(`w-${Math.random()}`, "worker")).secret };
}

async function queueJob(user: ApiClient, name: string): Promise<string> {
  const job = await user.createJob({ images: [{ name, order: 0 }], engine_name: "fake" });
  const p = join(tmp, name);
  writeFileSync(p, pageJpeg(name));
  await user.uploadImage(job.id, name, p);
  return job.id;
}

/** Running and not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Every live process below `root` (children, their children, …). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [pid, pp] of parent) if (pp === p && alive(pid)) out.push(pid), walk(pid);
  };
  walk(root);
  return out;
}

async function processorPid(pidFile: string, owner: CliChild): Promise<number> {
  for (const end = Date.now() + 60_000; Date.now() < end; ) {
    try {
      const pid = Number(readFileSync(pidFile, "utf8"));
      if (pid > 0) {
        leftovers.add(pid);
        return pid;
      }
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error(`the processor did not start; output:\n${owner.output()}`);
}

/** Waits until none of `pids` is alive (at most `ms`); returns those still alive. */
async function survivors(pids: number[], ms = GONE_WITHIN_MS): Promise<number[]> {
  const end = Date.now() + ms;
  while (pids.some(alive) && Date.now() < end) await Bun.sleep(100);
  return pids.filter(alive);
}

/** SIGKILLs the worker or server once its processor runs; returns the processes it left behind. */
async function killAndCollect(owner: CliChild, pidFile: string): Promise<{ processor: number; family: number[]; left: number[] }> {
  const processor = await processorPid(pidFile, owner);
  const family = descendants(owner.proc.pid);
  for (const pid of family) leftovers.add(pid);
  owner.kill("SIGKILL");
  await owner.exited;
  return { processor, family, left: await survivors(family) };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "worker-orphans-"));
  server = await startTestServer();
  ({ user: userApi, workerKey } = await setUpServer(server.url, server.adminKey));
}, 60_000);

afterAll(async () => {
  for (const pid of leftovers) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** `nested`: the processor is a shell that runs the fake processor as its own child (like a Python process pool). */
async function workerKilledMidJob(tag: string, opts: { binary?: string; nested?: boolean } = {}) {
  await queueJob(userApi, `${tag}.jpg`);
  const pidFile = join(tmp, `${tag}.pid`);
  const fake = `${BUN} ${FAKE_PROCESSOR} --fake-mode hang --fake-pid-file ${pidFile}`;
  const worker = startCli(
    [
      "work",
      "--api-url",
      server.url,
      "--base-dir",
      join(tmp, tag),
      "--wait",
      "0.2",
      "--device",
      "cpu",
      "--processor",
      opts.nested ? `sh -c '${BUN} ${FAKE_PROCESSOR} "$@" & wait' processor --fake-mode hang --fake-pid-file ${pidFile}` : fake,
    ],
    { env: { ANNOPAGE_API_KEY: workerKey }, binary: opts.binary },
  );
  const { processor, family, left } = await killAndCollect(worker, pidFile);
  expect(family).toContain(processor);
  expect(left).toEqual([]);
}

test("a SIGKILLed `annopage work` takes its running processor down with it", async () => {
  await workerKilledMidJob("work-src");
}, 90_000);

test("… and the processes that processor started (the processor is a shell whose child does the work)", async () => {
  await workerKilledMidJob("work-nested", { nested: true });
}, 90_000);

test("the same with the compiled binary (its supervisor is the binary itself)", async () => {
  await workerKilledMidJob("work-bin", { binary: await relocatedBinary() });
}, 300_000);

test("a SIGKILLed server with local workers (`serve --workers`) takes their processors down with it", async () => {
  const db: TestDatabase = await createTestDatabase("orphans_serve");
  const pidFile = join(tmp, "serve.pid");
  const port = await freePort();
  const child = startCli([], {
    command: [BUN, SERVE_FIXTURE],
    env: {
      APP_HOST: "127.0.0.1",
      APP_PORT: String(port),
      BASE_DIR: join(tmp, "serve"),
      ADMIN_KEY,
      DATABASE_URL: db.url,
      FIXTURE_WORKERS: "1",
      FIXTURE_PROCESSOR: JSON.stringify([BUN, FAKE_PROCESSOR, "--fake-mode", "hang", "--fake-pid-file", pidFile]),
    },
  });
  try {
    const url = (await child.waitFor(/listening on (http\S+)/, 60_000))[1]!;
    const { user } = await setUpServer(url, ADMIN_KEY);
    await queueJob(user, "serve.jpg");
    const { processor, family, left } = await killAndCollect(child, pidFile);
    expect(family).toContain(processor);
    expect(left).toEqual([]);
  } finally {
    child.kill("SIGKILL");
    await child.exited;
    await db.drop();
  }
}, 120_000);

describe("through the supervisor the worker still sees how the processor itself ended", () => {
  const run = async (argv: string[], onLine?: (line: string, r: ProcessorRun) => void) => {
    const lines: string[] = [];
    const r: ProcessorRun = startProcessor({
      argv,
      cwd: tmp,
      onLine: (stream, line) => {
        lines.push(`${stream}: ${line}`);
        onLine?.(line, r);
      },
    });
    const result: ProcessorResult = await r.done;
    return { ...result, lines };
  };

  test("its exit code and its output, line by line on the right stream", async () => {
    const r = await run(["sh", "-c", "echo out; echo err >&2; exit 7"]);
    expect([r.exitCode, r.signal]).toEqual([7, null]);
    expect(r.lines.sort()).toEqual(["stderr: err", "stdout: out"]);
    expect(r.stderrTail).toEqual(["err"]);
  });

  test("the signal that killed it", async () => {
    const r = await run(["sh", "-c", "kill -USR1 $$"]);
    expect([r.exitCode, r.signal]).toEqual([null, "SIGUSR1"]);
  });

  test("SIGTERM from stop() reaches the processor, which decides what it means", async () => {
    const r = await run(["sh", "-c", "trap 'echo bye; exit 5' TERM; echo ready; while :; do sleep 0.05; done"], (line, p) => {
      if (line === "ready") p.stop(10_000);
    });
    expect([r.exitCode, r.signal]).toEqual([5, null]);
    expect(r.lines).toContain("stdout: bye");
  });

  test("a command that cannot start: code 127 and why", async () => {
    const r = await run([join(tmp, "no-such-processor")]);
    expect(r.exitCode).toBe(127);
    expect(r.stderrTail.join("\n")).toContain(`cannot start processor "${join(tmp, "no-such-processor")}"`);
  });
});
