/**
 * Applies the numbered migrations in one transaction under a PostgreSQL advisory lock, so that
 * several replicas starting at once apply each migration exactly once; applied ids are recorded in
 * `annopage_migrations`. A database that is newer than this binary (unknown ids) is refused.
 */
import type { Sql } from "./client.ts";
import { migrations as all, type Migration } from "./migrations.ts";

/** Arbitrary constant: "annopage" as a 63-bit key for pg_advisory_xact_lock. */
const LOCK_KEY = 0x616e6e6f70616765n;

export interface MigrateResult {
  applied: string[];
  current: number;
}

export async function migrate(sql: Sql, migrations: Migration[] = all): Promise<MigrateResult> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_KEY.toString()}::bigint)`;
    await tx`CREATE TABLE IF NOT EXISTS annopage_migrations (
      id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
    const done = new Set((await tx<{ id: number }[]>`SELECT id FROM annopage_migrations`).map((r) => r.id));
    const known = new Set(migrations.map((m) => m.id));
    const unknown = [...done].filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new Error(
        `the database schema is newer than this program (unknown migrations ${unknown.join(", ")}); upgrade annopage`,
      );
    }
    const applied: string[] = [];
    for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
      if (done.has(m.id)) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO annopage_migrations (id, name) VALUES (${m.id}, ${m.name})`;
      applied.push(m.name);
    }
    return { applied, current: Math.max(0, ...migrations.map((m) => m.id)) };
  }) as Promise<MigrateResult>;
}
