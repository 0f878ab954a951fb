/**
 * Admin job routes: GET /v1/admin/jobs/{job_id}/artifacts (docs/protocol.md §4.23), PATCH /v1/admin/jobs/{job_id}
 * (§4.24, force update; unknown job → 404 instead of the reference's 500) and the debug start
 * route PUT /debug/jobs/{job_id}/start (§4.25, not in the OpenAPI document).
 */
import { adminUpdateJob, findJob, lockJob, queueIfComplete, transaction, type AdminJobUpdate } from "../../db/jobs.ts";
import { AdminJobUpdateQuery, JobIdParams, JobUpdateSchema } from "../../shared/schemas/jobs.ts";
import { nowIso } from "../jobs/clock.ts";
import type { AppDeps } from "../context.ts";
import { AppError, envelopeOk } from "../errors.ts";
import { fileResponse } from "../http/file-response.ts";
import { defineRoute } from "../route.ts";

export const adminJobRoutes = (deps: AppDeps) => [
  defineRoute({
    method: "GET",
    path: "/v1/admin/jobs/{job_id}/artifacts",
    roles: [],
    params: JobIdParams,
    doc: {
      tag: "Admin",
      summary: "Download a job's artifacts ZIP",
      responses: {
        200: { content: "application/zip", description: "The artifacts archive" },
        404: { code: ["JOB_NOT_FOUND", "JOB_ARTIFACTS_NOT_FOUND"] },
      },
    },
    handler: async ({ params }) => {
      if (!(await findJob(deps.sql, params.job_id))) throw new AppError("JOB_NOT_FOUND");
      const stored = await deps.storage.open("artifacts", `${params.job_id}.zip`);
      if (!stored) throw new AppError("JOB_ARTIFACTS_NOT_FOUND");
      return fileResponse(stored, "application/zip", `${params.job_id}.zip`);
    },
  }),
  defineRoute({
    method: "PATCH",
    path: "/v1/admin/jobs/{job_id}",
    roles: [],
    params: JobIdParams,
    query: AdminJobUpdateQuery,
    body: { json: JobUpdateSchema },
    doc: {
      tag: "Admin",
      summary: "Force-update a job",
      description:
        "Overwrites the given fields without state-machine checks. `append_logs` (default true) appends log texts after a newline.",
      responses: { 200: { code: ["JOB_UPDATED"] }, 404: { code: ["JOB_NOT_FOUND"] } },
    },
    handler: async ({ params, query, body }) => {
      const u = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null && v !== undefined));
      const becameQueued = await transaction(deps.sql, async (tx) => {
        if (!(await lockJob(tx, params.job_id))) throw new AppError("JOB_NOT_FOUND");
        await adminUpdateJob(tx, params.job_id, u as AdminJobUpdate, query.append_logs);
        return u.state === "queued" || u.state === "error";
      });
      if (becameQueued) await deps.queue.jobsQueued();
      return envelopeOk("JOB_UPDATED", null, { detail: "Job was updated successfully." });
    },
  }),
  defineRoute({
    method: "PUT",
    path: "/debug/jobs/{job_id}/start",
    roles: [],
    params: JobIdParams,
    doc: {
      tag: "Admin",
      summary: "Queue a new job now (debug)",
      hidden: true,
      responses: { 200: { code: ["JOB_STARTED"] }, 409: { code: ["JOB_NOT_READY", "JOB_ALREADY_STARTED"] } },
    },
    handler: async ({ params }) => {
      await transaction(deps.sql, async (tx) => {
        const job = await lockJob(tx, params.job_id);
        if (!job) throw new AppError("JOB_NOT_FOUND");
        if (job.state !== "new") throw new AppError("JOB_ALREADY_STARTED");
        if (!(await queueIfComplete(tx, job.id, nowIso()))) throw new AppError("JOB_NOT_READY");
      });
      await deps.queue.jobsQueued();
      return envelopeOk("JOB_STARTED", null);
    },
  }),
];
