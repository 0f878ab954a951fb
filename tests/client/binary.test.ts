/**
 * The compiled, relocated executable started under the reference client's name (a symlink
 * `annopage_client` → `annopage`) behaves as `annopage submit` with the reference flags.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { relocatedBinary, runCli } from "../helpers/cli.ts";
import { HttpWorker } from "../helpers/http-worker.ts";
import { makePageFolder } from "../helpers/files.ts";
import { setupKeys, type Keys } from "../helpers/keys.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let keys: Keys;
let worker: HttpWorker;
let tmp: string;

beforeAll(async () => {
  server = await startTestServer();
  keys = await setupKeys(server.url, server.adminKey, "binary");
  worker = new HttpWorker(server.url, keys.worker).start();
  tmp = mkdtempSync(join(tmpdir(), "annopage-client-binary-"));
});

afterAll(async () => {
  await worker?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test("annopage_client (symlink to the compiled binary) submits with the reference flags", async () => {
  const bin = await relocatedBinary();
  const alias = join(dirname(bin), "annopage_client");
  symlinkSync(bin, alias);
  const f = makePageFolder(join(tmp, "pages"), ["s10.jpg", "s9.jpg"]);
  const out = join(tmp, "out");
  const { code, stdout, stderr } = await runCli(
    [
      "--api-url",
      server.url,
      "--api-key",
      keys.user,
      "--images",
      f.images,
      "--alto-xmls",
      f.alto,
      "--output-alto",
      "--polling-interval",
      "0.1",
      "--output",
      out,
    ],
    { command: [alias], cwd: dirname(bin) },
  );
  expect(stderr).toContain("Created job");
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toMatchObject({ state: "done", output: out });
  expect(readFileSync(join(out, "order.txt"), "utf8")).toBe("0 s9.jpg\n1 s10.jpg");
  expect(JSON.parse(readFileSync(join(out, "engine_settings.json"), "utf8"))).toEqual({ outputs: { alto: true } });
}, 180_000);
