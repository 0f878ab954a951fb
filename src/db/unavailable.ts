/**
 * Which database errors mean "the database cannot be reached right now" (it is down, restarting,
 * full of connections, or a statement ran out of time), as opposed to a bug or a bad query. The
 * server answers those with 503 DATABASE_UNAVAILABLE (errors.ts) instead of a 500: the request did
 * nothing that a retry could not do again.
 */
import postgres from "postgres";

/**
 * Socket-level failures (Node/Bun `code`). They count only on an error that a postgres.js query was rejected with
 * (postgres.js gives every such error a `query` property): an S3 request refused by its endpoint is no database outage.
 */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

/** postgres.js's own connection error codes. */
const DRIVER_CODES = new Set(["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT"]);

/** SQLSTATEs: admin/crash shutdown, cannot connect now (starting up, shutting down, recovering), too many connections, statement timeout. */
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "57014"]);

export function isDatabaseUnavailable(e: unknown): boolean {
  for (let err = e, depth = 0; err && typeof err === "object" && depth < 5; err = (err as { cause?: unknown }).cause, depth++) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (DRIVER_CODES.has(code)) return true;
    if (NETWORK_CODES.has(code) && "query" in err) return true;
    if (err instanceof postgres.PostgresError && (SQLSTATES.has(code) || code.startsWith("08"))) return true; // class 08: connection exception
  }
  return false;
}
