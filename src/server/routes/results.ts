/** GET /v1/jobs/{job_id}/result (docs/protocol.md §4.9): the result ZIP of a done job. */
import { findJob, type JobRow } from "../../db/jobs.ts";
import type { KeyRow } from "../../db/keys.ts";
import type { StoredFile } from "../../storage/storage.ts";
import { JobIdParams } from "../../shared/schemas/jobs.ts";
import type { AppDeps } from "../context.ts";
import { AppError } from "../errors.ts";
import { fileResponse } from "../http/file-response.ts";
import { guardJob } from "../middleware/guards.ts";
import { defineRoute } from "../route.ts";

/** The caller's done job and its stored result ZIP; the answers of docs/protocol.md §4.9 for a job without one. */
export async function doneJobResult(deps: AppDeps, key: KeyRow, jobId: string): Promise<{ job: JobRow; stored: StoredFile }> {
  const job = guardJob(await findJob(deps.sql, jobId), key, { owner: true });
  if (job.state === "cancelled") throw new AppError("JOB_CANCELLED", { status: 409, detail: "Job cancelled and result is not available." });
  if (job.state === "failed") throw new AppError("JOB_FAILED");
  if (job.state !== "done") throw new AppError("JOB_RESULT_NOT_READY", { details: { state: job.state } });
  const stored = await deps.storage.open("results", `${job.id}.zip`);
  if (!stored) throw new AppError("JOB_RESULT_GONE");
  return { job, stored };
}

export const resultRoutes = (deps: AppDeps) => [
  defineRoute({
    method: "GET",
    path: "/v1/jobs/{job_id}/result",
    roles: ["readonly", "user"],
    params: JobIdParams,
    doc: {
      tag: "User",
      configuredTexts: "result",
      summary: "Download the result ZIP",
      responses: {
        200: { content: "application/zip", description: "The result archive" },
        403: { code: ["API_KEY_FORBIDDEN_FOR_JOB"] },
        404: { code: ["JOB_NOT_FOUND"] },
        409: { code: ["JOB_CANCELLED", "JOB_FAILED"] },
        410: { code: ["JOB_RESULT_GONE"] },
        425: { code: ["JOB_RESULT_NOT_READY"] },
      },
    },
    handler: async ({ key, params }) => {
      const { job, stored } = await doneJobResult(deps, key, params.job_id);
      return fileResponse(stored, "application/zip", `${job.id}.zip`);
    },
  }),
];
