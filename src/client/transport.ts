/**
 * HTTP transport of the API client (src/client/api.ts): base URL, headers, bodies, retries,
 * streaming downloads and the error of a failed answer. The endpoints are in api.ts.
 *
 * Transport rules (docs/protocol.md §9.1, with the additions the spec recommends for a TS port):
 *  - every request carries `X-API-Key` and a `User-Agent`;
 *  - `api_url` may carry a path prefix (`https://host/docapi`, with or without a trailing `/`,
 *    docs/protocol.md §11.25): every route is resolved *below* that prefix;
 *  - path values are percent-encoded (image names with `#`, `?`, `/` or spaces stay one segment);
 *  - requests that are safe to repeat are retried with exponential backoff + jitter (src/shared/retry.ts)
 *    on network errors, 5xx (503 DATABASE_UNAVAILABLE while the server's database is down), 408 and
 *    429, waiting at least what a `Retry-After` asks (attempts, base and cap configurable); a request
 *    that is not safe to repeat (`POST /v1/jobs/lease`, progress/log PATCHes that append to the log)
 *    is sent once. `POST /v1/jobs` is made safe by an `Idempotency-Key` header (docs/decisions.md §5);
 *  - a refused connection reached no server, so any request is tried again; but until this client
 *    has had any answer from the server, only for one quick round (REFUSED_RETRY, without onRetry
 *    reports): "connection refused" then means no server runs there, which waiting will not fix.
 *    Once the server has answered, a refused connection is a restart and gets the full policy;
 *  - uploads stream from disk (multipart body built as a stream, never buffered whole; re-created
 *    for each attempt); downloads stream to a temporary file next to the target, renamed into
 *    place only when complete;
 *  - any non-2xx answer becomes an `ApiError` carrying status, code, detail and details.
 */
import { ApiError, describeFetchError, EnvelopeSchema, networkError, toApiError, type Envelope } from "./http-errors.ts";
import { multipartFromFile } from "./multipart.ts";
import { writeAtomic } from "../shared/atomic-write.ts";
import { withRetry, type RetryDecision, type RetryPolicy } from "../shared/retry.ts";

export interface ApiClientOptions {
  apiUrl: string;
  apiKey: string;
  userAgent?: string;
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout for JSON requests (ms). Streams have no overall timeout. */
  timeoutMs?: number;
  /** Called before each retry (for logging). */
  onRetry?: (info: { method: string; path: string; attempt: number; delayMs: number; error: ApiError }) => void;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5000 };
/** Refused connections before the server ever answered: one quick round (under a second of pauses). */
export const REFUSED_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250, maxDelayMs: 500 };

export interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Route path relative to the API root, no leading slash; segments already encoded. */
  path: string;
  query?: Record<string, string | number | boolean | undefined | null>;
  json?: unknown;
  /** Multipart upload of one file from disk as part `file`. */
  file?: { path: string; filename: string; contentType?: string };
  headers?: Record<string, string>;
  /** Safe to send again after a network error or 5xx. */
  retry: boolean;
  timeoutMs?: number;
}

/** Sends requests below the API root; ApiClient adds one method per endpoint. */
export class ApiTransport {
  readonly baseUrl: URL;
  private readonly apiKey: string;
  private readonly userAgent: string;
  private readonly retryPolicy: RetryPolicy;
  protected readonly timeoutMs: number;
  private readonly onRetry: ApiClientOptions["onRetry"];
  /** Some answer came from the server (so a refused connection later means a restart). */
  private reached = false;

  constructor(opts: ApiClientOptions) {
    let base: URL;
    try {
      base = new URL(opts.apiUrl);
    } catch {
      throw new TypeError(`invalid API URL "${opts.apiUrl}"`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") throw new TypeError(`API URL must be http(s): "${opts.apiUrl}"`);
    // docs/protocol.md §11.25: a path prefix must end with "/" or URL resolution would replace its last segment.
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    base.search = "";
    base.hash = "";
    this.baseUrl = base;
    this.apiKey = opts.apiKey;
    this.userAgent = opts.userAgent ?? "AnnoPageClient/1.0";
    this.retryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.onRetry = opts.onRetry;
  }

  /** Absolute URL of a route below the API root (path without leading slash). */
  url(path: string, query?: RequestSpec["query"]): URL {
    const u = new URL(path.replace(/^\/+/, ""), this.baseUrl);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
    return u;
  }

  /** Sends a request whose success answer is a JSON envelope (or 204) and returns the envelope. */
  async json(spec: RequestSpec): Promise<Envelope> {
    const { status, text } = await this.send(spec, async (res) => {
      if (res.status !== 204) return { status: res.status, text: await this.readBody(res, spec) };
      await res.body?.cancel();
      return { status: 204, text: "" };
    });
    if (status === 204) return { status: 204, code: "JOB_LEASE_RELEASED", detail: "", data: null };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError(
        status,
        "BAD_RESPONSE",
        `expected a JSON envelope, got: ${text.slice(0, 200)}`,
        undefined,
        spec.method,
        `/${spec.path}`,
      );
    }
    const env = EnvelopeSchema.safeParse(parsed);
    if (!env.success) {
      throw new ApiError(status, "BAD_RESPONSE", `not a DocAPI envelope: ${text.slice(0, 200)}`, undefined, spec.method, `/${spec.path}`);
    }
    return env.data;
  }

  /** Streams a binary answer to `dest` via a temporary file + rename. Returns bytes written. */
  async download(spec: RequestSpec, dest: string): Promise<number> {
    return this.send(spec, async (res) => {
      try {
        return await writeAtomic(dest, (tmp) => Bun.write(tmp, res));
      } catch (e) {
        // The body broke mid-stream: retried like a network error.
        throw new ApiError(0, "NETWORK_ERROR", `download interrupted: ${(e as Error).message}`, undefined, spec.method, `/${spec.path}`);
      }
    });
  }

  /** The whole body as text; a body that breaks mid-stream is a NETWORK_ERROR (retried like one). */
  private async readBody(res: Response, spec: RequestSpec): Promise<string> {
    try {
      return await res.text();
    } catch (e) {
      throw new ApiError(0, "NETWORK_ERROR", `answer interrupted: ${describeFetchError(e)}`, undefined, spec.method, `/${spec.path}`);
    }
  }

  /**
   * One logical request: sends it, hands a 2xx Response to `use` (whose NETWORK_ERROR counts as a
   * failed attempt), retries per the policy (src/shared/retry.ts) and throws the last ApiError.
   */
  private async send<T>(spec: RequestSpec, use: (res: Response) => Promise<T>): Promise<T> {
    let attempts = 0;
    try {
      return await withRetry(
        async () => {
          attempts++;
          const res = await this.fetchOnce(spec);
          this.reached = true;
          if (!res.ok) throw await toApiError(res, spec.method, `/${spec.path}`);
          return await use(res);
        },
        {
          policy: this.retryPolicy,
          toError: (e) => (e instanceof ApiError ? e : networkError(e, spec.method, `/${spec.path}`)),
          decide: (err) => this.decide(spec, err),
          onRetry: ({ attempt, delayMs, error }) => this.onRetry?.({ method: spec.method, path: `/${spec.path}`, attempt, delayMs, error }),
        },
      );
    } catch (e) {
      if (e instanceof ApiError) e.attempts = attempts;
      throw e;
    }
  }

  private decide(spec: RequestSpec, err: ApiError): RetryDecision {
    // A refused connection reached no server: safe to repeat whatever the request.
    if (err.refused && !this.reached) {
      return { retry: true, attempts: Math.min(REFUSED_RETRY.attempts, this.retryPolicy.attempts), backoff: REFUSED_RETRY, quiet: true };
    }
    if (!err.transient || !(spec.retry || err.refused)) return { retry: false };
    return { retry: true, atLeastMs: err.retryAfterMs };
  }

  private async fetchOnce(spec: RequestSpec): Promise<Response> {
    const headers: Record<string, string> = {
      "X-API-Key": this.apiKey,
      "User-Agent": this.userAgent,
      ...spec.headers,
    };
    let body: BodyInit | undefined;
    let upload: Awaited<ReturnType<typeof multipartFromFile>> | undefined;
    if (spec.file) {
      upload = await multipartFromFile(spec.file);
      headers["Content-Type"] = upload.contentType;
      headers["Content-Length"] = String(upload.length);
      body = upload.stream;
    } else if (spec.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(spec.json);
    }
    const timeout = spec.file ? undefined : (spec.timeoutMs ?? this.timeoutMs);
    try {
      return await fetch(this.url(spec.path, spec.query), {
        method: spec.method,
        headers,
        body,
        redirect: "follow",
        signal: timeout ? AbortSignal.timeout(timeout) : undefined,
      });
    } finally {
      // Whether the request went through, failed to connect or broke mid-body, the file is closed
      // now (a connection refused never reads the body to its end; a retry opens the file again).
      await upload?.close();
    }
  }
}
