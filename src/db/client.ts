/**
 * The one postgres.js connection pool every query module uses. Session time zone is UTC and
 * timestamptz values come back as the wire strings of protocol §2.7 (see timestamps.ts).
 */
import postgres from "postgres";
import { pgTimestampToIso } from "./timestamps.ts";

export type Sql = postgres.Sql<{}>;
export type TxSql = postgres.TransactionSql<{}>;

export interface ConnectOptions {
  max?: number;
  /** Seconds an idle connection stays open. */
  idleTimeout?: number;
}

export function connect(url: string, opts: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    idle_timeout: opts.idleTimeout ?? 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { TimeZone: "UTC", application_name: "annopage" },
    types: {
      // timestamptz (1184) and timestamp (1114): keep microseconds; accept Date or string params.
      timestamptz: {
        to: 1184,
        from: [1184, 1114],
        serialize: (x: unknown) => (x instanceof Date ? x.toISOString() : String(x)),
        parse: (x: string) => pgTimestampToIso(x),
      },
    },
  }) as unknown as Sql;
}

/** `postgres://…/db` → the same server's `postgres` maintenance database URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}
