/**
 * Opens the database the server runs on: the PostgreSQL named by DATABASE_URL, or the embedded
 * PGlite under BASE_DIR. Either way the result is a postgres.js pool with the schema migrated.
 */
import { connect, type Sql } from "./client.ts";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded.ts";
import { migrate, type MigrateResult } from "./migrate.ts";

export interface Database {
  sql: Sql;
  url: string;
  embedded?: EmbeddedPostgres;
  migration: MigrateResult;
  close(): Promise<void>;
}

export async function openDatabase(opts: { databaseUrl?: string; baseDir: string; poolSize: number }): Promise<Database> {
  const embedded = opts.databaseUrl ? undefined : await startEmbeddedPostgres(opts.baseDir);
  const url = opts.databaseUrl ?? embedded!.url;
  // The embedded server multiplexes connections onto one backend and interleaves their extended-
  // protocol messages (seen: `portal "" does not exist` under concurrent requests), so exactly one
  // connection is used: queries queue in postgres.js instead.
  const sql = connect(url, { max: embedded ? 1 : opts.poolSize });
  try {
    const migration = await migrate(sql);
    return {
      sql,
      url,
      embedded,
      migration,
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
