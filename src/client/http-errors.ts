/**
 * What the API connector (api.ts) throws: ApiError for a non-2xx answer or a transport failure,
 * built from the answer's envelope (and its Retry-After) or from the socket error, described in a
 * few words (Bun's own messages repeat the error code and talk about "the url").
 */
import { z } from "zod";
import type { AppCode } from "../shared/codes.ts";

export const EnvelopeSchema = z.looseObject({
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
  data: z.unknown().optional(),
  details: z.unknown().optional(),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

/** A non-2xx answer (status > 0) or a transport failure (status 0, code `NETWORK_ERROR`). */
export class ApiError extends Error {
  /** The socket error code of a transport failure (`ECONNREFUSED`, `ECONNRESET`, …). */
  readonly networkCode: string | undefined;
  /** What the answer's `Retry-After` asked for, in ms. */
  readonly retryAfterMs: number | undefined;
  /** How many times the request was sent (set when the connector gives up). */
  attempts = 1;
  constructor(
    readonly status: number,
    readonly code: AppCode | (string & {}),
    readonly detail: string,
    readonly details: unknown,
    readonly method: string,
    readonly path: string,
    extra: { networkCode?: string; retryAfterMs?: number } = {},
  ) {
    super(`${method} ${path}: ${status ? `${status} ` : ""}${code}: ${detail}`);
    this.name = "ApiError";
    this.networkCode = extra.networkCode;
    this.retryAfterMs = extra.retryAfterMs;
  }
  /** Transport failure (no HTTP answer) or a server-side failure worth retrying. */
  get transient(): boolean {
    return isTransientStatus(this.status);
  }
  /** Nothing listens at the server's address: the request never reached a server. */
  get refused(): boolean {
    return this.networkCode === "ECONNREFUSED";
  }
}

function isTransientStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

/** Short texts for the common socket errors (Bun's own messages repeat the code and talk about "the url"). */
const NETWORK_TEXTS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by the server",
  ETIMEDOUT: "connection timed out",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

export function describeFetchError(e: unknown): string {
  const err = e as Error & { code?: string };
  if (err?.name === "TimeoutError") return "request timed out";
  if (err?.code && NETWORK_TEXTS[err.code]) return NETWORK_TEXTS[err.code]!;
  const message = err?.message ?? String(e);
  return err?.code && !message.startsWith(err.code) ? `${err.code}: ${message}` : message;
}

export function networkError(e: unknown, method: string, path: string): ApiError {
  const code = (e as { code?: unknown })?.code;
  const networkCode = typeof code === "string" ? code : (e as Error)?.name === "TimeoutError" ? "ETIMEDOUT" : undefined;
  return new ApiError(0, "NETWORK_ERROR", describeFetchError(e), undefined, method, path, { networkCode });
}

/** `Retry-After` in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export async function toApiError(res: Response, method: string, path: string): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  let code = "HTTP_ERROR";
  let detail = res.statusText || `HTTP ${res.status}`;
  let details: unknown;
  try {
    const env = EnvelopeSchema.safeParse(JSON.parse(text));
    if (env.success) {
      code = env.data.code;
      detail = env.data.detail;
      details = env.data.details;
    } else if (text) detail = text.slice(0, 500);
  } catch {
    if (text) detail = text.slice(0, 500);
  }
  return new ApiError(res.status, code, detail, details, method, path, { retryAfterMs: retryAfterMs(res.headers.get("retry-after")) });
}
