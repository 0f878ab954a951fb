/**
 * `annopage serve` as a child process on the embedded database: first start generates and prints
 * the admin key; a second process on the same data directory is refused with a clear message;
 * SIGKILL and a restart keep the key and the schema; SIGTERM shuts down cleanly.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCli, type CliChild } from "../helpers/cli.ts";

const baseDir = mkdtempSync(join(tmpdir(), "annopage-embedded-"));
const children: CliChild[] = [];
const serve = (env: Record<string, string> = {}) => {
  const c = startCli(["serve", "--host", "127.0.0.1", "--port", "0", "--base-dir", baseDir], {
    env: { DATABASE_URL: undefined, ADMIN_KEY: undefined, ...env },
  });
  children.push(c);
  return c;
};
const listening = async (c: CliChild) => (await c.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;

afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(baseDir, { recursive: true, force: true });
});

describe("serve on the embedded database", () => {
  let adminKey = "";

  test("first start generates the admin key, prints it once, stores only its hash", async () => {
    const c = serve();
    const url = await listening(c);
    adminKey = (await c.waitFor(/\n {2}(doc-api\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\n/))[1]!;
    const me = await fetch(`${url}/v1/me`, { headers: { "X-API-Key": adminKey } });
    expect(me.status).toBe(200);
    expect((await me.json()).data.role).toBe("admin");
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toEqual({ status: "ok", database: "ok" });

    // A second process on the same data directory gets a clear error, not corruption.
    const second = serve();
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/in use by another annopage process \(pid \d+\)/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    c.kill("SIGKILL");
    await c.exited;
  }, 90_000);

  test("after SIGKILL a restart keeps the admin key and the schema, and prints no new key", async () => {
    // The killed process may take a moment to disappear; the stale lock is then taken over.
    let c: CliChild | undefined;
    for (let i = 0; i < 20; i++) {
      c = serve();
      const code = await Promise.race([
        c.exited,
        listening(c).then(
          () => -1,
          () => -2,
        ),
      ]);
      if (code === -1) break;
      await Bun.sleep(250);
    }
    const url = await listening(c!);
    expect(c!.output()).not.toContain("Generated the admin API key");
    expect(c!.output()).toContain("schema ");
    expect(c!.output()).not.toContain("applied 001");
    const me = await fetch(`${url}/v1/me`, { headers: { "X-API-Key": adminKey } });
    expect(me.status).toBe(200);

    c!.kill("SIGTERM");
    expect(await c!.exited).toBe(0);
    expect(existsSync(join(baseDir, "pgdata.lock"))).toBe(false);
  }, 90_000);

  test("a wrong configuration value is one line naming the variable, exit 2", async () => {
    const c = startCli(["serve", "--base-dir", baseDir], { env: { APP_PORT: "eighty" } });
    expect(await c.exited).toBe(2);
    expect(c.output().trim()).toBe('annopage: invalid configuration: APP_PORT: must be an integer between 0 and 65535, got "eighty"');
  });
});
