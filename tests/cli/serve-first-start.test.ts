/**
 * The first start of `annopage serve` as a person meets it (docs/decisions.md §10), with real child processes on
 * a real PostgreSQL database: a start on a busy port fails with one line and stores no admin key; the
 * next start prints the generated key (and how to choose one with ADMIN_KEY), the /docs URL and a
 * warning about the default HMAC_SECRET; that key works; a later start does not show it again.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TCPSocketListener } from "bun";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startCli, type CliChild } from "../helpers/cli.ts";

const baseDir = mkdtempSync(join(tmpdir(), "annopage-first-start-"));
let db: TestDatabase;
let busy: TCPSocketListener;
const children: CliChild[] = [];

beforeAll(async () => {
  db = await createTestDatabase("firststart");
  busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  busy?.stop(true);
  await db?.drop();
  rmSync(baseDir, { recursive: true, force: true });
});

/** A person's `annopage serve`: no ADMIN_KEY, no HMAC_SECRET, not under the test runner's NODE_ENV. */
const serve = (port: number) => {
  const c = startCli(["serve", "--host", "127.0.0.1", "--port", String(port), "--base-dir", baseDir], {
    env: { DATABASE_URL: db.url, ADMIN_KEY: undefined, HMAC_SECRET: undefined, NODE_ENV: undefined },
  });
  children.push(c);
  return c;
};
const KEY_LINE = /\n {2}(doc-api\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\n/;

test("a start on a busy port fails with one line; the next start prints the admin key, which works", async () => {
  const failed = serve(busy.port);
  expect(await failed.exited).toBe(1);
  const lines = failed.output().trim().split("\n");
  expect(lines).toEqual([`annopage: port ${busy.port} on 127.0.0.1 is already in use; choose another with --port or APP_PORT`]);

  const c = serve(0);
  const url = (await c.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;
  const key = (await c.waitFor(KEY_LINE))[1]!;
  await c.waitFor(/HMAC_SECRET is the public default/);
  expect(c.output()).toContain(`API documentation: ${url}/docs`);
  expect(c.output()).toContain("ADMIN_KEY=");
  const me = await fetch(`${url}/v1/me`, { headers: { "X-API-Key": key } });
  expect(me.status).toBe(200);
  expect((await me.json()).data).toMatchObject({ label: "admin", role: "admin", active: true });
  c.kill("SIGTERM");
  expect(await c.exited).toBe(0);

  const again = serve(0);
  const url2 = (await again.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;
  await again.waitFor(/Admin key: the existing one, shown only when it was generated/);
  expect(again.output()).not.toMatch(KEY_LINE);
  expect((await fetch(`${url2}/v1/me`, { headers: { "X-API-Key": key } })).status).toBe(200);
  again.kill("SIGTERM");
  expect(await again.exited).toBe(0);
}, 120_000);

test("no HMAC_SECRET warning when it is set", async () => {
  const c = startCli(["serve", "--host", "127.0.0.1", "--port", "0", "--base-dir", baseDir], {
    env: { DATABASE_URL: db.url, ADMIN_KEY: undefined, HMAC_SECRET: "a-long-random-secret-of-this-server", NODE_ENV: undefined },
  });
  children.push(c);
  await c.waitFor(/API documentation: /, 60_000);
  c.kill("SIGTERM");
  await c.waitFor(/SIGTERM: shutting down/); // printed after the whole banner
  expect(await c.exited).toBe(0);
  expect(c.output()).toContain("Admin key: the existing one");
  expect(c.output()).not.toContain("HMAC_SECRET");
}, 120_000);
