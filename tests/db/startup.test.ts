/**
 * The server's database start-up (docs/protocol.md §8): a missing PostgreSQL database is created; an empty one is migrated;
 * an outdated one is migrated only with DATABASE_ALLOW_UPDATE, else refused with nothing changed; a database with
 * tables but no annopage schema version is refused; DATABASE_FORCE skips creating and checking. Against the machine's
 * real PostgreSQL, through migrate() and through a real `annopage serve` process.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, socketDirectory, withDatabase } from "../../src/db/client.ts";
import { migrate, MigrationRefused } from "../../src/db/migrate.ts";
import { migrations } from "../../src/db/migrations.ts";
import { createTestDatabase, PG_URL, type TestDatabase } from "../helpers/db.ts";
import { startCli } from "../helpers/cli.ts";

const dbs: TestDatabase[] = [];
const dirs: string[] = [];
const freshDb = async (label: string) => {
  const db = await createTestDatabase(label);
  dbs.push(db);
  return db;
};
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), "annopage-dbstart-"));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const db of dbs) await db.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const latest = migrations[migrations.length - 1]!;

/** A database at every migration but the last one, as an older program left it. */
async function outdatedDatabase(label: string): Promise<TestDatabase> {
  const db = await freshDb(label);
  const sql = connect(db.url, { max: 1 });
  try {
    await migrate(sql, migrations.slice(0, -1));
  } finally {
    await sql.end();
  }
  return db;
}

async function recordedIds(url: string): Promise<number[]> {
  const sql = connect(url, { max: 1 });
  try {
    const { versioned } = (await sql<{ versioned: boolean }[]>`SELECT to_regclass('annopage_migrations') IS NOT NULL AS versioned`)[0]!;
    if (!versioned) return [];
    return (await sql<{ id: number }[]>`SELECT id FROM annopage_migrations ORDER BY id`).map((r) => r.id);
  } finally {
    await sql.end();
  }
}

describe("migrate() start-up rules", () => {
  test("an outdated schema is refused and left as it is; DATABASE_ALLOW_UPDATE migrates it", async () => {
    const db = await outdatedDatabase("outdated");
    const sql = connect(db.url, { max: 1 });
    try {
      const refused = await migrate(sql).catch((e) => e);
      expect(refused).toBeInstanceOf(MigrationRefused);
      expect(refused.message).toContain(`at migration ${latest.id - 1}, this program needs ${latest.name}`);
      expect(refused.message).toContain("DATABASE_ALLOW_UPDATE=true");
      expect(await recordedIds(db.url)).toEqual(migrations.slice(0, -1).map((m) => m.id));
      const r = await migrate(sql, undefined, { allowUpdate: true });
      expect(r).toEqual({ applied: [latest.name], current: latest.id });
      expect(await recordedIds(db.url)).toEqual(migrations.map((m) => m.id));
      // Up to date now: accepted without DATABASE_ALLOW_UPDATE.
      expect(await migrate(sql)).toEqual({ applied: [], current: latest.id });
    } finally {
      await sql.end();
    }
  });

  test("a database with tables but no annopage schema version is refused and not touched", async () => {
    const db = await freshDb("foreign");
    const sql = connect(db.url, { max: 1 });
    try {
      await sql`CREATE TABLE invoices (id int PRIMARY KEY)`;
      const refused = await migrate(sql, undefined, { allowUpdate: true }).catch((e) => e);
      expect(refused).toBeInstanceOf(MigrationRefused);
      expect(refused.message).toContain("1 table but no annopage schema version");
      expect(await recordedIds(db.url)).toEqual([]);
      const tables = await sql<{ tablename: string }[]>`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`;
      expect(tables.map((t) => t.tablename)).toEqual(["invoices"]);
      // A database the reference DocAPI server made (alembic, docs/protocol.md §10) is named as such.
      await sql`CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)`;
      await sql`INSERT INTO alembic_version VALUES ('803f39610312')`;
      const reference = await migrate(sql, undefined, { allowUpdate: true }).catch((e) => e);
      expect(reference).toBeInstanceOf(MigrationRefused);
      expect(reference.message).toContain("made by the reference DocAPI server");
      expect(await recordedIds(db.url)).toEqual([]);
    } finally {
      await sql.end();
    }
  });
});

describe("annopage serve start-up", () => {
  const serve = (databaseUrl: string, env: Record<string, string> = {}) =>
    startCli(["serve", "--host", "127.0.0.1", "--port", "0", "--base-dir", freshDir(), "--workers", "0", "--database-url", databaseUrl], {
      env: { DATABASE_URL: undefined, ...env },
    });

  test("a missing database is created and migrated", async () => {
    const name = `annopage_test_created_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const url = withDatabase(PG_URL, name);
    dbs.push({
      url,
      name,
      drop: async () => {
        const a = connect(PG_URL, { max: 1 });
        try {
          await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await a.end();
        }
      },
    });
    const child = serve(url);
    const [line, base] = await child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+).*\n/, 30_000);
    expect(line).toContain(`database created, schema ${latest.id}, applied ${migrations[0]!.name}`);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    expect(await recordedIds(url)).toEqual(migrations.map((m) => m.id));
  }, 60_000);

  test("an outdated database stops the start with a one-line reason; DATABASE_ALLOW_UPDATE=true starts and migrates", async () => {
    const db = await outdatedDatabase("serve_outdated");
    const refused = serve(db.url);
    expect(await refused.exited).not.toBe(0);
    const out = refused.output();
    expect(out).toContain("the database schema is older than this program");
    expect(out).toContain("DATABASE_ALLOW_UPDATE=true");
    expect(out).not.toContain("listening on");
    expect(out).not.toMatch(/^\s+at /m); // a reason, not a stack trace
    expect(await recordedIds(db.url)).toEqual(migrations.slice(0, -1).map((m) => m.id));

    const allowed = serve(db.url, { DATABASE_ALLOW_UPDATE: "true" });
    const [line] = await allowed.waitFor(/listening on .*\n/, 30_000);
    expect(line).toContain(`schema ${latest.id}, applied ${latest.name}`);
    allowed.kill("SIGTERM");
    expect(await allowed.exited).toBe(0);
    expect(await recordedIds(db.url)).toEqual(migrations.map((m) => m.id));
  }, 60_000);

  test("DATABASE_FORCE=true skips the checks: an outdated database is served as it is, a missing one is not created", async () => {
    const db = await outdatedDatabase("serve_force");
    const forced = serve(db.url, { DATABASE_FORCE: "true" });
    const [line, base] = await forced.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+).*\n/, 30_000);
    expect(line).toContain(`schema ${latest.id - 1} (not checked: DATABASE_FORCE)`);
    expect(line).not.toContain("applied");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    forced.kill("SIGTERM");
    expect(await forced.exited).toBe(0);
    expect(await recordedIds(db.url)).toEqual(migrations.slice(0, -1).map((m) => m.id));

    const missing = withDatabase(PG_URL, `annopage_test_missing_${process.pid}_${Math.random().toString(36).slice(2, 8)}`);
    const notCreated = serve(missing, { DATABASE_FORCE: "true" });
    expect(await notCreated.exited).not.toBe(0);
    expect(notCreated.output()).toMatch(/does not exist/);
    const a = connect(PG_URL, { max: 1 });
    try {
      const rows = await a`SELECT 1 FROM pg_database WHERE datname = ${new URL(missing).pathname.slice(1)}`;
      expect(rows.length).toBe(0);
    } finally {
      await a.end();
    }
  }, 60_000);
});

describe("Unix-socket URLs (libpq's forms)", () => {
  test("the socket directory is read from a host parameter or a percent-encoded host; other URLs are left alone", () => {
    expect(socketDirectory("postgresql://postgres@/annopage?host=/var/run/postgresql&application_name=x")).toEqual({
      url: "postgresql://postgres@localhost/annopage?application_name=x",
      dir: "/var/run/postgresql",
    });
    expect(socketDirectory("postgresql:///annopage?host=%2Ftmp")).toEqual({ url: "postgresql://localhost/annopage", dir: "/tmp" });
    expect(socketDirectory("postgres://u:p%40ss@%2Fvar%2Frun%2Fpostgresql:5433/db")).toEqual({
      url: "postgres://u:p%40ss@localhost:5433/db",
      dir: "/var/run/postgresql",
    });
    for (const u of [
      "postgres://postgres@127.0.0.1:5432/postgres",
      "postgres://db.example:5432/x?sslmode=require",
      "postgres://h/x?host=other",
    ]) {
      expect(socketDirectory(u)).toEqual({ url: u });
    }
    expect(withDatabase("postgresql://postgres@/annopage?host=/var/run/postgresql", "postgres")).toBe(
      "postgresql://postgres@/postgres?host=/var/run/postgresql",
    );
    expect(withDatabase("postgres://u:p@h:5/db?x=1#f", "a b")).toBe("postgres://u:p@h:5/a%20b?x=1#f");
  });

  test("`serve` creates and serves a database through the server's Unix socket", async () => {
    const tcp = connect(PG_URL, { max: 1 });
    let dir: string;
    try {
      dir = (await tcp<{ d: string }[]>`SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS d`)[0]!.d.trim();
    } finally {
      await tcp.end();
    }
    expect(dir).toStartWith("/");
    const name = `annopage_test_socket_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    dbs.push({
      url: withDatabase(PG_URL, name),
      name,
      drop: async () => {
        const a = connect(PG_URL, { max: 1 });
        try {
          await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await a.end();
        }
      },
    });
    const url = `postgresql://postgres@/${name}?host=${encodeURIComponent(dir)}`;
    const over = connect(url, { max: 1 });
    try {
      // the client really uses the socket: a TCP session would have a server address
      expect((await over<{ a: string | null }[]>`SELECT inet_server_addr()::text AS a`.catch(() => [{ a: "no database yet" }]))[0]!.a).toBe(
        "no database yet",
      );
    } finally {
      await over.end();
    }
    const child = startCli(
      ["serve", "--host", "127.0.0.1", "--port", "0", "--base-dir", freshDir(), "--workers", "0", "--database-url", url],
      {
        env: { DATABASE_URL: undefined },
      },
    );
    const [line, base] = await child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+).*\n/, 30_000);
    expect(line).toContain("database created");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    const check = connect(url, { max: 1 });
    try {
      const row = (
        await check<
          { a: string | null; n: number }[]
        >`SELECT inet_server_addr()::text AS a, (SELECT count(*)::int FROM annopage_migrations) AS n`
      )[0]!;
      expect(row).toEqual({ a: null, n: migrations.length }); // no server address: a Unix-socket session
    } finally {
      await check.end();
    }
  }, 60_000);
});
