/**
 * Worker routes: lease (docs/protocol.md §4.10, + long-poll `?wait=S` and lease tokens), heartbeat (§4.11),
 * release (§4.12), downloads of job inputs (§4.14), result and artifacts uploads (§4.15).
 * Guards: exists → assigned (worker) → X-Lease-Token when sent → job `processing` (worker).
 * Admin keys skip assignment and state, except that a heartbeat/release of a job that is not
 * processing is a 409 (§11.8 fixed).
 */
import type { Context } from "hono";
import { findJob, findJobAndImage, type JobRow } from "../../db/jobs.ts";
import { releaseJob, sweepAndClaim, touchJob } from "../../db/lease.ts";
import type { KeyRow } from "../../db/keys.ts";
import { ImageIdParams, JobIdParams, JobLeaseSchema, LeaseQuery } from "../../shared/schemas/jobs.ts";
import { validateZipFile } from "../../shared/zip/central-directory.ts";
import { formatInfo, type ImageFormat } from "../../media/index.ts";
import { nowIso } from "../jobs/clock.ts";
import type { AppDeps } from "../context.ts";
import { AppError, envelopeOk } from "../errors.ts";
import { fileResponse, stem } from "../http/file-response.ts";
import { JOB_CHANGED, untilApplied } from "../jobs/guarded-update.ts";
import { LEASE_TOKEN_DOC, guardJob, leaseTokenOf, requireState } from "../middleware/guards.ts";
import { defineRoute } from "../route.ts";
import { leaseData } from "./job-patch.ts";

/** One lease attempt: sweep + FIFO claim in one statement (docs/protocol.md §4.10; db/lease.ts sweepAndClaim). */
async function tryLease(deps: AppDeps, key: KeyRow) {
  const c = deps.config;
  const token = crypto.randomUUID();
  const cfg = { timeoutSeconds: c.jobTimeoutSeconds, graceSeconds: c.jobTimeoutGraceSeconds, maxAttempts: c.jobMaxAttempts };
  const { requeued, claimed } = await sweepAndClaim(deps.sql, key.id, nowIso(), token, cfg);
  if (requeued > 0) await deps.queue.jobsQueued(requeued); // jobs this sweep requeued and left for other workers
  return claimed ? leaseData(deps, claimed.id, claimed.last_change, token) : null;
}

const workerGuard = (c: Context) => ({ assigned: true, state: "processing" as const, leaseToken: leaseTokenOf(c) });

/**
 * Applies `change` to the job's row version after the worker guards and the `processing` check (for admin keys too,
 * docs/protocol.md §11.8); `change` answers undefined/false when the job moved on, and everything runs again (server/jobs/guarded-update.ts).
 */
function onProcessingJob<T>(
  deps: AppDeps,
  c: Context,
  key: KeyRow,
  jobId: string,
  change: (job: JobRow) => Promise<T | undefined | false>,
): Promise<T> {
  return untilApplied(async () => {
    const job = guardJob(await findJob(deps.sql, jobId), key, workerGuard(c));
    requireState(job, "processing");
    const r = await change(job);
    return r === undefined || r === false ? JOB_CHANGED : r;
  });
}

const inputResponses = (gone: "IMAGE_GONE" | "ALTO_GONE" | "PAGE_GONE" | "META_JSON_GONE", content: string) => ({
  200: { content, description: "The stored file" },
  403: { code: ["API_KEY_FORBIDDEN_FOR_JOB" as const] },
  404: { code: ["JOB_NOT_FOUND" as const, "IMAGE_NOT_FOUND_FOR_JOB" as const] },
  409: { code: ["JOB_NOT_IN_PROCESSING" as const] },
  410: { code: [gone] },
});

function zipUploadRoute(deps: AppDeps, kind: "result" | "artifacts") {
  const area = kind === "result" ? ("results" as const) : ("artifacts" as const);
  const codes =
    kind === "result"
      ? ({ up: "JOB_RESULT_UPLOADED", re: "JOB_RESULT_REUPLOADED", bad: "JOB_RESULT_INVALID" } as const)
      : ({ up: "JOB_ARTIFACTS_UPLOADED", re: "JOB_ARTIFACTS_REUPLOADED", bad: "JOB_ARTIFACTS_INVALID" } as const);
  return defineRoute({
    method: "POST",
    path: `/v1/jobs/{job_id}/${kind}`,
    roles: ["worker"],
    params: JobIdParams,
    body: { file: area },
    doc: {
      tag: "Worker",
      summary: kind === "result" ? "Upload the result ZIP" : "Upload the artifacts ZIP",
      description: "Multipart part `file`. Does not change the job or its lease.",
      headers: [LEASE_TOKEN_DOC],
      responses: {
        201: { code: [codes.up] },
        200: { code: [codes.re] },
        403: { code: ["API_KEY_FORBIDDEN_FOR_JOB"] },
        404: { code: ["JOB_NOT_FOUND"] },
        409: { code: ["JOB_NOT_IN_PROCESSING", "JOB_LEASE_TOKEN_STALE"] },
        413: { code: ["FILE_TOO_LARGE"] },
        415: { code: [codes.bad] },
      },
    },
    handler: async ({ c, key, params, file }) => {
      guardJob(await findJob(deps.sql, params.job_id), key, workerGuard(c));
      const validate = kind === "result" ? deps.config.zipValidation.result : deps.config.zipValidation.artifacts;
      if (validate) {
        const check = await validateZipFile(file.path);
        if (!check.ok) throw new AppError(codes.bad, { details: { reason: check.reason } });
      }
      const { existed } = await deps.storage.commit(file, `${params.job_id}.zip`);
      return envelopeOk(existed ? codes.re : codes.up, null);
    },
  });
}

export const workerRoutes = (deps: AppDeps) => [
  defineRoute({
    method: "POST",
    path: "/v1/jobs/lease",
    roles: ["worker"],
    query: LeaseQuery,
    doc: {
      tag: "Worker",
      summary: "Lease the oldest queued job",
      description:
        "Requeues timed-out and failed-attempt jobs, then assigns the oldest queued job to the caller. " +
        "`wait=S` (0–60 s, extension) holds the request until a job can be leased or S seconds pass. " +
        "The answer carries `lease_token`; send it as `X-Lease-Token` on writes to fence out stale workers.",
      responses: { 200: { code: ["JOB_LEASED", "JOB_QUEUE_EMPTY"], data: JobLeaseSchema.nullable() } },
    },
    handler: async ({ c, key, query }) => {
      const deadline = performance.now() + (query.wait ?? 0) * 1000;
      const aborted = c.req.raw.signal;
      if ((query.wait ?? 0) > 0) await deps.queue.ensureListening();
      for (;;) {
        const lease = await tryLease(deps, key);
        if (lease) return envelopeOk("JOB_LEASED", lease);
        const left = deadline - performance.now();
        if (left <= 0 || aborted.aborted || deps.queue.stopped) return envelopeOk("JOB_QUEUE_EMPTY", null);
        // Woken by a queueing in this process or by NOTIFY from another replica; the periodic
        // re-check (LEASE_RECHECK_MS) also catches timed-out leases that become leasable without any notification.
        await deps.queue.wait(Math.min(left, deps.config.leaseRecheckMs), aborted);
      }
    },
  }),
  defineRoute({
    method: "PATCH",
    path: "/v1/jobs/{job_id}/lease",
    roles: ["worker"],
    params: JobIdParams,
    doc: {
      tag: "Worker",
      summary: "Extend the lease (heartbeat)",
      headers: [LEASE_TOKEN_DOC],
      responses: {
        200: { code: ["JOB_LEASE_EXTENDED"], data: JobLeaseSchema },
        403: { code: ["API_KEY_FORBIDDEN_FOR_JOB"] },
        404: { code: ["JOB_NOT_FOUND"] },
        409: { code: ["JOB_NOT_IN_PROCESSING", "JOB_LEASE_TOKEN_STALE"] },
      },
    },
    handler: async ({ c, key, params }) => {
      const serverTime = await onProcessingJob(deps, c, key, params.job_id, (job) => touchJob(deps.sql, job.id, job.row_version, nowIso()));
      return envelopeOk("JOB_LEASE_EXTENDED", leaseData(deps, params.job_id, serverTime));
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/v1/jobs/{job_id}/lease",
    roles: ["worker"],
    params: JobIdParams,
    doc: {
      tag: "Worker",
      summary: "Give the job back to the queue",
      headers: [LEASE_TOKEN_DOC],
      responses: {
        204: { code: ["JOB_LEASE_RELEASED"], description: "Released (no body)" },
        403: { code: ["API_KEY_FORBIDDEN_FOR_JOB"] },
        404: { code: ["JOB_NOT_FOUND"] },
        409: { code: ["JOB_NOT_IN_PROCESSING", "JOB_LEASE_TOKEN_STALE"] },
      },
    },
    handler: async ({ c, key, params }) => {
      await onProcessingJob(deps, c, key, params.job_id, (job) => releaseJob(deps.sql, job.id, job.row_version, nowIso()));
      await deps.queue.jobsQueued();
      return new Response(null, { status: 204 });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/v1/jobs/{job_id}/images/{image_id}/files/image",
    roles: ["worker"],
    params: ImageIdParams,
    doc: { tag: "Worker", summary: "Download an image (original bytes)", responses: inputResponses("IMAGE_GONE", "image/*") },
    handler: async ({ c, key, params }) => {
      const found = await findJobAndImage(deps.sql, params.job_id, { id: params.image_id });
      guardJob(found?.job, key, workerGuard(c));
      const image = found!.image;
      if (!image) throw new AppError("IMAGE_NOT_FOUND_FOR_JOB");
      const info = image.image_format ? formatInfo(image.image_format as ImageFormat) : undefined;
      const stored =
        image.image_uploaded && info ? await deps.storage.open("jobs", `${params.job_id}/${image.id}.${info.extension}`) : null;
      if (!stored || !info) throw new AppError("IMAGE_GONE");
      return fileResponse(stored, info.contentType, image.name);
    },
  }),
  ...(["alto", "page"] as const).map((kind) =>
    defineRoute({
      method: "GET",
      path: `/v1/jobs/{job_id}/images/{image_id}/files/${kind}`,
      roles: ["worker"],
      params: ImageIdParams,
      doc: {
        tag: "Worker",
        summary: `Download the ${kind.toUpperCase()} XML of an image`,
        responses: {
          ...inputResponses(kind === "alto" ? "ALTO_GONE" : "PAGE_GONE", "application/xml"),
          409: { code: ["JOB_NOT_IN_PROCESSING", kind === "alto" ? "ALTO_NOT_REQUIRED" : "PAGE_NOT_REQUIRED"] },
        },
      },
      handler: async ({ c, key, params }) => {
        const found = await findJobAndImage(deps.sql, params.job_id, { id: params.image_id });
        const job = guardJob(found?.job, key, workerGuard(c));
        if (kind === "alto" ? !job.alto_required : !job.page_required)
          throw new AppError(kind === "alto" ? "ALTO_NOT_REQUIRED" : "PAGE_NOT_REQUIRED");
        const image = found!.image;
        if (!image) throw new AppError("IMAGE_NOT_FOUND_FOR_JOB");
        const uploaded = kind === "alto" ? image.alto_uploaded : image.page_uploaded;
        const stored = uploaded ? await deps.storage.open("jobs", `${params.job_id}/${image.id}.${kind}.xml`) : null;
        if (!stored) throw new AppError(kind === "alto" ? "ALTO_GONE" : "PAGE_GONE");
        return fileResponse(stored, "application/xml", `${stem(image.name)}.xml`);
      },
    }),
  ),
  defineRoute({
    method: "GET",
    path: "/v1/jobs/{job_id}/files/metadata",
    roles: ["worker"],
    params: JobIdParams,
    doc: {
      tag: "Worker",
      summary: "Download the job's metadata JSON",
      responses: {
        ...inputResponses("META_JSON_GONE", "application/json"),
        409: { code: ["JOB_NOT_IN_PROCESSING", "META_JSON_NOT_REQUIRED"] },
      },
    },
    handler: async ({ c, key, params }) => {
      const job = guardJob(await findJob(deps.sql, params.job_id), key, workerGuard(c));
      if (!job.meta_json_required) throw new AppError("META_JSON_NOT_REQUIRED");
      const stored = job.meta_json_uploaded ? await deps.storage.open("jobs", `${job.id}/meta.json`) : null;
      if (!stored) throw new AppError("META_JSON_GONE");
      return fileResponse(stored, "application/json", "meta.json");
    },
  }),
  zipUploadRoute(deps, "result"),
  zipUploadRoute(deps, "artifacts"),
];
