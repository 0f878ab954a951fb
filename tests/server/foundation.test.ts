import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { loadServerConfig, ConfigError } from "../../src/config.ts";
import { connect } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { migrations } from "../../src/db/migrations.ts";
import { REPO } from "../helpers/cli.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

describe("configuration", () => {
  test("defaults follow docs/protocol.md §8", () => {
    const c = loadServerConfig({});
    expect(c.port).toBe(9999);
    expect(c.host).toBe("0.0.0.0");
    expect(c.keyPrefix).toBe("doc-api");
    expect(c.jobMaxAttempts).toBe(3);
    expect(c.jobTimeoutSeconds).toBe(300);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.testKeys).toEqual([]);
  });
  test("a wrong value names the variable", () => {
    expect(() => loadServerConfig({ APP_PORT: "http" })).toThrow(ConfigError);
    expect(() => loadServerConfig({ APP_PORT: "http" })).toThrow(/^APP_PORT: /);
    expect(() => loadServerConfig({ JOB_MAX_ATTEMPTS: "0" })).toThrow(/^JOB_MAX_ATTEMPTS: /);
    expect(() => loadServerConfig({ DATABASE_URL: "mysql://x" })).toThrow(/^DATABASE_URL: /);
    expect(() => loadServerConfig({ ADMIN_KEY: "nodots" })).toThrow(/^ADMIN_KEY: /);
  });
  test("checks across variables name the variable too", () => {
    expect(() => loadServerConfig({ STORAGE: "s3" })).toThrow(ConfigError);
    expect(() => loadServerConfig({ STORAGE: "s3" })).toThrow("S3_BUCKET: required when STORAGE=s3");
    expect(() => loadServerConfig({ SEED_TEST_KEYS: "true", TEST_USER_KEY: "nodots" })).toThrow(
      "TEST_USER_KEY: must look like prefix.kid.secret",
    );
    expect(loadServerConfig({ STORAGE: "s3", S3_BUCKET: "b" }).storage).toEqual({ kind: "s3", bucket: "b", prefix: "" });
  });
  test("booleans: only true/1 are true", () => {
    expect(loadServerConfig({ PRODUCTION: "yes" }).production).toBe(false);
    expect(loadServerConfig({ PRODUCTION: " TRUE " }).production).toBe(true);
    // set but empty is set: false, even where the default is true; unset keeps the default
    expect(loadServerConfig({ ALTO_VALIDATE_ROOT: "" }).altoChecks.root).toBe(false);
    expect(loadServerConfig({}).altoChecks.root).toBe(true);
    expect(loadServerConfig({ SEED_TEST_KEYS: "1" }).testKeys.map((k) => k.label)).toEqual([
      "test-admin",
      "test-readonly",
      "test-user",
      "test-worker",
    ]);
  });
  test("flags override the environment", () => {
    const c = loadServerConfig({ APP_PORT: "1234" }, { port: "4321", baseDir: "/tmp/x" });
    expect(c.port).toBe(4321);
    expect(c.jobsDir).toBe("/tmp/x/jobs");
  });
});

describe("migrations", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("migrate");
  });
  afterAll(async () => {
    await db.drop();
  });

  test("every sql/ file is registered, in order", () => {
    const files = readdirSync(join(REPO, "sql"))
      .filter((f) => f.endsWith(".sql"))
      .sort();
    expect(migrations.map((m) => m.name)).toEqual(files);
    migrations.forEach((m, i) => expect(m.id).toBe(i + 1));
  });

  test("concurrent replicas apply each migration exactly once", async () => {
    const pools = Array.from({ length: 4 }, () => connect(db.url, { max: 2 }));
    try {
      const results = await Promise.all(pools.map((p) => migrate(p)));
      const applied = results.flatMap((r) => r.applied);
      expect(applied.sort()).toEqual(migrations.map((m) => m.name).sort());
      const rows = await pools[0]!`SELECT id FROM annopage_migrations ORDER BY id`;
      expect(rows.map((r) => r.id)).toEqual(migrations.map((m) => m.id));
      // Idempotent afterwards.
      expect((await migrate(pools[0]!)).applied).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  test("a database newer than the program is refused", async () => {
    const sql = connect(db.url, { max: 1 });
    try {
      await sql`INSERT INTO annopage_migrations (id, name) VALUES (9999, 'future.sql')`;
      await expect(migrate(sql)).rejects.toThrow(/newer than this program/);
      await sql`DELETE FROM annopage_migrations WHERE id = 9999`;
    } finally {
      await sql.end();
    }
  });
});

describe("serve on a real PostgreSQL", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.close();
  });

  test("GET /healthz reports the database", async () => {
    const r = await fetch(`${s.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: "ok", database: "ok" });
  });

  test("GET /v1/me with the bootstrap admin key", async () => {
    const r = await fetch(`${s.url}/v1/me`, { headers: { "X-API-Key": s.adminKey } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    const body = await r.json();
    expect(body.code).toBe("API_KEY_VALID");
    expect(body.data.label).toBe("admin");
    expect(body.data.role).toBe("admin");
    expect(body.data.created_date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  });

  test("the key is accepted from query and cookie; the prefix is not checked", async () => {
    const other = s.adminKey.replace(/^doc-api/, "whatever");
    expect((await fetch(`${s.url}/v1/me?api_key=${other}`)).status).toBe(200);
    expect((await fetch(`${s.url}/v1/me`, { headers: { cookie: `api_key=${s.adminKey}` } })).status).toBe(200);
  });

  test("missing and invalid keys get 401 with WWW-Authenticate", async () => {
    const missing = await fetch(`${s.url}/v1/me`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('ApiKey realm="DocAPI"');
    expect((await missing.json()).code).toBe("API_KEY_MISSING");
    const wrongSecret = await fetch(`${s.url}/v1/me`, { headers: { "X-API-Key": `${s.adminKey}x` } });
    expect(wrongSecret.status).toBe(401);
    expect((await wrongSecret.json()).code).toBe("API_KEY_INVALID");
    // A wrong header is not rescued by a right query parameter.
    const both = await fetch(`${s.url}/v1/me?api_key=${s.adminKey}`, { headers: { "X-API-Key": "a.b.c.d" } });
    expect((await both.json()).code).toBe("API_KEY_INVALID");
  });

  test("only the hash of the admin key is stored", async () => {
    const rows = await s.db.sql`SELECT kid, salt, key_hash FROM keys WHERE label = 'admin'`;
    expect(rows.length).toBe(1);
    expect(rows[0]!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain("testadminsecret");
  });
});

describe("bootstrap admin key", () => {
  test("a renamed admin key is kept on the next start, not duplicated", async () => {
    const first = await startTestServer();
    const db = first.database!;
    try {
      await first.db.sql`UPDATE keys SET label = 'root' WHERE label = 'admin'`;
      await first.stop();
      const { loadServerConfig } = await import("../../src/config.ts");
      const { startServer } = await import("../../src/cli/serve.ts");
      const again = await startServer(
        loadServerConfig({
          APP_HOST: "127.0.0.1",
          APP_PORT: "0",
          BASE_DIR: first.baseDir,
          ADMIN_KEY: first.adminKey,
          DATABASE_URL: db.url,
        }),
      );
      try {
        const me = await fetch(`${again.url}/v1/me`, { headers: { "X-API-Key": first.adminKey } });
        expect(me.status).toBe(200);
        expect((await me.json()).data.label).toBe("root");
        const admins = await again.db.sql`SELECT label FROM keys WHERE role = 'ADMIN'`;
        expect(admins.map((r) => r.label)).toEqual(["root"]);
      } finally {
        await again.stop();
      }
    } finally {
      await db.drop();
    }
  });
});
