/**
 * `annopage submit` end to end: the real server (PostgreSQL), the real CLI as a child process, and
 * a worker playing its role over real HTTP (tests/helpers/http-worker.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { ApiClient } from "../../src/client/api.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { HttpWorker } from "../helpers/http-worker.ts";
import { makePageFolder } from "../helpers/files.ts";
import { runCli, startCli } from "../helpers/cli.ts";
import { setupKeys, type Keys } from "../helpers/keys.ts";

let server: TestServer;
let keys: Keys;
let worker: HttpWorker;
let tmp: string;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startTestServer({ env: { JOB_MAX_ATTEMPTS: "1" } });
  keys = await setupKeys(server.url, server.adminKey, "submit");
  await keys.admin.createEngine({ name: "EngA", version: "1.0", description: "test engine", definition: {}, default: true });
  worker = new HttpWorker(server.url, keys.worker).start();
  tmp = mkdtempSync(join(tmpdir(), "annopage-client-submit-"));
  env = { ANNOPAGE_API_URL: server.url, ANNOPAGE_API_KEY: keys.user };
});

afterAll(async () => {
  await worker?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const FAST = ["--polling-interval", "0.1"];

function zipEntries(path: string): Record<string, string> {
  return Object.fromEntries(Object.entries(unzipSync(readFileSync(path))).map(([k, v]) => [k, strFromU8(v)]));
}

describe("annopage submit", () => {
  test("a folder of pages with ALTO, metadata and --config round-trips to a ZIP; --json parses", async () => {
    const f = makePageFolder(join(tmp, "roundtrip"), ["page10.jpg", "page2.jpg", "page1.jpg"], {
      metadata: { title: "Kronika české země" },
    });
    const config = join(f.root, "settings.json");
    writeFileSync(config, JSON.stringify({ outputs: { alto: true, crops: true }, image_captioning: { model: "m1" } }));
    const out = join(tmp, "roundtrip.zip");
    const r = await runCli(
      [
        "submit",
        "--images",
        f.images,
        "--alto",
        f.alto,
        "--metadata",
        f.metadata,
        "--config",
        config,
        "--output-renders",
        "--output",
        out,
        "--json",
        ...FAST,
      ],
      { env },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.state).toBe("done");
    expect(doc.output).toBe(out);
    expect(doc.images).toBe(3);
    expect(doc.uploaded).toEqual({ files: 7, bytes: expect.any(Number) });
    expect(doc.engine).toEqual({ name: "EngA", version: "1.0" });
    expect(doc.timings.total_s).toBeGreaterThan(0);
    expect(Object.keys(doc.timings).sort()).toEqual(["created_at", "download_s", "finished_at", "processing_s", "total_s", "upload_s"]);

    const entries = zipEntries(out);
    expect(Object.keys(entries).sort()).toEqual([
      "alto/page1.xml",
      "alto/page10.xml",
      "alto/page2.xml",
      "engine_settings.json",
      "meta.json",
      "order.txt",
    ]);
    expect(entries["order.txt"]).toBe("0 page1.jpg\n1 page2.jpg\n2 page10.jpg");
    expect(JSON.parse(entries["engine_settings.json"]!)).toEqual({
      outputs: { alto: true, crops: true, renders: true },
      image_captioning: { model: "m1" },
    });
    expect(JSON.parse(entries["meta.json"]!)).toEqual({ title: "Kronika české země" });
    // Nothing half-written next to the output.
    expect(readdirSync(tmp).filter((n) => n.includes(".part"))).toEqual([]);

    const job = await keys.admin.getJob(doc.job_id);
    expect(job.images.every((i) => i.image_uploaded && i.alto_uploaded)).toBe(true);
    expect(job.meta_json_uploaded).toBe(true);
  }, 60_000);

  test("--output DIR unpacks the result there", async () => {
    const f = makePageFolder(join(tmp, "todir"), ["a.jpg", "b.jpg"]);
    const out = join(tmp, "todir-out");
    const r = await runCli(["submit", "--images", f.images, "--output", out, ...FAST], { env });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout); // stdout is not a terminal → JSON
    expect(doc.output).toBe(out);
    expect(readFileSync(join(out, "order.txt"), "utf8")).toBe("0 a.jpg\n1 b.jpg");
    expect(existsSync(join(out, "alto", "b.xml"))).toBe(true);
    expect(readdirSync(out).filter((n) => n.startsWith("."))).toEqual([]);
    // Not a terminal and no --json: plain lines on stderr, no bars.
    expect(r.stderr).toContain("Created job ");
    expect(r.stderr).toContain("Job done, progress 100%");
    expect(r.stderr).not.toContain("\r");
  }, 60_000);

  test("every input problem is reported at once, exit 2, and no job is created", async () => {
    const before = (await keys.admin.listJobs()).length;
    const f = makePageFolder(join(tmp, "bad"), ["p1.jpg", "p2.jpg", "p3.jpg"]);
    rmSync(join(f.alto, "p2.xml"));
    writeFileSync(join(f.images, "p4.jpg"), "not an image");
    symlinkSync(join(tmp, "gone.jpg"), join(f.images, "p5.jpg"));
    writeFileSync(f.metadata, "{broken");
    const r = await runCli(["submit", "--images", f.images, "--alto", f.alto, "--metadata", f.metadata, "--output", join(tmp, "bad.zip")], {
      env,
    });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe("annopage: 5 problems, nothing was submitted:");
    expect(r.stderr).toContain("image p2.jpg has no ALTO file");
    expect(r.stderr).toContain("p4.jpg is not a JPEG, PNG, TIFF, WebP, BMP or GIF file");
    expect(r.stderr).toContain(`cannot read image ${join(f.images, "p5.jpg")}`);
    expect(r.stderr).toContain("image p4.jpg has no ALTO file"); // p5 is unreadable: reported once
    expect(r.stderr).toContain("is not valid JSON");
    expect((await keys.admin.listJobs()).length).toBe(before);

    const empty = join(tmp, "empty");
    mkdirSync(empty);
    const r2 = await runCli(["submit", "--images", empty, "--output", join(tmp, "x.zip")], { env });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`no images in ${empty}`);
    const r3 = await runCli(["submit", "--images", empty]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain("--api-url URL is required (or set ANNOPAGE_API_URL)");
    expect(r3.stderr).toContain("--output FILE.zip or DIR is required");
  }, 30_000);

  test("the exit code follows the job's end state: failed → 1 with the server's reason", async () => {
    const f = makePageFolder(join(tmp, "fail"), ["x.jpg"]);
    const r = await runCli(
      ["submit", "--images", f.images, "--image-captioning-settings", '{"test_mode":"fail"}', "--output", join(tmp, "fail.zip"), ...FAST],
      { env },
    );
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.state).toBe("failed");
    expect(doc.reason).toBe("AnnoPage processing failed with return code 2");
    expect(r.stderr).toContain(`job ${doc.job_id} ended failed: AnnoPage processing failed with return code 2`);
    expect(existsSync(join(tmp, "fail.zip"))).toBe(false);
  }, 60_000);

  test("a job cancelled elsewhere ends the client with exit 1", async () => {
    const f = makePageFolder(join(tmp, "cancelled"), ["x.jpg"]);
    const run = startCli(
      ["submit", "--images", f.images, "--image-captioning-settings", '{"test_mode":"hold"}', "--output", join(tmp, "c.zip"), ...FAST],
      { env },
    );
    await run.waitFor(/Job processing/, 30_000, "stderr");
    const id = /Created job ([0-9a-f-]{36})/.exec(run.stderr())![1]!;
    await keys.admin.cancelJob(id);
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ job_id: id, state: "cancelled" });
  }, 60_000);

  test("Ctrl-C cancels the job on the server; with --detach it keeps running; exit 130 either way", async () => {
    const f = makePageFolder(join(tmp, "sigint"), ["x.jpg"]);
    const run = startCli(
      ["submit", "--images", f.images, "--image-captioning-settings", '{"test_mode":"hold"}', "--output", join(tmp, "s.zip"), ...FAST],
      { env },
    );
    await run.waitFor(/Job processing/, 30_000, "stderr");
    const id = /Created job ([0-9a-f-]{36})/.exec(run.stderr())![1]!;
    run.proc.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`interrupted: job ${id} cancelled`);
    expect(JSON.parse(r.stdout)).toMatchObject({ job_id: id, state: "cancelled", exit_code: 130 });
    expect((await keys.admin.getJob(id)).state).toBe("cancelled");

    const run2 = startCli(
      [
        "submit",
        "--detach",
        "--images",
        f.images,
        "--image-captioning-settings",
        '{"test_mode":"hold"}',
        "--output",
        join(tmp, "d.zip"),
        ...FAST,
      ],
      { env },
    );
    await run2.waitFor(/Job processing/, 30_000, "stderr");
    const id2 = /Created job ([0-9a-f-]{36})/.exec(run2.stderr())![1]!;
    run2.proc.kill("SIGINT");
    const r2 = await run2.done;
    expect(r2.code).toBe(130);
    expect(r2.stderr).toContain(`detached from job ${id2}; resume with --job ${id2}`);
    expect((await keys.admin.getJob(id2)).state).toBe("processing");
    // Resume the detached job without local inputs: nothing to upload, it finishes once the worker lets go.
    const resumed = startCli(["submit", "--job", id2, "--output", join(tmp, "d.zip"), ...FAST], { env });
    await resumed.waitFor(/Resuming job/, 30_000, "stderr");
    worker.release(id2);
    const r3 = await resumed.done;
    expect(r3.code).toBe(0);
    expect(JSON.parse(r3.stdout)).toMatchObject({ job_id: id2, state: "done", resumed: true, uploaded: { files: 0, bytes: 0 } });
    expect(Object.keys(zipEntries(join(tmp, "d.zip")))).toContain("alto/x.xml");
  }, 60_000);

  test("Ctrl-C during the upload stops it and cancels the job", async () => {
    const names = Array.from({ length: 16 }, (_, i) => `big${i + 1}.jpg`);
    const f = makePageFolder(join(tmp, "bigint"), names, { big: true });
    const run = startCli(["submit", "--images", f.images, "--parallel", "1", "--output", join(tmp, "bigint.zip"), ...FAST], { env });
    await run.waitFor(/Created job ([0-9a-f-]{36})/, 30_000, "stderr");
    const id = /Created job ([0-9a-f-]{36})/.exec(run.stderr())![1]!;
    for (const t0 = Date.now(); Date.now() - t0 < 20_000; await Bun.sleep(10)) {
      if ((await keys.admin.getJob(id)).images.some((i) => i.image_uploaded)) break;
    }
    run.proc.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`interrupted: job ${id} cancelled`);
    const job = await keys.admin.getJob(id);
    expect(job.state).toBe("cancelled");
    expect(job.images.filter((i) => i.image_uploaded).length).toBeLessThan(names.length);
  }, 60_000);

  test("a create whose answer is lost is retried with the same Idempotency-Key: one job", async () => {
    // A proxy that lets the first POST /v1/jobs reach the server, then answers 502 instead.
    const seen: string[] = [];
    let dropped = false;
    const proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const u = new URL(req.url);
        const body = req.method === "GET" ? undefined : await req.arrayBuffer();
        const res = await fetch(server.url + u.pathname + u.search, { method: req.method, headers: req.headers, body });
        if (req.method === "POST" && u.pathname === "/v1/jobs") {
          seen.push(req.headers.get("idempotency-key") ?? "");
          if (!dropped) {
            dropped = true;
            await res.arrayBuffer();
            return new Response("upstream went away", { status: 502 });
          }
        }
        return res;
      },
    });
    try {
      const before = (await keys.admin.listJobs()).length;
      const f = makePageFolder(join(tmp, "idem"), ["i1.jpg"]);
      const r = await runCli(["submit", "--images", f.images, "--output", join(tmp, "idem.zip"), ...FAST], {
        env: {
          ...env,
          ANNOPAGE_API_URL: `http://127.0.0.1:${proxy.port}`,
        },
      });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("retrying POST /v1/jobs");
      expect(seen).toHaveLength(2);
      expect(seen[0]).toBe(seen[1]!);
      expect(seen[0]!.length).toBeGreaterThan(0);
      const jobs = await keys.admin.listJobs();
      expect(jobs.length).toBe(before + 1);
      expect(jobs[0]!.id).toBe(JSON.parse(r.stdout).job_id);
    } finally {
      proxy.stop(true);
    }
  }, 60_000);

  test("--job resumes an interrupted submit: uploads only what is missing", async () => {
    const f = makePageFolder(join(tmp, "resume"), ["r1.jpg", "r2.jpg", "r3.jpg"]);
    const user = new ApiClient({ apiUrl: server.url, apiKey: keys.user });
    const job = await user.createJob({
      images: ["r1.jpg", "r2.jpg", "r3.jpg"].map((name, order) => ({ name, order })),
      alto_required: true,
      meta_json_required: true,
    });
    await user.uploadImage(job.id, "r1.jpg", join(f.images, "r1.jpg"));
    await user.uploadAlto(job.id, "r1.jpg", join(f.alto, "r1.xml"));
    await user.uploadImage(job.id, "r2.jpg", join(f.images, "r2.jpg"));
    // Without local inputs, or without --alto, the resumed job cannot be completed: a usage error.
    const none = await runCli(["submit", "--job", job.id, "--output", join(tmp, "resume.zip")], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("job image r3.jpg is not uploaded yet and not in the images directory (--images DIR)");
    expect(none.stderr).not.toContain("r1.jpg");
    const bad = await runCli(
      ["submit", "--job", job.id, "--images", f.images, "--metadata", f.metadata, "--output", join(tmp, "resume.zip")],
      { env },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("the job requires ALTO for r2.jpg: give --alto DIR");
    const r = await runCli(
      [
        "submit",
        "--job",
        job.id,
        "--images",
        f.images,
        "--alto",
        f.alto,
        "--metadata",
        f.metadata,
        "--output",
        join(tmp, "resume.zip"),
        "--json",
        ...FAST,
      ],
      { env },
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ job_id: job.id, state: "done", resumed: true });
    // r2 ALTO, r3 image + ALTO, metadata.
    expect(doc.uploaded.files).toBe(4);
    expect(zipEntries(join(tmp, "resume.zip"))["order.txt"]).toBe("0 r1.jpg\n1 r2.jpg\n2 r3.jpg");
  }, 60_000);
});
