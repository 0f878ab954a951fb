/**
 * Opens the database the server runs on: the PostgreSQL named by DATABASE_URL, or the embedded
 * PGlite under BASE_DIR. Either way the result is a postgres.js pool with the schema checked and
 * migrated as docs/protocol.md §8 describes the reference's start-up: unless `force` (DATABASE_FORCE), a
 * missing PostgreSQL database is created, then migrate() decides what to do with the schema
 * (`allowUpdate` = DATABASE_ALLOW_UPDATE). With `force` nothing is created, checked or changed.
 */
import { connect, databaseOf, withDatabase, type Sql } from "./client.ts";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded.ts";
import { migrate, recordedVersion, type MigrateResult } from "./migrate.ts";

export interface Database {
  sql: Sql;
  url: string;
  embedded?: EmbeddedPostgres;
  migration: MigrateResult;
  /** The PostgreSQL database did not exist and was created at start-up. */
  created: boolean;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string;
  baseDir: string;
  poolSize: number;
  /** DATABASE_ALLOW_UPDATE: migrate a schema older than this program (else refuse to start). */
  allowUpdate?: boolean;
  /** DATABASE_FORCE: skip creating the database and every schema check. */
  force?: boolean;
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  const created = opts.databaseUrl && !opts.force ? await createDatabaseIfMissing(opts.databaseUrl) : false;
  const embedded = opts.databaseUrl ? undefined : await startEmbeddedPostgres(opts.baseDir);
  const url = opts.databaseUrl ?? embedded!.url;
  // The embedded server multiplexes connections onto one backend and interleaves their extended-
  // protocol messages (seen: `portal "" does not exist` under concurrent requests), so exactly one
  // connection is used: queries queue in postgres.js instead.
  const sql = connect(url, { max: embedded ? 1 : opts.poolSize });
  try {
    const migration = opts.force ? await recordedVersion(sql) : await migrate(sql, undefined, { allowUpdate: opts.allowUpdate });
    return {
      sql,
      url,
      embedded,
      migration,
      created,
      async close() {
        await sql.end({ timeout: 5 });
        await embedded?.stop();
      },
    };
  } catch (e) {
    await sql.end({ timeout: 1 }).catch(() => {});
    await embedded?.stop().catch(() => {});
    throw e;
  }
}

/**
 * Creates the database a PostgreSQL URL names when the server answers that it does not exist (3D000), through the
 * same server's `postgres` database. Another replica creating it at the same moment (42P04) is fine. Returns whether
 * this call created it.
 */
async function createDatabaseIfMissing(url: string): Promise<boolean> {
  const probe = connect(url, { max: 1 });
  try {
    await probe`SELECT 1`;
    return false;
  } catch (e) {
    if ((e as { code?: string }).code !== "3D000") throw e;
  } finally {
    await probe.end({ timeout: 1 }).catch(() => {});
  }
  const name = databaseOf(url);
  const admin = connect(withDatabase(url, "postgres"), { max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === "42P04") return false;
    throw e;
  } finally {
    await admin.end({ timeout: 1 }).catch(() => {});
  }
}
