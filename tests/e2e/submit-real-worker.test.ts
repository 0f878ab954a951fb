/**
 * A new user's first runs, all real: the API server (PostgreSQL) on 127.0.0.1, the worker loop in
 * this process running this program's own `annopage process` as its processor (several page
 * processes with --process-count), and `annopage submit` as a child process. A recording proxy
 * between the worker and the server keeps every progress update the worker sends.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import { startWorker } from "../../src/worker/loop.ts";
import type { Logger } from "../../src/worker/job-runner.ts";
import { defaultProcessor } from "../../src/worker/options.ts";
import { PageTally } from "../../src/worker/page-progress.ts";
import { resolveEngineSettings } from "../../src/client/settings.ts";
import { unzipSync } from "fflate";
import { runCli } from "../helpers/cli.ts";
import { setupKeys, type Keys } from "../helpers/keys.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { SHARED } from "../helpers/shared.ts";
import { testWorkerOptions } from "../helpers/worker-options.ts";

const PAGES = ["dev_001", "dev_002", "dev_003", "dev_004", "dev_005", "dev_006"];
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let server: TestServer;
let keys: Keys;
let tmp: string;
let proxy: ReturnType<typeof Bun.serve>;
/** Bodies of the worker's PATCH /v1/jobs/{id} requests, in order. */
const patches: { progress?: number; log_user?: string; state?: string }[] = [];

beforeAll(async () => {
  server = await startTestServer();
  keys = await setupKeys(server.url, server.adminKey, "first-hour");
  tmp = mkdtempSync(join(tmpdir(), "annopage-first-hour-"));
  // detection only (no OCR): quick pages, real detector
  const zip = join(tmp, "engine.zip");
  writeFileSync(zip, zipSync({ "config.ini": strToU8("[DETECT]\nMETHOD = YOLO_DETECTION\n") }));
  await keys.admin.createEngine({ name: "det", version: "1", description: "detection only", definition: {} });
  await keys.admin.uploadEngineFiles("det", "1", zip);
  proxy = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const u = new URL(req.url);
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      if (req.method === "PATCH" && /^\/v1\/jobs\/[^/]+$/.test(u.pathname) && body)
        patches.push(JSON.parse(new TextDecoder().decode(body)));
      return fetch(server.url + u.pathname + u.search, { method: req.method, headers: req.headers, body });
    },
  });
});

afterAll(async () => {
  proxy?.stop(true);
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function pageFolder(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const p of PAGES) copyFileSync(join(SHARED, "fixtures/pages/images", `${p}.jpg`), join(dir, `${p}.jpg`));
  return dir;
}

/** `annopage submit` against the server while a one-job worker (3 page processes) serves it. */
async function submitWithWorker(args: string[]) {
  const run = join(tmp, `run-${Math.random().toString(36).slice(2)}`);
  const worker = startWorker(
    testWorkerOptions(
      { apiUrl: `http://127.0.0.1:${proxy.port}`, apiKey: keys.worker, dir: run, processor: defaultProcessor() },
      { processCount: 3, logFlushMs: 100 },
    ),
    quiet,
  );
  const r = await runCli(["submit", "--engine-name", "det", "--polling-interval", "0.1", ...args], {
    env: {
      ANNOPAGE_API_URL: server.url,
      ANNOPAGE_API_KEY: keys.user,
    },
  });
  if (r.code !== 0) worker.stop(true); // no job will come: end the one-job worker's wait
  const reports = await worker.done;
  return { ...r, reports };
}

describe("progress is counted per job over all page processes", () => {
  test("Page k/N lines in order with N the job's pages, progress = pages done / N, 'Job done, progress 100%' last", async () => {
    patches.length = 0;
    const images = pageFolder("progress");
    const r = await submitWithWorker(["--images", images, "--output-alto", "--output", join(tmp, "progress.zip")]);
    expect(r.reports.map((x) => x.outcome)).toEqual(["done"]);
    expect(r.code).toBe(0);

    // what the user reads on stderr (not a terminal: plain lines)
    const lines = r.stderr.trim().split("\n");
    const pageLines = lines.filter((l) => /^ {2}Page /.test(l));
    expect(pageLines.map((l) => /^ {2}Page (\d+)\/(\d+) done \((dev_\d+)\)$/.exec(l)?.slice(1, 3))).toEqual(
      PAGES.map((_, i) => [String(i + 1), String(PAGES.length)]),
    );
    expect(pageLines.map((l) => /\((dev_\d+)\)$/.exec(l)![1]).sort()).toEqual(PAGES);
    expect(lines.at(-1)).toBe("Job done, progress 100%");
    expect(lines.filter((l) => l.startsWith("Job done"))).toHaveLength(1);

    // every progress the worker sent matches the last page line sent with it: k/N of the job
    let k = 0;
    let last = 0;
    const withProgress = patches.filter((p) => p.progress !== undefined);
    expect(withProgress.length).toBeGreaterThan(0);
    for (const p of withProgress) {
      const ks = [...(p.log_user ?? "").matchAll(/^Page (\d+)\/6 /gm)].map((m) => Number(m[1]));
      k = ks.at(-1) ?? k;
      expect(p.progress!).toBeCloseTo(k / PAGES.length, 9);
      expect(p.progress!).toBeGreaterThanOrEqual(last);
      last = p.progress!;
    }
    const job = await keys.admin.getJob(JSON.parse(r.stdout).job_id);
    expect(job.progress).toBe(1);
    expect(job.log ?? "").toMatch(/DONE 1\/2 /); // the page processes did log their own shares
  }, 120_000);
});

describe("PageTally (the worker's per-job page count)", () => {
  test("two page processes logging their own shares, the PAGE line repeating a page, a reference failure, unnamed lines", () => {
    const t = new PageTally(5);
    const log = (m: string) => `[INFO|2026-01-05_14-03-22|parse_folder.py:Computator]: ${m}`;
    const seen = [
      log("DONE 1/2 (50.00 %) [id: a] Time:0.10"), // process 1
      log("DONE 1/3 (33.33 %) [id: b] Time:0.10"), // process 2
      "PAGE 1/5 ok 0.10s a", // the parent's line for a page already counted
      "[ERROR|2026-01-05_14-03-22|parse_folder.py:Computator]: Failed to process file 'c d'.",
      "PAGE 3/5 failed 0.20s c d",
      log("DONE 2/2 (100.00 %) Time:0.30"), // no id
      log("DONE 2/3 (66.67 %) [id: e] Time:0.10"),
      log("DONE 3/3 (100.00 %) [id: f] Time:0.10"), // more pages than the job has: ignored
      "Processing g",
    ].map((l) => t.add(l));
    expect(seen).toEqual([
      { done: 1, total: 5, pageId: "a", failed: false },
      { done: 2, total: 5, pageId: "b", failed: false },
      null,
      { done: 3, total: 5, pageId: "c d", failed: true },
      null,
      { done: 4, total: 5, pageId: undefined, failed: false },
      { done: 5, total: 5, pageId: "e", failed: false },
      null,
      null,
    ]);
    expect(t.fraction).toBe(1);
  });
});

describe("submit without --output-* flags asks for ALTO", () => {
  const NOTICE = "No output chosen: asking for ALTO (--output-alto); --no-outputs asks for none";

  test("a default submit: the notice on stderr, the job asks for ALTO, the ZIP holds one ALTO per page", async () => {
    const out = join(tmp, "default.zip");
    const r = await submitWithWorker(["--images", pageFolder("default"), "--output", out, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr.trim()).toBe(NOTICE);
    const job = await keys.admin.getJob(JSON.parse(r.stdout).job_id);
    expect(job.engine_settings).toEqual({ outputs: { alto: true } });
    const entries = unzipSync(readFileSync(out));
    expect(Object.keys(entries).sort()).toEqual(PAGES.map((p) => `alto/${p}.xml`));
    for (const p of PAGES) expect(new TextDecoder().decode(entries[`alto/${p}.xml`])).toContain(`<fileName>${p}</fileName>`);
  }, 120_000);

  test("--no-outputs keeps the old wire behaviour: no engine_settings, a result without page files, no notice", async () => {
    const out = join(tmp, "none.zip");
    const r = await submitWithWorker(["--images", pageFolder("none"), "--output", out, "--json", "--no-outputs"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const job = await keys.admin.getJob(JSON.parse(r.stdout).job_id);
    expect(job.engine_settings ?? null).toBeNull();
    expect(Object.keys(unzipSync(readFileSync(out)))).toEqual([]);
  }, 120_000);

  test("--no-outputs with an --output-* flag is a usage error; --help names --no-outputs", async () => {
    const r = await runCli(
      ["submit", "--images", pageFolder("conflict"), "--no-outputs", "--output-alto", "--output", join(tmp, "c.zip")],
      { env: { ANNOPAGE_API_URL: server.url, ANNOPAGE_API_KEY: keys.user } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--no-outputs cannot be combined with --output-* flags");
    const help = await runCli(["submit", "--help"]);
    expect(help.stdout + help.stderr).toMatch(/--no-outputs/);
    expect(help.stdout + help.stderr).toMatch(/ALTO is asked for/);
    const bad = await runCli(["submit", "--images", pageFolder("conflict"), "--outputs", "--output", join(tmp, "c.zip")], {
      env: {
        ANNOPAGE_API_URL: server.url,
        ANNOPAGE_API_KEY: keys.user,
      },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option --outputs");
  }, 60_000);

  test("resolveEngineSettings: the default applies only when no output was chosen; an explicit empty set is a choice", () => {
    const d = join(tmp, "settings");
    mkdirSync(d, { recursive: true });
    const file = (name: string, v: unknown) => (writeFileSync(join(d, name), JSON.stringify(v)), join(d, name));
    const dflt = { defaultOutputs: { alto: true } };
    const problems: string[] = [];
    expect(resolveEngineSettings({ ...dflt }, problems)).toEqual({ settings: { outputs: { alto: true } }, defaulted: true });
    expect(resolveEngineSettings({ ...dflt, outputs: { crops: true } }, problems)).toEqual({
      settings: { outputs: { crops: true } },
      defaulted: false,
    });
    expect(resolveEngineSettings({ ...dflt, config: file("empty.json", { outputs: {} }) }, problems)).toEqual({
      settings: { outputs: {} },
      defaulted: false,
    });
    expect(resolveEngineSettings({ ...dflt, config: file("ic.json", { image_captioning: { model: "m" } }) }, problems)).toEqual({
      settings: { outputs: { alto: true }, image_captioning: { model: "m" } },
      defaulted: true,
    });
    expect(resolveEngineSettings({}, problems)).toEqual({ settings: undefined, defaulted: false }); // --no-outputs / reference client
    expect(problems).toEqual([]);
  });
});
