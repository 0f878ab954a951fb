/**
 * `annopage engines`, `keys`, `jobs` and the reference program names, as child processes against
 * the real server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, unzipSync, zipSync } from "fflate";
import { ApiClient } from "../../src/client/api.ts";
import { aliasedArgs, programName } from "../../src/cli/aliases.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { HttpWorker } from "../helpers/http-worker.ts";
import { makePageFolder } from "../helpers/files.ts";
import { BUN, REPO, runCli } from "../helpers/cli.ts";
import { setupKeys, type Keys } from "../helpers/keys.ts";

let server: TestServer;
let keys: Keys;
let tmp: string;
let admin: Record<string, string>;
let user: Record<string, string>;

beforeAll(async () => {
  server = await startTestServer();
  keys = await setupKeys(server.url, server.adminKey, "admin");
  tmp = mkdtempSync(join(tmpdir(), "annopage-client-admin-"));
  admin = { ANNOPAGE_API_URL: server.url, ANNOPAGE_API_KEY: server.adminKey };
  user = { ANNOPAGE_API_URL: server.url, ANNOPAGE_API_KEY: keys.user };
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("engines", () => {
  test("add, update, upload-files; listing with a user key (table and --json)", async () => {
    const def = join(tmp, "def.json");
    writeFileSync(def, JSON.stringify({ model: "yolo" }));
    const zip = join(tmp, "engine.zip");
    writeFileSync(zip, zipSync({ "config.ini": strToU8("[PAGE_PARSE]\nMETHOD = YOLO_DETECTION\n") }));

    const a = await runCli(
      [
        "engines",
        "add",
        "--name",
        "Engine 10",
        "--version",
        "1.0",
        "--description",
        "ten",
        "--definition",
        def,
        "--default",
        "--files",
        zip,
        "--json",
      ],
      { env: admin },
    );
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    const created = JSON.parse(a.stdout);
    expect(created).toMatchObject({ name: "Engine 10", version: "1.0", default: true, active: true });
    expect(created.files_updated).toBeTruthy();
    expect((await runCli(["engines", "add", "--name", "Engine 2", "--version", "2.0", "--description", "two"], { env: admin })).code).toBe(
      0,
    );

    const dup = await runCli(["engines", "add", "--name", "Engine 2", "--version", "2.0"], { env: admin });
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain("409 ENGINE_ALREADY_EXISTS");

    const up = await runCli(["engines", "update", "Engine 2", "2.0", "--description", "two, updated", "--default", "true"], { env: admin });
    expect(up.code).toBe(0);
    expect(up.stdout).toBe("Updated engine Engine 2 2.0\n");
    const files = await runCli(["engines", "upload-files", "Engine 2", "2.0", zip], { env: admin });
    expect(files.code).toBe(0);
    expect(files.stdout).toBe("Uploaded the files of engine Engine 2 2.0\n");
    const again = await runCli(["engines", "upload-files", "Engine 2", "2.0", zip], { env: admin });
    expect(again.stdout).toBe("Replaced the files of engine Engine 2 2.0\n");
    const nothing = await runCli(["engines", "update", "Engine 2", "2.0"], { env: admin });
    expect(nothing.code).toBe(2);

    const list = await runCli(["engines", "--json"], { env: user });
    expect(list.code).toBe(0);
    // The server registers its built-in engine too; ours come in natural order (2 before 10).
    expect((JSON.parse(list.stdout) as Record<string, unknown>[]).filter((e) => String(e.name).startsWith("Engine "))).toEqual([
      { name: "Engine 2", version: "2.0", description: "two, updated", default: true },
      { name: "Engine 10", version: "1.0", description: "ten", default: false },
    ]);
    const table = await runCli(["engines"], { env: user });
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+VERSION\s+DEFAULT\s+DESCRIPTION$/);
    expect(table.stdout).toMatch(/Engine 2\s+2\.0\s+yes\s+two, updated/);
    const viaSubmit = await runCli(["submit", "--list-engines", "--json"], { env: user });
    expect(JSON.parse(viaSubmit.stdout)).toEqual(JSON.parse(list.stdout));
  }, 60_000);
});

describe("keys", () => {
  test("create, list, rotate, disable, enable", async () => {
    const c = await runCli(["keys", "create", "reader", "--role", "readonly"], { env: admin });
    expect(c.code).toBe(0);
    const secret = c.stdout.trim();
    expect(secret).toMatch(/^[^.]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect((await new ApiClient({ apiUrl: server.url, apiKey: secret }).me()).role).toBe("readonly");

    const bad = await runCli(["keys", "create", "x", "--role", "king"], { env: admin });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--role must be one of readonly, user, worker, admin, got "king"');

    const l = await runCli(["keys", "list", "--json"], { env: admin });
    const listed = JSON.parse(l.stdout) as { label: string; role: string; active: boolean }[];
    expect(listed.find((k) => k.label === "reader")).toMatchObject({ role: "readonly", active: true });
    expect(l.stdout).not.toContain(secret);

    const r = await runCli(["keys", "rotate", "reader"], { env: admin });
    const rotated = r.stdout.trim();
    expect(rotated).not.toBe(secret);
    const meOld = await runCli(["engines"], { env: { ANNOPAGE_API_URL: server.url, ANNOPAGE_API_KEY: secret } });
    expect(meOld.code).toBe(2);
    expect(meOld.stderr).toContain("401 API_KEY_INVALID");

    expect((await runCli(["keys", "disable", "reader"], { env: admin })).code).toBe(0);
    const inactive = await runCli(["engines"], { env: { ANNOPAGE_API_URL: server.url, ANNOPAGE_API_KEY: rotated } });
    expect(inactive.code).toBe(2);
    expect(inactive.stderr).toContain("API_KEY_INACTIVE");
    expect((await runCli(["keys", "enable", "reader"], { env: admin })).code).toBe(0);
    expect((await runCli(["engines"], { env: { ANNOPAGE_API_URL: server.url, ANNOPAGE_API_KEY: rotated } })).code).toBe(0);

    const missing = await runCli(["keys", "rotate", "nobody"], { env: admin });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("404 KEY_NOT_FOUND");
    const asUser = await runCli(["keys", "list"], { env: user });
    expect(asUser.code).toBe(2);
    expect(asUser.stderr).toContain("403");
  }, 60_000);
});

describe("jobs and the reference program names", () => {
  test("annopage_client with the reference flags, then jobs list/show/result/cancel", async () => {
    const worker = new HttpWorker(server.url, keys.worker).start();
    try {
      const f = makePageFolder(join(tmp, "ref"), ["p2.jpg", "p1.jpg"]);
      const out = join(tmp, "ref-out");
      const r = await runCli(
        [
          "--api-url",
          server.url,
          "--api-key",
          keys.user,
          "--images",
          f.images,
          "--alto-xmls",
          f.alto,
          "--metadata",
          f.metadata,
          "--output-alto",
          "--output-crops",
          "--polling-interval",
          "0.1",
          "--output",
          out,
          "--logging-level",
          "INFO",
        ],
        { command: [BUN, join(REPO, "bin", "annopage_client")] },
      );
      expect(r.stderr).toContain("Created job");
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(readFileSync(join(out, "order.txt"), "utf8")).toBe("0 p1.jpg\n1 p2.jpg");
      expect(JSON.parse(readFileSync(join(out, "engine_settings.json"), "utf8"))).toEqual({ outputs: { alto: true, crops: true } });

      const list = await runCli(["jobs", "list", "--json"], { env: user });
      expect(JSON.parse(list.stdout).map((j: { id: string }) => j.id)).toContain(doc.job_id);
      const done = await runCli(["jobs", "list", "--state", "done"], { env: admin });
      expect(done.stdout).toContain(doc.job_id);
      expect((await runCli(["jobs", "list", "--state", "finished"], { env: admin })).code).toBe(2);

      const show = await runCli(["jobs", "show", doc.job_id], { env: admin });
      expect(show.stdout).toMatch(/state\s+done/);
      expect(show.stdout).toMatch(/requires\s+ALTO, metadata/);

      const res = join(tmp, "again.zip");
      const got = await runCli(["jobs", "result", doc.job_id, "--output", res], { env: user });
      expect(got.code).toBe(0);
      expect(Object.keys(unzipSync(readFileSync(res)))).toContain("alto/p1.xml");

      // A job that never got its files: cancel it, then there is no result (exit 1).
      const pending = await new ApiClient({ apiUrl: server.url, apiKey: keys.user }).createJob({ images: [{ name: "z.jpg", order: 0 }] });
      expect((await runCli(["jobs", "cancel", pending.id], { env: user })).stdout).toBe(`Job ${pending.id} cancelled\n`);
      const again = await runCli(["jobs", "cancel", pending.id], { env: user });
      expect(again.code).toBe(2);
      expect(again.stderr).toContain("409 JOB_UNCANCELLABLE");
      const none = await runCli(["jobs", "result", pending.id, "--output", join(tmp, "none.zip")], { env: user });
      expect(none.code).toBe(1);
      expect(none.stderr).toContain(`job ${pending.id} is cancelled; there is no result to download`);
      expect(existsSync(join(tmp, "none.zip"))).toBe(false);
    } finally {
      await worker.stop();
    }
  }, 60_000);

  test("unreachable server → exit 3", async () => {
    const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = s.port;
    s.stop(true);
    const r = await runCli(["engines"], {
      env: {
        ANNOPAGE_API_URL: `http://127.0.0.1:${port}`,
        ANNOPAGE_API_KEY: keys.user,
        ANNOPAGE_RETRIES: "2",
      },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot reach the server at http://127.0.0.1:${port}`);
  }, 60_000);

  test("program-name dispatch", () => {
    expect(programName("/usr/local/bin/annopage_client")).toBe("annopage_client");
    expect(programName("C:\\x\\annopage_client.exe".split("\\").pop())).toBe("annopage_client");
    expect(aliasedArgs(["/opt/annopage_client", undefined], ["--images", "x"])).toEqual(["submit", "--reference-client", "--images", "x"]);
    expect(aliasedArgs(["bun", "/repo/bin/annopage_worker"], ["--once"])).toEqual(["work", "--once"]);
    expect(aliasedArgs(["annopage_api"], [])).toEqual(["serve"]);
    expect(aliasedArgs(["bun", "/repo/src/cli.ts"], ["engines"])).toEqual(["engines"]);
  });
});

describe("--json on the commands that change something", () => {
  test("keys disable/enable, engines update/upload-files, jobs cancel print one JSON document", async () => {
    const key = await runCli(["keys", "create", "json-reader", "--role", "readonly", "--json"], { env: admin });
    expect(JSON.parse(key.stdout)).toMatchObject({ label: "json-reader", role: "readonly" });
    const off = await runCli(["keys", "disable", "json-reader", "--json"], { env: admin });
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout)).toEqual({ label: "json-reader", active: false, code: "KEY_UPDATED" });
    expect(JSON.parse((await runCli(["keys", "enable", "json-reader", "--json"], { env: admin })).stdout)).toEqual({
      label: "json-reader",
      active: true,
      code: "KEY_UPDATED",
    });
    const listed = JSON.parse((await runCli(["keys", "list", "--json"], { env: admin })).stdout) as { label: string; active: boolean }[];
    expect(listed.find((k) => k.label === "json-reader")?.active).toBe(true);

    expect((await runCli(["engines", "add", "--name", "Json Engine", "--version", "1"], { env: admin })).code).toBe(0);
    const up = await runCli(["engines", "update", "Json Engine", "1", "--description", "via json", "--json"], { env: admin });
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout)).toEqual({
      name: "Json Engine",
      version: "1",
      changes: { description: "via json" },
      code: "ENGINE_UPDATED",
    });
    const zip = join(tmp, "json-engine.zip");
    writeFileSync(zip, zipSync({ "config.ini": strToU8("[PAGE_PARSE]\nMETHOD = YOLO_DETECTION\n") }));
    const files = await runCli(["engines", "upload-files", "Json Engine", "1", zip, "--json"], { env: admin });
    expect(JSON.parse(files.stdout)).toEqual({ name: "Json Engine", version: "1", file: zip, code: "ENGINE_FILES_UPLOADED" });

    const job = await new ApiClient({ apiUrl: server.url, apiKey: keys.user }).createJob({ images: [{ name: "j.jpg", order: 0 }] });
    const cancel = await runCli(["jobs", "cancel", job.id, "--json"], { env: user });
    expect(cancel.code).toBe(0);
    expect(JSON.parse(cancel.stdout)).toEqual({ job_id: job.id, state: "cancelled", code: "JOB_CANCELLED" });
    expect((await new ApiClient({ apiUrl: server.url, apiKey: keys.user }).getJob(job.id)).state).toBe("cancelled");
  }, 60_000);
});
