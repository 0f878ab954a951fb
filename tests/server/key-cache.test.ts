/**
 * The verified-key cache (src/server/keys/key-cache.ts, sql/004_key_change_notify.sql): a key change made through the admin API
 * holds for the very next request; a change made anywhere else reaches every replica through NOTIFY;
 * without NOTIFY (the embedded database's case) the TTL bounds how long a cached row is used.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadServerConfig } from "../../src/config.ts";
import { startServer } from "../../src/cli/serve.ts";
import type { RunningServer } from "../../src/server/serve.ts";
import { createApp } from "../../src/server/app.ts";
import { connect } from "../../src/db/client.ts";
import { makeKey } from "../helpers/keys.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const me = (url: string, key: string) => fetch(`${url}/v1/me`, { headers: { "x-api-key": key } });

async function until(what: string, ms: number, ok: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now();
  while (!(await ok())) {
    if (performance.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await Bun.sleep(10);
  }
  return performance.now() - t0;
}

describe("key cache on a real PostgreSQL, two replicas", () => {
  let a: TestServer;
  let b: RunningServer;
  beforeAll(async () => {
    a = await startTestServer({ env: { KEY_CACHE_MS: "60000" } });
    // a second replica on the same database and files
    b = await startServer(
      loadServerConfig({ APP_HOST: "127.0.0.1", APP_PORT: "0", BASE_DIR: a.baseDir, DATABASE_URL: a.database!.url, KEY_CACHE_MS: "60000" }),
      { builtinEngine: false },
    );
  });
  afterAll(async () => {
    await b.stop();
    await a.close();
  });

  test("an admin disables a key on replica A: A refuses it at once, B within a second (NOTIFY), with a 60 s TTL", async () => {
    const k = await makeKey(a, "user");
    expect((await me(a.url, k.key)).status).toBe(200);
    expect((await me(b.url, k.key)).status).toBe(200); // both replicas now hold the row
    const r = await fetch(`${a.url}/v1/admin/keys/${k.label}`, {
      method: "PATCH",
      headers: { "x-api-key": a.adminKey, "content-type": "application/json" },
      body: JSON.stringify({ active: false }),
    });
    expect(r.status).toBe(200);
    expect((await (await me(a.url, k.key)).json()).code).toBe("API_KEY_INACTIVE");
    const ms = await until("replica B refuses the disabled key", 20_000, async () => (await me(b.url, k.key)).status === 403);
    expect(ms).toBeLessThan(20_000); // far below the cache's TTL: NOTIFY cleared it
  });

  test("a rotated secret: the old key string fails on both replicas, the new one works", async () => {
    const k = await makeKey(a, "readonly");
    expect((await me(b.url, k.key)).status).toBe(200);
    const r = await fetch(`${a.url}/v1/admin/keys/${k.label}/secret`, { method: "POST", headers: { "x-api-key": a.adminKey } });
    expect(r.status).toBe(201);
    const fresh = (await r.json()).data.secret as string;
    expect((await me(a.url, k.key)).status).toBe(401);
    await until("replica B refuses the old key", 20_000, async () => (await me(b.url, k.key)).status === 401);
    expect((await me(b.url, fresh)).status).toBe(200);
  });

  test("a change made in SQL by hand (role) reaches both replicas through the trigger's NOTIFY", async () => {
    const k = await makeKey(a, "user");
    expect((await fetch(`${a.url}/v1/jobs`, { headers: { "x-api-key": k.key } })).status).toBe(200);
    expect((await fetch(`${b.url}/v1/jobs`, { headers: { "x-api-key": k.key } })).status).toBe(200);
    await a.deps.sql`UPDATE keys SET role = 'WORKER' WHERE id = ${k.id}`;
    for (const url of [a.url, b.url]) {
      await until(
        `${url} sees the new role`,
        1000,
        async () => (await (await fetch(`${url}/v1/jobs`, { headers: { "x-api-key": k.key } })).json()).code === "API_KEY_ROLE_FORBIDDEN",
      );
    }
  });

  test("last_used alone does not clear the cache (the trigger ignores it)", async () => {
    const k = await makeKey(a, "user");
    expect((await me(a.url, k.key)).status).toBe(200);
    const before = a.deps.keys.get(k.key.split(".")[1]!);
    expect(before).toBeDefined();
    await a.deps.sql`UPDATE keys SET last_used = clock_timestamp() WHERE id = ${k.id}`;
    await a.deps.sql`SELECT pg_notify('annopage_other_channel', '')`; // a round trip after the update
    await Bun.sleep(100);
    expect(a.deps.keys.get(k.key.split(".")[1]!)).toBe(before);
  });
});

/** An app on the test server's database that does not LISTEN (as with the embedded database), served on a free port. */
async function withAppWithoutNotify(
  s: TestServer,
  keyCacheMs: number,
  fn: (url: string, sql: ReturnType<typeof connect>) => Promise<void>,
) {
  const sql = connect(s.database!.url, { max: 2 });
  const app = createApp({ config: { ...s.config, keyCacheMs }, sql, embedded: true });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
  try {
    await fn(`http://127.0.0.1:${server.port}`, sql);
  } finally {
    server.stop(true);
    await app.dispose();
    await sql.end({ timeout: 1 });
  }
}

describe("key cache without NOTIFY: the TTL is the bound", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.close();
  });

  test("a row is reused while it is younger than KEY_CACHE_MS", async () => {
    // a TTL no loaded machine can outlast between the two requests: the second answer is always the cached row's
    await withAppWithoutNotify(s, 600_000, async (url, sql) => {
      const k = await makeKey(s, "user");
      expect((await me(url, k.key)).status).toBe(200);
      await sql`UPDATE keys SET active = false WHERE id = ${k.id}`;
      expect((await me(url, k.key)).status).toBe(200); // still the cached row: no lookup was made
    });
  });

  test("a row older than KEY_CACHE_MS is read again", async () => {
    await withAppWithoutNotify(s, 400, async (url, sql) => {
      const k = await makeKey(s, "user");
      expect((await me(url, k.key)).status).toBe(200);
      await sql`UPDATE keys SET active = false WHERE id = ${k.id}`;
      // without NOTIFY only the TTL ends the entry (the test above keeps it for 600 s); the bound is generous for a loaded machine
      await until("the disabled key is refused after the TTL", 20_000, async () => (await me(url, k.key)).status === 403);
    });
  });

  test("KEY_CACHE_MS=0 turns the cache off: every request reads the row", async () => {
    await withAppWithoutNotify(s, 0, async (url, sql) => {
      const k = await makeKey(s, "user");
      expect((await me(url, k.key)).status).toBe(200);
      await sql`UPDATE keys SET active = false WHERE id = ${k.id}`;
      expect((await me(url, k.key)).status).toBe(403);
    });
  });
});
