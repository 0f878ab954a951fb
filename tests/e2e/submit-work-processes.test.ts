/**
 * The whole chain with real processes: the API server, `annopage work` as a child process running
 * the test processor (tests/fixtures/fake-processor.ts), and `annopage submit` as a child process.
 * The processor's ALTO output records the MD5 of the image it received, so the test proves the
 * bytes went client → server → worker → processor unchanged.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strFromU8, strToU8, unzipSync, zipSync } from "fflate";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { makePageFolder } from "../helpers/files.ts";
import { runCli, startCli, type CliChild, BUN, FAKE_PROCESSOR } from "../helpers/cli.ts";
import { setupKeys, type Keys } from "../helpers/keys.ts";

let server: TestServer;
let keys: Keys;
let tmp: string;
let worker: CliChild | undefined;

beforeAll(async () => {
  server = await startTestServer();
  keys = await setupKeys(server.url, server.adminKey, "worker");
  tmp = mkdtempSync(join(tmpdir(), "annopage-client-worker-"));
  const zip = join(tmp, "engine.zip");
  writeFileSync(zip, zipSync({ "config.ini": strToU8("[PAGE_PARSE]\nMETHOD = YOLO_DETECTION\n") }));
  await keys.admin.createEngine({ name: "Fake", version: "1", description: "fake processor", definition: {}, default: true });
  await keys.admin.uploadEngineFiles("Fake", "1", zip);
  worker = startCli(
    [
      "work",
      "--api-url",
      server.url,
      "--base-dir",
      join(tmp, "worker"),
      "--processor",
      `${BUN} ${FAKE_PROCESSOR}`,
      "--wait",
      "1",
      "--device",
      "cpu",
    ],
    { env: { ANNOPAGE_API_KEY: keys.worker } },
  );
});

afterAll(async () => {
  worker?.proc.kill("SIGTERM");
  await worker?.done;
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test("submit → real worker process → processor → result ZIP, images byte for byte", async () => {
  const f = makePageFolder(join(tmp, "pages"), ["leaf10.jpg", "leaf9.jpg"]);
  const out = join(tmp, "out.zip");
  const r = await runCli(
    [
      "submit",
      "--images",
      f.images,
      "--alto",
      f.alto,
      "--metadata",
      f.metadata,
      "--output-alto",
      "--output-renders",
      "--output",
      out,
      "--json",
      "--polling-interval",
      "0.1",
    ],
    {
      env: {
        ANNOPAGE_API_URL: server.url,
        ANNOPAGE_API_KEY: keys.user,
      },
    },
  );
  if (r.code !== 0) console.error(r.stderr, "\nworker:\n", worker?.stderr());
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ state: "done", output: out, images: 2 });
  const entries = unzipSync(readFileSync(out));
  expect(Object.keys(entries).sort()).toEqual(["alto/leaf10.xml", "alto/leaf9.xml", "renders/leaf10.jpg", "renders/leaf9.jpg"]);
  for (const name of ["leaf9.jpg", "leaf10.jpg"]) {
    const bytes = readFileSync(join(f.images, name));
    const md5 = createHash("md5").update(bytes).digest("hex");
    expect(strFromU8(entries[`alto/${name.replace(".jpg", ".xml")}`]!)).toBe(
      `<fake-alto image="${name}" md5="${md5}" bytes="${bytes.length}"/>`,
    );
    expect(Buffer.from(entries[`renders/${name}`]!).equals(bytes)).toBe(true);
  }
}, 90_000);
