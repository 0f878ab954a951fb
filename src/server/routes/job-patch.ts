/**
 * PATCH /v1/jobs/{job_id} (docs/protocol.md §4.8). Users cancel; the assigned worker reports progress/logs (renews
 * the lease) or finishes the job (`done` needs the result ZIP) or marks it `error`. Admin keys act
 * as a user for `{"state":"cancelled"}` and as a worker (without the assignment requirement)
 * otherwise (§11.7 fixed). Wrong-terminal-state finishes answer 409 JOB_UNFINISHABLE (§11.2) and
 * progress on a non-processing job 409 JOB_NOT_IN_PROCESSING (§11.3). The assigned worker's ordinary
 * report is one conditional UPDATE whose conditions are the guards'; every other case reads the job and
 * runs the guards and checks on the row version the change is applied to (server/jobs/guarded-update.ts). Either way a
 * concurrent cancel or sweep cannot be overwritten.
 */
import type { z } from "zod";
import { cancelJob, findJob } from "../../db/jobs.ts";
import { applyLeasedWorkerUpdate, applyWorkerUpdate } from "../../db/lease.ts";
import type { KeyRow } from "../../db/keys.ts";
import type { JobProgressUpdateSchema } from "../../shared/schemas/jobs.ts";
import { addSeconds } from "../../shared/timestamps.ts";
import { nowIso } from "../jobs/clock.ts";
import type { AppDeps } from "../context.ts";
import { AppError, envelopeOk } from "../errors.ts";
import { JOB_CHANGED, untilApplied } from "../jobs/guarded-update.ts";
import { guardJob } from "../middleware/guards.ts";

type Body = z.output<typeof JobProgressUpdateSchema>;

export function leaseData(deps: AppDeps, id: string, serverTime: string, leaseToken?: string) {
  const data: Record<string, string> = {
    id,
    lease_expire_at: addSeconds(serverTime, deps.config.jobTimeoutSeconds),
    server_time: serverTime,
  };
  if (leaseToken) data.lease_token = leaseToken;
  return data;
}

export async function patchJob(deps: AppDeps, key: KeyRow, jobId: string, body: Body, leaseToken: string | undefined): Promise<Response> {
  // The guards run once, on the row the change is applied to (no read before the guarded one).
  const guard = { owner: true, assigned: true, leaseToken };
  const asUser = key.role === "user" || (key.role === "admin" && body.state === "cancelled");

  if (asUser) {
    await untilApplied(async () => {
      const job = guardJob(await findJob(deps.sql, jobId), key, guard);
      if (body.state !== "cancelled") throw new AppError("API_KEY_USER_FORBIDDEN");
      if (job.state === "cancelled" || job.state === "done" || job.state === "failed") {
        throw new AppError("JOB_UNCANCELLABLE", { details: { state: job.state } });
      }
      return (await cancelJob(deps.sql, jobId, job.row_version, nowIso())) || JOB_CHANGED;
    });
    return envelopeOk("JOB_CANCELLED", null);
  }

  const state = body.state ?? undefined;
  const resultExists = state === "done" ? await deps.storage.exists("results", `${jobId}.zip`) : false;
  const noFields = state === undefined && body.progress == null && body.log == null && body.log_user == null;
  const update = { progress: body.progress ?? undefined, log: body.log ?? undefined, logUser: body.log_user ?? undefined };

  // The common case in one statement: the assigned worker (under its lease, when it sent the token) reports on its
  // processing job, exactly what the guarded path below would accept and apply. Anything else, a job that moved on
  // included, takes that path, which reads the job and gives the exact answer.
  if (key.role === "worker" && !noFields && (state === undefined || state === "error" || (state === "done" && resultExists))) {
    const lastChange = await applyLeasedWorkerUpdate(
      deps.sql,
      jobId,
      { workerKeyId: key.id, leaseToken },
      state ? { ...update, state } : update,
      nowIso(),
    );
    if (lastChange !== undefined) {
      if (state === undefined) return envelopeOk("JOB_UPDATED", leaseData(deps, jobId, lastChange));
      if (state === "done") return envelopeOk("JOB_COMPLETED", null);
      await deps.queue.jobsQueued(); // as below: the error job is retried by the next lease call
      return envelopeOk("JOB_MARKED_ERROR", null);
    }
  }

  const outcome = await untilApplied(async () => {
    const job = guardJob(await findJob(deps.sql, jobId), key, guard);
    if (state !== undefined && state !== "done" && state !== "error") throw new AppError("API_KEY_WORKER_FORBIDDEN");
    const unfinishable = () => new AppError("JOB_UNFINISHABLE", { details: { state: job.state } });
    if (state !== undefined && !["processing", "done", "error"].includes(job.state)) throw unfinishable();
    // Reference bug docs/protocol.md §11.16, fixed (docs/decisions.md §2): a repeated `done` on a done job is JOB_ALREADY_COMPLETED even when its
    // result zip has since been deleted; the reference checked the zip first and answered 409 JOB_RESULT_MISSING.
    if (state === "done" && job.state === "done") return { code: "JOB_ALREADY_COMPLETED" as const, data: null };
    if (state === "done" && !resultExists) throw new AppError("JOB_RESULT_MISSING");
    if (noFields) throw new AppError("JOB_UPDATE_NO_FIELDS");
    const now = nowIso();
    const apply = (u: typeof update & { state?: "done" | "error" }) => applyWorkerUpdate(deps.sql, jobId, job.row_version, u, now);
    if (state === undefined) {
      if (job.state !== "processing") throw new AppError("JOB_NOT_IN_PROCESSING", { details: { state: job.state } });
      const lastChange = await apply(update);
      return lastChange === undefined ? JOB_CHANGED : { code: "JOB_UPDATED" as const, data: leaseData(deps, jobId, lastChange) };
    }
    if (state === "done") {
      if (job.state !== "processing") throw unfinishable();
      return (await apply({ ...update, state: "done" })) === undefined ? JOB_CHANGED : { code: "JOB_COMPLETED" as const, data: null };
    }
    if (job.state === "error") return { code: "JOB_ALREADY_MARKED_ERROR" as const, data: null };
    if (job.state !== "processing") throw unfinishable();
    return (await apply({ ...update, state: "error" })) === undefined ? JOB_CHANGED : { code: "JOB_MARKED_ERROR" as const, data: null };
  });
  // An error job is retried by the next lease call: wake long-polling workers so they sweep it.
  if (outcome.code === "JOB_MARKED_ERROR") await deps.queue.jobsQueued();
  return envelopeOk(outcome.code, outcome.data);
}
