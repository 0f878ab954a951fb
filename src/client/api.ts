/**
 * Typed HTTP connector for the DocAPI-compatible API (docs/protocol.md §0), shared by the worker
 * (`annopage work`) and the client commands. One method per endpoint; user, worker and admin
 * methods live side by side (the server decides what a key may do). The transport (URL, headers,
 * retries, streaming, errors: docs/protocol.md §9.1) is ApiTransport in transport.ts; here each endpoint
 * says its method, path, body, whether it is safe to repeat, and parses its answer.
 *
 * Types: the server's zod schemas from src/shared/schemas — requests are their z.input, jobs,
 * leases and keys their output; the envelope and engine listing items are parsed loosely here
 * (any code string, every engine view).
 */
import { randomUUID } from "node:crypto";
import { basename } from "node:path";
import { z } from "zod";
import type { Envelope } from "./http-errors.ts";
import { ApiTransport } from "./transport.ts";
import { KeySchema, type RoleSchema, type Key } from "../shared/schemas/common.ts";
import {
  type EngineListQuery,
  type EngineNewSchema,
  EngineSchema as EngineViewSchema,
  type EngineUpdateSchema,
} from "../shared/schemas/engines.ts";
import { type KeyNewSchema, KeySecretSchema, type KeyUpdateSchema } from "../shared/schemas/keys.ts";
import {
  type JobDefinitionSchema,
  JobLeaseSchema,
  type JobProgressUpdateSchema,
  JobSchema,
  type JobUpdateSchema,
  JobWithEngineSchema,
  type ListJobsQuery,
  type Job,
  type JobLease,
  type JobWithEngine,
} from "../shared/schemas/jobs.ts";

// ---------------------------------------------------------------------------------------------
// Response schemas (docs/protocol.md §2, §3)

// Jobs, leases and keys use the server's own response schemas (src/shared/schemas), which follow
// docs/protocol.md §3 and accept the reference server's answers too (unknown members are dropped).
export { JobStateSchema, RoleSchema, type Key } from "../shared/schemas/common.ts";
export { KeySecretSchema } from "../shared/schemas/keys.ts";
export type { Job, JobLease, JobWithEngine } from "../shared/schemas/jobs.ts";
export type Role = z.infer<typeof RoleSchema>;
export type KeySecret = z.infer<typeof KeySecretSchema>;

/**
 * Engine listing item: the server's Engine object (admin view) with every member but name and
 * version optional and nullable, and unknown members kept — users/readonly get only
 * name/version/description/default (docs/protocol.md §3.2), a worker on the reference explicit nulls; one schema
 * for all views (the server's EngineSchema/EnginePublicSchema describe one view each).
 */
const { name, version, ...inSomeViews } = EngineViewSchema.shape;
type Nullish<T extends z.core.$ZodShape> = { [K in keyof T]: z.ZodOptional<z.ZodNullable<T[K]>> };
export const EngineSchema = z.looseObject({
  name,
  version,
  ...(Object.fromEntries(Object.entries(inSomeViews).map(([k, v]) => [k, v.nullish()])) as Nullish<typeof inSomeViews>),
});
export type Engine = z.infer<typeof EngineSchema>;

export type { Envelope } from "./http-errors.ts";

// ---------------------------------------------------------------------------------------------
// Request bodies (docs/protocol.md §3.7)

// The request types are the inputs of the server's own request schemas (src/shared/schemas):
// what the server accepts is what the client may send (z.input: defaulted members are optional).
export type JobDefinition = z.input<typeof JobDefinitionSchema>;
export type JobProgressUpdate = z.input<typeof JobProgressUpdateSchema>;
export type JobUpdate = z.input<typeof JobUpdateSchema>;
export type JobQuery = z.input<typeof ListJobsQuery>;
export type KeyNew = z.input<typeof KeyNewSchema>;
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
export { REFUSED_RETRY } from "./transport.ts";

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

export class ApiClient extends ApiTransport {
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
    return this.json({
      method: "PATCH",
      path: `v1/jobs/${seg(jobId)}`,
      json: { state: "cancelled" } satisfies JobProgressUpdate,
      retry: true,
    });
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
      json: dropUndefined({ state: "done", log: opts.log, log_user: opts.log_user } satisfies JobProgressUpdate),
      headers: leaseHeader(opts),
      retry: true,
    });
  }

  /** Mark error with a technical `log` and a short `log_user`; safe to repeat (`JOB_ALREADY_MARKED_ERROR`). */
  async failJob(jobId: string, log: string | undefined, logUser: string | undefined, opts: WriteOptions = {}): Promise<Envelope> {
    return this.json({
      method: "PATCH",
      path: `v1/jobs/${seg(jobId)}`,
      json: dropUndefined({ state: "error", log, log_user: logUser } satisfies JobProgressUpdate),
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
    const env = await this.json({ method: "POST", path: "v1/admin/keys", json: { label, role } satisfies KeyNew, retry: false });
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
}

function leaseHeader(opts: WriteOptions): Record<string, string> | undefined {
  return opts.leaseToken ? { "X-Lease-Token": opts.leaseToken } : undefined;
}

function dropUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
