/**
 * Errors are values with codes: routes and middleware `throw new AppError(code, …)` once, and
 * `renderError` (installed as the app's onError) turns any error into the protocol envelope. A
 * database that cannot be reached (db/unavailable.ts) is 503 DATABASE_UNAVAILABLE with Retry-After,
 * from wherever the query failed: a retry can do what the request could not.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { consola } from "consola";
import { isDatabaseUnavailable } from "../db/unavailable.ts";
import { APP_CODES, type AppCode } from "../shared/codes.ts";
import type { AppDeps } from "./context.ts";
import { failedRequest } from "./ops/error-mail.ts";

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: AppCode,
    opts: { status?: number; detail?: string; details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(opts.detail ?? APP_CODES[code][1]);
    this.status = opts.status ?? APP_CODES[code][0];
    this.details = opts.details;
    this.headers = opts.headers;
  }
  readonly details: unknown;
  readonly headers: Record<string, string> | undefined;
}

/** JSON with `content-type: application/json` exactly (no charset), as the reference sends. */
export function jsonResponse(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

export function envelopeOk(code: AppCode, data: unknown = null, opts: { status?: number; detail?: string } = {}): Response {
  const status = opts.status ?? APP_CODES[code][0];
  return jsonResponse({ status, code, detail: opts.detail ?? APP_CODES[code][1], data }, status);
}

/** Seconds a client is asked to wait after DATABASE_UNAVAILABLE (the pool reconnects within half a second). */
const DATABASE_RETRY_AFTER_SECONDS = 2;
const OUTAGE_LOG_INTERVAL_MS = 10_000;
let lastOutageLog = -Infinity;
let outageAnswers = 0;

/** The 503 for a database error that means "unavailable"; logged once per OUTAGE_LOG_INTERVAL_MS with the count. */
function databaseUnavailable(err: Error): AppError {
  outageAnswers++;
  if (performance.now() - lastOutageLog >= OUTAGE_LOG_INTERVAL_MS) {
    lastOutageLog = performance.now();
    consola.warn(
      `database unavailable (${(err as { code?: string }).code ?? err.name}): ${outageAnswers} request(s) answered 503 since the last report`,
    );
    outageAnswers = 0;
  }
  return new AppError("DATABASE_UNAVAILABLE", { headers: { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) } });
}

/** `deps.errorMail`, when set, gets every 500 (fire and forget: the answer never waits for the mail). */
export function renderError(err: Error, c: Context, deps?: Pick<AppDeps, "errorMail">): Response {
  if (!(err instanceof AppError) && isDatabaseUnavailable(err)) err = databaseUnavailable(err);
  if (err instanceof AppError) {
    const body: Record<string, unknown> = { status: err.status, code: err.code, detail: err.message };
    if (err.details !== undefined && err.details !== null) body.details = err.details;
    return jsonResponse(body, err.status, err.headers);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    return jsonResponse({ status, code: "HTTP_ERROR", detail: err.message || statusText(status) }, status);
  }
  consola.error(`${c.req.method} ${new URL(c.req.url).pathname} failed:`, err);
  if (deps?.errorMail) {
    try {
      deps.errorMail.report(err, failedRequest(c));
    } catch (e) {
      consola.warn(`internal error mail not sent (${(e as Error).name})`); // the message could quote the request
    }
  }
  return jsonResponse({ status: 500, code: "INTERNAL_ERROR", detail: APP_CODES.INTERNAL_ERROR[1] }, 500);
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
  };
  return texts[status] ?? "Error";
}
