/**
 * Applies the numbered migrations in one transaction under a PostgreSQL advisory lock, so that
 * several replicas starting at once apply each migration exactly once; applied ids are recorded in
 * `annopage_migrations`. What is done with the database found follows the reference's start-up
 * rules (docs/protocol.md §8, `DATABASE_ALLOW_UPDATE`):
 *  - an empty database gets every migration;
 *  - an up-to-date one is accepted as it is;
 *  - an outdated one (some migrations applied, later ones not) is migrated only when `allowUpdate`
 *    is set, else refused: an operator upgrading the program decides when the schema changes
 *    (after a backup), not the first replica that happens to start;
 *  - a database with tables but no `annopage_migrations` (not ours, or made by hand) is refused;
 *  - a database newer than this program (unknown migration ids) is refused.
 * Refusals are MigrationRefused errors whose message says what to do; nothing is changed then.
 */
import type { Sql, TxSql } from "./client.ts";
import { migrations as all, type Migration } from "./migrations.ts";

/** Arbitrary constant: "annopage" as a 63-bit key for pg_advisory_xact_lock. */
const LOCK_KEY = 0x616e6e6f70616765n;

export interface MigrateResult {
  applied: string[];
  /** The newest migration id the database is at afterwards. */
  current: number;
}

export interface MigrateOptions {
  /** Migrate a database whose schema is older than this program (DATABASE_ALLOW_UPDATE). */
  allowUpdate?: boolean;
}

/** The database is not one this program may use or change as it is; the message says why and what to do. */
export class MigrationRefused extends Error {
  override readonly name = "MigrationRefused";
}

export async function migrate(sql: Sql, migrations: Migration[] = all, opts: MigrateOptions = {}): Promise<MigrateResult> {
  return sql.begin(async (tx) => {
    // A migration may rewrite big tables, and waits for another replica's: no statement timeout here.
    await tx`SET LOCAL statement_timeout = 0`;
    await tx`SELECT pg_advisory_xact_lock(${LOCK_KEY.toString()}::bigint)`;
    if (!(await hasMigrationsTable(tx))) {
      const { tables } = (
        await tx<{ tables: number }[]>`
        SELECT count(*)::int AS tables FROM pg_catalog.pg_tables
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`
      )[0]!;
      if (tables > 0) {
        const { reference } = (await tx<{ reference: boolean }[]>`SELECT to_regclass('alembic_version') IS NOT NULL AS reference`)[0]!;
        throw new MigrationRefused(
          (reference
            ? "the database was made by the reference DocAPI server (it has alembic_version, no annopage_migrations); "
            : `the database has ${tables} table${tables === 1 ? "" : "s"} but no annopage schema version (no annopage_migrations table); `) +
            "refusing to change it: point DATABASE_URL at an empty database (or set DATABASE_FORCE=true if it already has this program's schema)",
        );
      }
      await tx`CREATE TABLE annopage_migrations (
        id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
    }
    const done = new Set((await tx<{ id: number }[]>`SELECT id FROM annopage_migrations`).map((r) => r.id));
    const known = new Set(migrations.map((m) => m.id));
    const unknown = [...done].filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new MigrationRefused(
        `the database schema is newer than this program (unknown migrations ${unknown.join(", ")}); upgrade annopage`,
      );
    }
    const pending = [...migrations].sort((a, b) => a.id - b.id).filter((m) => !done.has(m.id));
    if (pending.length > 0 && done.size > 0 && !opts.allowUpdate) {
      throw new MigrationRefused(
        `the database schema is older than this program (at migration ${Math.max(...done)}, this program needs ${pending.map((m) => m.name).join(", ")}); ` +
          "back the database up, then start once with DATABASE_ALLOW_UPDATE=true to migrate it",
      );
    }
    for (const m of pending) {
      await tx.unsafe(m.sql);
      await tx`INSERT INTO annopage_migrations (id, name) VALUES (${m.id}, ${m.name})`;
    }
    return { applied: pending.map((m) => m.name), current: Math.max(0, ...done, ...pending.map((m) => m.id)) };
  }) as Promise<MigrateResult>;
}

/**
 * DATABASE_FORCE: no checks and no changes, the schema is taken as it is. Reports the newest migration id recorded
 * (0 when there is no record).
 */
export async function recordedVersion(sql: Sql): Promise<MigrateResult> {
  if (!(await hasMigrationsTable(sql))) return { applied: [], current: 0 };
  const { current } = (await sql<{ current: number }[]>`SELECT coalesce(max(id), 0)::int AS current FROM annopage_migrations`)[0]!;
  return { applied: [], current };
}

/** Whether the database records annopage migrations at all (the `annopage_migrations` table exists). */
async function hasMigrationsTable(sql: Sql | TxSql): Promise<boolean> {
  const rows = await sql<{ versioned: boolean }[]>`SELECT to_regclass('annopage_migrations') IS NOT NULL AS versioned`;
  return rows[0]!.versioned;
}
