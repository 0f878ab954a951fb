/** What every route can reach: configuration and the database. Passed to createApp once. */
import type { ServerConfig } from "../config.ts";
import type { Sql } from "../db/client.ts";
import type { KeyRow } from "../db/keys.ts";

export interface ServerDeps {
  config: ServerConfig;
  sql: Sql;
  /** True when the database is the embedded PGlite owned by this process. */
  embedded: boolean;
}

/** Hono environment: the authenticated key is set by the auth middleware. */
export interface AppEnv {
  Variables: { key: KeyRow };
}
