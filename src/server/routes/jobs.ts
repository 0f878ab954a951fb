/**
 * User-side job routes: POST /v1/jobs (docs/protocol.md §4.5, + Idempotency-Key and engine_settings extensions),
 * GET /v1/jobs (§4.4), GET /v1/jobs/{job_id} (§4.6), PATCH /v1/jobs/{job_id} (§4.8: cancel,
 * finish, progress — the worker half lives in job-patch.ts).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { DEFAULT_ENGINE, selectEngineForJob } from "../../db/engines.ts";
import { lockIdempotencyKey, rememberIdempotencyKey } from "../../db/idempotency.ts";
import { countJobs, findJobWithImages, insertJobReturningView, listJobs, transaction, type JobFilter, type NewJob } from "../../db/jobs.ts";
import type { KeyRow } from "../../db/keys.ts";
import {
  JobDefinitionSchema,
  JobIdParams,
  JobProgressUpdateSchema,
  JobSchema,
  JobWithEngineSchema,
  ListJobsQuery,
} from "../../shared/schemas/jobs.ts";
import type { JobDefinition } from "../../shared/schemas/jobs.ts";
import { nowIso } from "../jobs/clock.ts";
import type { AppDeps } from "../context.ts";
import { AppError, envelopeOk } from "../errors.ts";
import { LEASE_TOKEN_DOC, guardJob, leaseTokenOf } from "../middleware/guards.ts";
import { defineRoute } from "../route.ts";
import { validationError } from "../http/validation.ts";
import { isUserView, jobListItem, jobView } from "../views/jobs.ts";
import { patchJob } from "./job-patch.ts";
import type { Sql } from "../../db/client.ts";

const IDEMPOTENCY_KEY_RE = /^[\x20-\x7e]{1,255}$/;

function duplicateNames(def: JobDefinition): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const im of def.images) {
    if (seen.has(im.name) && !dups.includes(im.name)) dups.push(im.name);
    seen.add(im.name);
  }
  return dups;
}

async function jobResponse(sql: Sql, jobId: string, key: KeyRow) {
  const { job, images } = (await findJobWithImages(sql, jobId, { withLog: !isUserView(key.role) }))!;
  return jobView(job, images, key.role);
}

export const jobRoutes = (deps: AppDeps) => [
  defineRoute({
    method: "POST",
    path: "/v1/jobs",
    roles: ["user"],
    body: { json: JobDefinitionSchema },
    doc: {
      tag: "User",
      configuredTexts: "jobDefinition",
      summary: "Create a job",
      headers: [
        {
          name: "Idempotency-Key",
          description: "1–255 printable ASCII characters; a retry with the same key and body within 24 hours returns the same job",
        },
      ],
      description:
        "Creates a job in state `new` with its image list. Upload the files next; the job is queued when every " +
        "required file is there. Optional `Idempotency-Key` header (1–255 printable ASCII characters): a retry with " +
        "the same key and body within 24 hours returns the job created the first time.",
      responses: {
        201: { code: ["JOB_CREATED"], data: JobSchema },
        403: { code: ["API_KEY_FORBIDDEN_FOR_ENGINE_VERSION"] },
        404: { code: ["ENGINE_NOT_FOUND"] },
        409: { code: ["ENGINE_INACTIVE"] },
      },
    },
    handler: async ({ c, key, body }) => {
      const dups = duplicateNames(body);
      if (dups.length > 0) {
        throw validationError(
          [{ loc: ["body", "images", "name"], msg: `Duplicate image names found: ${dups.join(", ")}`, type: "value_error.duplicate" }],
          "Validation of the job definition failed. Duplicate image names are not allowed.",
        );
      }
      if (key.role !== "admin" && body.engine_version !== null) throw new AppError("API_KEY_FORBIDDEN_FOR_ENGINE_VERSION");
      const idemKey = c.req.header("idempotency-key");
      if (idemKey !== undefined && !IDEMPOTENCY_KEY_RE.test(idemKey)) {
        throw validationError([
          {
            type: "string_pattern_mismatch",
            loc: ["header", "idempotency-key"],
            msg: "Idempotency-Key must be 1–255 printable ASCII characters",
            input: idemKey,
          },
        ]);
      }
      const definition: Record<string, unknown> = {
        images: body.images.map((i) => ({ name: i.name, order: i.order })),
        meta_json_required: body.meta_json_required,
        alto_required: body.alto_required,
        page_required: body.page_required,
        engine_name: body.engine_name,
        engine_version: body.engine_version,
      };
      if (body.engine_settings !== undefined) definition.engine_settings = body.engine_settings;
      const bodyHash = createHash("sha256").update(JSON.stringify(definition)).digest("hex");
      const newJob = (engineId: NewJob["engineId"]): NewJob => ({
        ownerKeyId: key.id,
        engineId,
        definition,
        altoRequired: body.alto_required,
        pageRequired: body.page_required,
        metaJsonRequired: body.meta_json_required,
        engineSettings: body.engine_settings ?? null,
        images: body.images,
        now: nowIso(),
      });
      const selectEngine = async (sql: Sql) => {
        const sel = await selectEngineForJob(sql, {
          engineName: body.engine_name,
          engineVersion: body.engine_version,
          isAdmin: key.role === "admin",
        });
        if (!sel.ok) throw new AppError(sel.code);
        return sel.engine === DEFAULT_ENGINE ? DEFAULT_ENGINE : (sel.engine?.id ?? null);
      };
      if (idemKey === undefined) {
        // One statement for the default engine (the INSERT chooses it); with an engine name two, no transaction: the
        // engine choice, then job + images inserted together (one statement is atomic). An engine deactivated between
        // the two is as if the job had been created a moment earlier.
        const created = await insertJobReturningView(deps.sql, newJob(await selectEngine(deps.sql)));
        return envelopeOk("JOB_CREATED", jobView(created.job, created.images, key.role));
      }
      const jobId = await transaction(deps.sql, async (tx) => {
        const seen = await lockIdempotencyKey(tx, key.id, idemKey);
        if (seen) {
          if (seen.body_sha256 !== bodyHash) throw new AppError("IDEMPOTENCY_KEY_REUSED");
          return seen.job_id;
        }
        const created = await insertJobReturningView(tx, newJob(await selectEngine(tx)));
        await rememberIdempotencyKey(tx, key.id, idemKey, bodyHash, created.job.id);
        return created.job.id;
      });
      return envelopeOk("JOB_CREATED", await jobResponse(deps.sql, jobId, key));
    },
  }),

  defineRoute({
    method: "GET",
    path: "/v1/jobs",
    roles: ["readonly", "user"],
    query: ListJobsQuery,
    doc: {
      tag: "User",
      summary: "List jobs",
      description:
        "Your jobs (all jobs for admin keys), newest first. `from_*` filters keep jobs with that timestamp at or after the value. " +
        "Extension: `limit` and `offset` page the list; such an answer carries the number of all matching jobs in `X-Total-Count`.",
      responses: { 200: { code: ["JOBS_RETRIEVED"], data: z.array(JobWithEngineSchema) } },
    },
    handler: async ({ key, query }) => {
      const filter: JobFilter = {
        ownerKeyId: key.role === "admin" ? undefined : key.id,
        state: query.state,
        engineName: query.engine_name,
        engineVersion: query.engine_version,
        fromCreatedDate: query.from_created_date,
        fromStartedDate: query.from_started_date,
        fromLastChange: query.from_last_change,
        fromFinishedDate: query.from_finished_date,
      };
      const paged = query.limit !== undefined || query.offset !== undefined;
      const page = paged ? { limit: query.limit ?? 10_000, offset: query.offset ?? 0 } : undefined;
      const rows = await listJobs(deps.sql, filter, { withLog: !isUserView(key.role), page });
      const res = envelopeOk(
        "JOBS_RETRIEVED",
        rows.map((j) => jobListItem(j, key.role)),
      );
      if (paged) res.headers.set("x-total-count", String(await countJobs(deps.sql, filter)));
      return res;
    },
  }),

  defineRoute({
    method: "GET",
    path: "/v1/jobs/{job_id}",
    roles: ["readonly", "user", "worker"],
    params: JobIdParams,
    doc: {
      tag: "User",
      summary: "Get a job",
      description:
        "Users and readonly keys see their own jobs (without technical fields); a worker sees the jobs assigned to it (full view).",
      responses: {
        200: { code: ["JOB_RETRIEVED"], data: JobSchema },
        403: { code: ["API_KEY_FORBIDDEN_FOR_JOB"] },
        404: { code: ["JOB_NOT_FOUND"] },
      },
    },
    handler: async ({ key, params }) => {
      const found = await findJobWithImages(deps.sql, params.job_id, { withLog: !isUserView(key.role) });
      const job = guardJob(found?.job, key, { owner: true, assigned: true });
      return envelopeOk("JOB_RETRIEVED", jobView(job, found!.images, key.role));
    },
  }),

  defineRoute({
    method: "PATCH",
    path: "/v1/jobs/{job_id}",
    roles: ["user", "worker"],
    params: JobIdParams,
    body: { json: JobProgressUpdateSchema },
    doc: {
      tag: "User",
      summary: "Cancel a job (user) or report progress / finish it (worker)",
      headers: [LEASE_TOKEN_DOC],
      description:
        'A user may only send `{"state":"cancelled"}`. The assigned worker sends `progress`, `log`, `log_user` ' +
        "(renews the lease), or `state` `done` (the result ZIP must be uploaded) or `error`. Optional `X-Lease-Token`.",
      responses: {
        200: {
          code: ["JOB_CANCELLED", "JOB_UPDATED", "JOB_COMPLETED", "JOB_ALREADY_COMPLETED", "JOB_MARKED_ERROR", "JOB_ALREADY_MARKED_ERROR"],
        },
        400: { code: ["JOB_UPDATE_NO_FIELDS"] },
        403: { code: ["API_KEY_USER_FORBIDDEN", "API_KEY_WORKER_FORBIDDEN", "API_KEY_FORBIDDEN_FOR_JOB"] },
        404: { code: ["JOB_NOT_FOUND"] },
        409: { code: ["JOB_UNCANCELLABLE", "JOB_UNFINISHABLE", "JOB_RESULT_MISSING", "JOB_NOT_IN_PROCESSING", "JOB_LEASE_TOKEN_STALE"] },
      },
    },
    handler: ({ c, key, params, body }) => patchJob(deps, key, params.job_id, body, leaseTokenOf(c)),
  }),
];
