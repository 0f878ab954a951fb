/**
 * The one postgres.js connection pool every query module uses. Session time zone is UTC and
 * timestamptz values come back as the wire strings of docs/protocol.md §2.7 (see src/shared/timestamps.ts).
 *
 * Bounded waits, so that a database outage costs a request a short 503 (unavailable.ts), not a
 * 500 after tens of seconds: a connection attempt gives up after CONNECT_TIMEOUT_SECONDS, a
 * statement after STATEMENT_TIMEOUT_MS (PostgreSQL's statement_timeout; migrations lift it), and
 * a pooled connection that lost its server reconnects after at most RECONNECT_BACKOFF.maxDelayMs
 * (postgres.js's own backoff grows to 20 s and never shrinks again, and a query handed to that
 * connection waits it out).
 */
import postgres from "postgres";
import { backoffDelay, type Backoff } from "../shared/retry.ts";
import { pgTimestampToIso } from "../shared/timestamps.ts";

export const CONNECT_TIMEOUT_SECONDS = 5;
export const STATEMENT_TIMEOUT_MS = 30_000;
export const RECONNECT_BACKOFF: Backoff = { baseDelayMs: 50, maxDelayMs: 500 };

// biome-ignore lint/complexity/noBannedTypes: postgres.js's own spelling of "no custom types" (what postgres() returns)
export type Sql = postgres.Sql<{}>;
// biome-ignore lint/complexity/noBannedTypes: as above
export type TxSql = postgres.TransactionSql<{}>;

export interface ConnectOptions {
  max?: number;
  /** Seconds an idle connection stays open. */
  idleTimeout?: number;
}

/** Scheme (`postgres://`), authority, path and query/fragment of a postgres:// URL, also libpq's empty-host form. */
function urlParts(url: string): { scheme: string; authority: string; path: string; tail: string } | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(.*)$/is.exec(url);
  return m ? { scheme: m[1]!, authority: m[2]!, path: m[3]!, tail: m[4]! } : undefined;
}

/**
 * libpq's Unix-socket forms of a URL, which postgres.js does not read from the URL itself: the socket directory as
 * the `host` query parameter (`postgresql:///db?host=/var/run/postgresql`) or as a percent-encoded host
 * (`postgresql://user@%2Fvar%2Frun%2Fpostgresql/db`). Returns the URL without it and the directory, if any.
 */
export function socketDirectory(url: string): { url: string; dir?: string } {
  const parts = urlParts(url);
  if (!parts) return { url };
  const { scheme, authority, path } = parts;
  const at = authority.lastIndexOf("@");
  const userinfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  const port = /:(\d+)$/.exec(hostPort)?.[1];
  let host = port ? hostPort.slice(0, -(port.length + 1)) : hostPort;
  let tail = parts.tail;
  if (tail.startsWith("?")) {
    const params = new URLSearchParams(tail.slice(1));
    const param = params.get("host");
    if (param !== null) {
      params.delete("host");
      const left = params.toString();
      tail = left ? `?${left}` : "";
      host = encodeURIComponent(param);
    }
  }
  let dir: string;
  try {
    dir = decodeURIComponent(host);
  } catch {
    return { url };
  }
  if (!dir.startsWith("/")) return { url };
  return { url: `${scheme}${userinfo}localhost${port ? `:${port}` : ""}${path}${tail}`, dir };
}

export function connect(url: string, opts: ConnectOptions = {}): Sql {
  const socket = socketDirectory(url);
  return postgres(socket.url, {
    ...(socket.dir ? { host: socket.dir } : {}),
    max: opts.max ?? 10,
    idle_timeout: opts.idleTimeout ?? 30,
    connect_timeout: CONNECT_TIMEOUT_SECONDS,
    // postgres.js counts failed connections over the pool's life and wants seconds.
    backoff: (retries: number) => backoffDelay(retries, RECONNECT_BACKOFF) / 1000,
    onnotice: () => {},
    connection: { TimeZone: "UTC", application_name: "annopage", statement_timeout: STATEMENT_TIMEOUT_MS },
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

/** One round trip to the database (`SELECT 1`): resolves when it answers. */
export async function ping(sql: Sql): Promise<void> {
  await sql`SELECT 1`;
}

/** `postgres://…/db` → the same server's `postgres` maintenance database URL (any query, such as a socket `host`, kept). */
export function withDatabase(url: string, database: string): string {
  const parts = urlParts(url);
  if (!parts) throw new Error("not a postgres:// URL");
  return `${parts.scheme}${parts.authority}/${encodeURIComponent(database)}${parts.tail}`;
}

/** The database a postgres:// URL names. */
export function databaseOf(url: string): string {
  const parts = urlParts(url);
  if (!parts) throw new Error("not a postgres:// URL");
  return decodeURIComponent(parts.path.replace(/^\//, ""));
}
