/**
 * The compiled, relocated executable serves /healthz and /v1/me on the embedded database, and the
 * Swagger UI files of /docs and the web dashboard of /ui (embedded in the executable).
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { relocatedBinary, startCli, type CliChild } from "../helpers/cli.ts";

const baseDir = mkdtempSync(join(tmpdir(), "annopage-binary-"));
let child: CliChild | undefined;
afterAll(() => {
  child?.kill("SIGKILL");
  rmSync(baseDir, { recursive: true, force: true });
});

test("annopage --help lists the subcommands", async () => {
  const bin = await relocatedBinary();
  const c = startCli(["--help"], { binary: bin, cwd: dirname(bin) });
  expect(await c.exited).toBe(0);
  expect(c.output()).toContain("serve");
}, 180_000);

test("the relocated binary serves /healthz and /v1/me on the embedded database", async () => {
  const bin = await relocatedBinary();
  child = startCli(["serve", "--host", "127.0.0.1", "--port", "0", "--base-dir", baseDir], {
    binary: bin,
    cwd: dirname(bin),
    env: { DATABASE_URL: undefined, ADMIN_KEY: "doc-api.binkid.binsecret" },
  });
  const url = (await child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;
  const health = await fetch(`${url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: "ok", database: "ok" });
  const me = await fetch(`${url}/v1/me`, { headers: { "X-API-Key": "doc-api.binkid.binsecret" } });
  expect(me.status).toBe(200);
  expect((await me.json()).data).toMatchObject({ label: "admin", role: "admin", active: true });
  for (const [file, type] of [
    ["swagger-ui-bundle.js", "text/javascript"],
    ["swagger-ui.css", "text/css"],
  ] as const) {
    const asset = await fetch(`${url}/docs/${file}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toStartWith(type);
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  }
  // the web dashboard, bundled into the executable at build time (no node_modules beside the relocated binary)
  const ui = await fetch(`${url}/ui`);
  expect(ui.status).toBe(200);
  const script = await fetch(url + /src="([^"]+)"/.exec(await ui.text())![1]!);
  expect(script.status).toBe(200);
  expect(await script.text()).toContain("/v1/jobs/events");
  child.kill("SIGTERM");
  expect(await child.exited).toBe(0);
}, 180_000);
