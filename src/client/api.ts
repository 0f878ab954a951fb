/**
 * Typed HTTP connector for the DocAPI-compatible API (protocol §0), shared by the worker
 * (`annopage work`) and the client commands. One method per endpoint; user, worker and admin
 * methods live side by side (the server decides what a key may do).
 *
 * Transport rules (protocol §9.1, with the additions the spec recommends for a TS port):
 *  - every request carries `X-API-Key` and a `User-Agent`;
 *  - `api_url` may carry a path prefix (`https://host/docapi`, with or without a trailing `/`,
 *    protocol §11.25): every route is resolved *below* that prefix;
 *  - path values are percent-encoded (image names with `#`, `?`, `/` or spaces stay one segment);
 *  - requests that are safe to repeat are retried with exponential backoff + jitter (src/shared/retry.ts)
 *    on network errors, 5xx (503 DATABASE_UNAVAILABLE while the server's database is down), 408 and
 *    429, waiting at least what a `Retry-After` asks (attempts, base and cap configurable); a request
 *    that is not safe to repeat (`POST /v1/jobs/lease`, progress/log PATCHes that append to the log)
 *    is sent once. `POST /v1/jobs` is made safe by an `Idempotency-Key` header (protocol Decisions 5);
 *  - a refused connection reached no server, so any request is tried again; but until this client
 *    has had any answer from the server, only for one quick round (REFUSED_RETRY, without onRetry
 *    reports): "connection refused" then means no server runs there, which waiting will not fix.
 *    Once the server has answered, a refused connection is a restart and gets the full policy;
 *  - uploads stream from disk (multipart body built as a stream, never buffered whole; re-created
 *    for each attempt); downloads stream to a temporary file next to the target, renamed into
 *    place only when complete;
 *  - any non-2xx answer becomes an `ApiError` carrying status, code, detail and details.
 *
 * Response types: the server's zod schemas from src/shared/schemas (jobs, leases, keys); the
 * envelope and engine listing items are parsed loosely here (any code string, every engine view).
 */
import { randomUUID } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { ApiError, describeFetchError, EnvelopeSchema, networkError, toApiError, type Envelope } from "./http-errors.ts";
import { multipartFromFile } from "./multipart.ts";
import { withRetry, type RetryDecision, type RetryPolicy } from "../shared/retry.ts";
import { JobStateSchema, KeySchema, RoleSchema, type Key } from "../shared/schemas/common.ts";
import { EngineListQuery, EngineNewSchema, EngineUpdateSchema } from "../shared/schemas/engines.ts";
import { KeySecretSchema, KeyUpdateSchema } from "../shared/schemas/keys.ts";
import {
  ImageSchema,
  JobDefinitionSchema,
  JobLeaseSchema,
  JobProgressUpdateSchema,
  JobSchema,
  JobUpdateSchema,
  JobWithEngineSchema,
  ListJobsQuery,
  type Job,
  type JobLease,
} from "../shared/schemas/jobs.ts";

// ---------------------------------------------------------------------------------------------
// Response schemas (protocol §2, §3)

// Jobs, leases and keys use the server's own response schemas (src/shared/schemas), which follow
// protocol §3 and accept the reference server's answers too (unknown members are dropped).
export { JobStateSchema, RoleSchema, KeySchema, type Key } from "../shared/schemas/common.ts";
export { KeySecretSchema } from "../shared/schemas/keys.ts";
export { ImageSchema, JobSchema, JobWithEngineSchema, JobLeaseSchema, type Job, type JobLease } from "../shared/schemas/jobs.ts";
export type JobState = z.infer<typeof JobStateSchema>;
export type Role = z.infer<typeof RoleSchema>;
export type KeySecret = z.infer<typeof KeySecretSchema>;
export type Image = z.infer<typeof ImageSchema>;
export type JobWithEngine = z.infer<typeof JobWithEngineSchema>;

const timestamp = z.string();
const uuid = z.string();

/**
 * Engine listing item, loose on purpose: admins get the full object, users/readonly only
 * name/version/description/default (§3.2), and a worker on the reference gets explicit nulls —
 * one schema for all views (the server's EngineSchema/EnginePublicSchema describe one view each).
 */
export const EngineSchema = z.looseObject({
  id: uuid.nullish(),
  name: z.string(),
  version: z.string(),
  description: z.string().nullish(),
  definition: z.record(z.string(), z.unknown()).nullish(),
  default: z.boolean().nullish(),
  active: z.boolean().nullish(),
  created_date: timestamp.nullish(),
  last_used: timestamp.nullish(),
  files_updated: timestamp.nullish(),
});
export type Engine = z.infer<typeof EngineSchema>;

export { EnvelopeSchema, type Envelope } from "./http-errors.ts";

// ---------------------------------------------------------------------------------------------
// Request bodies (protocol §3.7)

// The request types are the inputs of the server's own request schemas (src/shared/schemas):
// what the server accepts is what the client may send (z.input: defaulted members are optional).
export type JobDefinition = z.input<typeof JobDefinitionSchema>;
export type JobProgressUpdate = z.input<typeof JobProgressUpdateSchema>;
export type JobUpdate = z.input<typeof JobUpdateSchema>;
export type JobQuery = z.input<typeof ListJobsQuery>;
export type KeyUpdate = z.input<typeof KeyUpdateSchema>;
export type EngineNew = z.input<typeof EngineNewSchema>;
export type EngineUpdate = z.input<typeof EngineUpdateSchema>;
export type EngineQuery = z.input<typeof EngineListQuery>;

// ---------------------------------------------------------------------------------------------
// Errors

export { ApiError } from "./http-errors.ts";

// ---------------------------------------------------------------------------------------------
// Options

export type { RetryPolicy } from "../shared/retry.ts";

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

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5000 };
/** Refused connections before the server ever answered: one quick round (under a second of pauses). */
export const REFUSED_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250, maxDelayMs: 500 };

interface RequestSpec {
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

export interface LeaseOptions {
  /** Long-poll seconds (extension; ignored by a reference server). */
  wait?: number;
}

export interface WriteOptions {
  /** `X-Lease-Token` (extension) — sent only when the lease carried one. */
  leaseToken?: string | null;
}

// ---------------------------------------------------------------------------------------------

const seg = (v: string) => encodeURIComponent(v);

export class ApiClient {
  readonly baseUrl: URL;
  private readonly apiKey: string;
  private readonly userAgent: string;
  private readonly retryPolicy: RetryPolicy;
  private readonly timeoutMs: number;
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
    // §11.25: a path prefix must end with "/" or URL resolution would replace its last segment.
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

  // ------------------------------------------------------------------ user / readonly / any role

  async me(): Promise<Key> {
    return KeySchema.parse((await this.json({ method: "GET", path: "v1/me", retry: true })).data);
  }

  async listEngines(query: EngineQuery = {}): Promise<Engine[]> {
    const env = await this.json({ method: "GET", path: "v1/engines", query: { ...query }, retry: true });
    return z.array(EngineSchema).parse(env.data);
  }

  async listJobs(query: JobQuery = {}): Promise<JobWithEngine[]> {
    const env = await this.json({ method: "GET", path: "v1/jobs", query: { ...query }, retry: true });
    return z.array(JobWithEngineSchema).parse(env.data);
  }

  /**
   * `POST /v1/jobs`. With an idempotency key (default: a fresh UUID per call) the request is
   * retried safely: a repeat answers with the job created the first time. A reference server
   * ignores the header; a retry there may create a duplicate job only if the first answer was lost.
   */
  async createJob(definition: JobDefinition, opts: { idempotencyKey?: string } = {}): Promise<Job> {
    const env = await this.json({
      method: "POST",
      path: "v1/jobs",
      json: definition,
      headers: { "Idempotency-Key": opts.idempotencyKey ?? randomUUID() },
      retry: true,
    });
    return JobSchema.parse(env.data);
  }

  async getJob(jobId: string): Promise<Job> {
    return JobSchema.parse((await this.json({ method: "GET", path: `v1/jobs/${seg(jobId)}`, retry: true })).data);
  }

  /** User/admin cancel. Answers the envelope (code `JOB_CANCELLED`). */
  async cancelJob(jobId: string): Promise<Envelope> {
    return this.json({ method: "PATCH", path: `v1/jobs/${seg(jobId)}`, json: { state: "cancelled" }, retry: true });
  }

  /** Image upload from disk (routes 9–11). Answers the envelope (`IMAGE_UPLOADED` / `…_REUPLOADED`). */
  async uploadImage(jobId: string, imageName: string, filePath: string): Promise<Envelope> {
    return this.uploadImageFile(jobId, imageName, "image", filePath);
  }
  async uploadAlto(jobId: string, imageName: string, filePath: string): Promise<Envelope> {
    return this.uploadImageFile(jobId, imageName, "alto", filePath);
  }
  async uploadPage(jobId: string, imageName: string, filePath: string): Promise<Envelope> {
    return this.uploadImageFile(jobId, imageName, "page", filePath);
  }
  private uploadImageFile(jobId: string, imageName: string, kind: "image" | "alto" | "page", filePath: string): Promise<Envelope> {
    return this.json({
      method: "PUT",
      path: `v1/jobs/${seg(jobId)}/images/${seg(imageName)}/files/${kind}`,
      file: { path: filePath, filename: "file" },
      retry: true,
    });
  }

  /** `PUT /v1/jobs/{id}/files/metadata` with any non-null JSON value. */
  async uploadMetadata(jobId: string, value: unknown): Promise<Envelope> {
    return this.json({ method: "PUT", path: `v1/jobs/${seg(jobId)}/files/metadata`, json: value, retry: true });
  }

  /** `GET /v1/jobs/{id}/result` → the ZIP at `dest` (atomically). Returns its size in bytes. */
  async downloadResult(jobId: string, dest: string): Promise<number> {
    return this.download({ method: "GET", path: `v1/jobs/${seg(jobId)}/result`, retry: true }, dest);
  }

  // ------------------------------------------------------------------ worker

  /**
   * `POST /v1/jobs/lease` (sent once: a lost answer may hold a lease, which then times out).
   * `wait` > 0 asks for the long-poll extension; a reference server ignores the parameter.
   * Returns null when the queue is empty.
   */
  async leaseJob(opts: LeaseOptions = {}): Promise<JobLease | null> {
    const wait = opts.wait && opts.wait > 0 ? Math.min(60, Math.round(opts.wait)) : 0;
    const env = await this.json({
      method: "POST",
      path: "v1/jobs/lease",
      query: wait ? { wait } : undefined,
      retry: false,
      timeoutMs: this.timeoutMs + wait * 1000,
    });
    if (env.code !== "JOB_LEASED") return null;
    return JobLeaseSchema.parse(env.data);
  }

  /** Heartbeat: `PATCH /v1/jobs/{id}/lease`. */
  async extendLease(jobId: string, opts: WriteOptions = {}): Promise<JobLease> {
    const env = await this.json({ method: "PATCH", path: `v1/jobs/${seg(jobId)}/lease`, headers: leaseHeader(opts), retry: true });
    return JobLeaseSchema.parse(env.data);
  }

  /** Give the job back: `DELETE /v1/jobs/{id}/lease` (204). */
  async releaseLease(jobId: string, opts: WriteOptions = {}): Promise<void> {
    await this.json({ method: "DELETE", path: `v1/jobs/${seg(jobId)}/lease`, headers: leaseHeader(opts), retry: true });
  }

  /**
   * Progress / log update (renews the lease). Not retried when it carries log text (the server
   * appends it, so a repeat would duplicate lines); a pure progress update is retried.
   */
  async updateProgress(jobId: string, update: JobProgressUpdate, opts: WriteOptions = {}): Promise<JobLease | null> {
    const body = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined));
    if (Object.keys(body).length === 0) throw new TypeError("updateProgress needs progress, log or log_user");
    const env = await this.json({
      method: "PATCH",
      path: `v1/jobs/${seg(jobId)}`,
      json: body,
      headers: leaseHeader(opts),
      retry: body.log === undefined && body.log_user === undefined,
    });
    return env.code === "JOB_UPDATED" && env.data ? JobLeaseSchema.parse(env.data) : null;
  }

  /** Mark done (`JOB_COMPLETED` or `JOB_ALREADY_COMPLETED`); safe to repeat. */
  async finishJob(jobId: string, opts: WriteOptions & { log?: string; log_user?: string } = {}): Promise<Envelope> {
    return this.json({
      method: "PATCH",
      path: `v1/jobs/${seg(jobId)}`,
      json: dropUndefined({ state: "done", log: opts.log, log_user: opts.log_user }),
      headers: leaseHeader(opts),
      retry: true,
    });
  }

  /** Mark error with a technical `log` and a short `log_user`; safe to repeat (`JOB_ALREADY_MARKED_ERROR`). */
  async failJob(jobId: string, log: string | undefined, logUser: string | undefined, opts: WriteOptions = {}): Promise<Envelope> {
    return this.json({
      method: "PATCH",
      path: `v1/jobs/${seg(jobId)}`,
      json: dropUndefined({ state: "error", log, log_user: logUser }),
      headers: leaseHeader(opts),
      retry: true,
    });
  }

  async downloadEngineFiles(engineId: string, dest: string): Promise<number> {
    return this.download({ method: "GET", path: `v1/engines/${seg(engineId)}/files`, retry: true }, dest);
  }
  async downloadImage(jobId: string, imageId: string, dest: string): Promise<number> {
    return this.download({ method: "GET", path: `v1/jobs/${seg(jobId)}/images/${seg(imageId)}/files/image`, retry: true }, dest);
  }
  async downloadAlto(jobId: string, imageId: string, dest: string): Promise<number> {
    return this.download({ method: "GET", path: `v1/jobs/${seg(jobId)}/images/${seg(imageId)}/files/alto`, retry: true }, dest);
  }
  async downloadPage(jobId: string, imageId: string, dest: string): Promise<number> {
    return this.download({ method: "GET", path: `v1/jobs/${seg(jobId)}/images/${seg(imageId)}/files/page`, retry: true }, dest);
  }
  async downloadMetadata(jobId: string, dest: string): Promise<number> {
    return this.download({ method: "GET", path: `v1/jobs/${seg(jobId)}/files/metadata`, retry: true }, dest);
  }

  /** `POST /v1/jobs/{id}/result` streaming the ZIP from disk (re-upload is harmless → retried). */
  async uploadResult(jobId: string, zipPath: string, opts: WriteOptions = {}): Promise<Envelope> {
    return this.json({
      method: "POST",
      path: `v1/jobs/${seg(jobId)}/result`,
      file: { path: zipPath, filename: "result.zip", contentType: "application/zip" },
      headers: leaseHeader(opts),
      retry: true,
    });
  }
  async uploadArtifacts(jobId: string, zipPath: string, opts: WriteOptions = {}): Promise<Envelope> {
    return this.json({
      method: "POST",
      path: `v1/jobs/${seg(jobId)}/artifacts`,
      file: { path: zipPath, filename: "result.zip", contentType: "application/zip" },
      headers: leaseHeader(opts),
      retry: true,
    });
  }

  // ------------------------------------------------------------------ admin

  /** `POST /v1/admin/keys` → the full key string (shown once). Not retried (a repeat would 409). */
  async createKey(label: string, role: Role): Promise<KeySecret> {
    const env = await this.json({ method: "POST", path: "v1/admin/keys", json: { label, role }, retry: false });
    return KeySecretSchema.parse(env.data);
  }
  async listKeys(): Promise<Key[]> {
    return z.array(KeySchema).parse((await this.json({ method: "GET", path: "v1/admin/keys", retry: true })).data);
  }
  async updateKey(label: string, update: KeyUpdate): Promise<Envelope> {
    return this.json({ method: "PATCH", path: `v1/admin/keys/${seg(label)}`, json: update, retry: true });
  }
  /** New secret for a key (the old one stops working). Not retried: a repeat would rotate again. */
  async newKeySecret(label: string): Promise<KeySecret> {
    const env = await this.json({ method: "POST", path: `v1/admin/keys/${seg(label)}/secret`, retry: false });
    return KeySecretSchema.parse(env.data);
  }
  /** `POST /v1/admin/engines`; `data` is the engine on our server, null on the reference. */
  async createEngine(engine: EngineNew): Promise<Envelope> {
    return this.json({ method: "POST", path: "v1/admin/engines", json: engine, retry: false });
  }
  async updateEngine(name: string, version: string, update: EngineUpdate): Promise<Envelope> {
    return this.json({ method: "PATCH", path: `v1/admin/engines/${seg(name)}/${seg(version)}`, json: update, retry: true });
  }
  async uploadEngineFiles(name: string, version: string, zipPath: string): Promise<Envelope> {
    return this.json({
      method: "PUT",
      path: `v1/admin/engines/${seg(name)}/${seg(version)}/files`,
      file: { path: zipPath, filename: basename(zipPath), contentType: "application/zip" },
      retry: true,
    });
  }
  async downloadArtifacts(jobId: string, dest: string): Promise<number> {
    return this.download({ method: "GET", path: `v1/admin/jobs/${seg(jobId)}/artifacts`, retry: true }, dest);
  }
  /** Force update (admin). `appendLogs` false replaces logs instead of appending. */
  async adminUpdateJob(jobId: string, update: JobUpdate, opts: { appendLogs?: boolean } = {}): Promise<Envelope> {
    const appendLogs = opts.appendLogs ?? true;
    const appends = appendLogs && (update.log !== undefined || update.log_user !== undefined);
    return this.json({
      method: "PATCH",
      path: `v1/admin/jobs/${seg(jobId)}`,
      query: opts.appendLogs === undefined ? undefined : { append_logs: appendLogs },
      json: update,
      retry: !appends,
    });
  }
  async debugStartJob(jobId: string): Promise<Envelope> {
    return this.json({ method: "PUT", path: `debug/jobs/${seg(jobId)}/start`, retry: false });
  }

  // ------------------------------------------------------------------ transport

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
      throw new ApiError(status, "BAD_RESPONSE", `expected a JSON envelope, got: ${text.slice(0, 200)}`, undefined, spec.method, "/" + spec.path);
    }
    const env = EnvelopeSchema.safeParse(parsed);
    if (!env.success) {
      throw new ApiError(status, "BAD_RESPONSE", `not a DocAPI envelope: ${text.slice(0, 200)}`, undefined, spec.method, "/" + spec.path);
    }
    return env.data;
  }

  /** Streams a binary answer to `dest` via a temporary file + rename. Returns bytes written. */
  async download(spec: RequestSpec, dest: string): Promise<number> {
    return this.send(spec, async (res) => {
      const tmp = join(dirname(dest), `.${basename(dest)}.${randomUUID().slice(0, 8)}.part`);
      try {
        const bytes = await Bun.write(tmp, res);
        await rename(tmp, dest);
        return bytes;
      } catch (e) {
        await rm(tmp, { force: true });
        // The body broke mid-stream: retried like a network error.
        throw new ApiError(0, "NETWORK_ERROR", `download interrupted: ${(e as Error).message}`, undefined, spec.method, "/" + spec.path);
      }
    });
  }

  /** The whole body as text; a body that breaks mid-stream is a NETWORK_ERROR (retried like one). */
  private async readBody(res: Response, spec: RequestSpec): Promise<string> {
    try {
      return await res.text();
    } catch (e) {
      throw new ApiError(0, "NETWORK_ERROR", `answer interrupted: ${describeFetchError(e)}`, undefined, spec.method, "/" + spec.path);
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
          if (!res.ok) throw await toApiError(res, spec.method, "/" + spec.path);
          return await use(res);
        },
        {
          policy: this.retryPolicy,
          toError: (e) => (e instanceof ApiError ? e : networkError(e, spec.method, "/" + spec.path)),
          decide: (err) => this.decide(spec, err),
          onRetry: ({ attempt, delayMs, error }) => this.onRetry?.({ method: spec.method, path: "/" + spec.path, attempt, delayMs, error }),
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

function leaseHeader(opts: WriteOptions): Record<string, string> | undefined {
  return opts.leaseToken ? { "X-Lease-Token": opts.leaseToken } : undefined;
}

function dropUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
