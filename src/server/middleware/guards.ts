/**
 * Per-job guards (docs/protocol.md §1.8), in order: the job exists (404) → ownership for user/readonly
 * keys, assignment for worker keys (403) → the lease token, when the caller sent X-Lease-Token
 * (409 JOB_LEASE_TOKEN_STALE, docs/decisions.md §5) → the state guard (409 JOB_NOT_IN_NEW /
 * JOB_NOT_IN_PROCESSING with details.state). Admin keys skip ownership, assignment and state.
 * Readonly keys are restricted to their own jobs too (§11.4 fixed).
 */
import type { Context } from "hono";
import type { JobRow } from "../../db/jobs.ts";
import type { KeyRow } from "../../db/keys.ts";
import { AppError } from "../errors.ts";

export interface JobGuard {
  /** user/readonly must own the job. */
  owner?: boolean;
  /** worker must be the job's assigned worker. */
  assigned?: boolean;
  /** Required state for non-admin callers. */
  state?: "new" | "processing";
  /** The X-Lease-Token header value, if any (worker write routes). */
  leaseToken?: string;
}

const LEASE_TOKEN_HEADER = "x-lease-token";

/** OpenAPI description of the X-Lease-Token header (docs/decisions.md §5). */
export const LEASE_TOKEN_DOC = {
  name: "X-Lease-Token",
  description: "The lease_token of the worker's lease; a stale token is refused with 409 JOB_LEASE_TOKEN_STALE",
};

export function leaseTokenOf(c: Context): string | undefined {
  const v = c.req.header(LEASE_TOKEN_HEADER);
  return v === undefined || v === "" ? undefined : v;
}

export function guardJob(job: JobRow | undefined, key: KeyRow, g: JobGuard): JobRow {
  if (!job) throw new AppError("JOB_NOT_FOUND");
  const admin = key.role === "admin";
  if (!admin) {
    if (g.owner && (key.role === "user" || key.role === "readonly") && job.owner_key_id !== key.id) {
      throw new AppError("API_KEY_FORBIDDEN_FOR_JOB");
    }
    if (g.assigned && key.role === "worker" && job.worker_key_id !== key.id) throw new AppError("API_KEY_FORBIDDEN_FOR_JOB");
  }
  if (g.leaseToken !== undefined && g.leaseToken !== job.lease_token) throw new AppError("JOB_LEASE_TOKEN_STALE");
  if (!admin) requireState(job, g.state);
  return job;
}

export function requireState(job: JobRow, state: "new" | "processing" | undefined): void {
  if (state === "new" && job.state !== "new") throw new AppError("JOB_NOT_IN_NEW", { details: { state: job.state } });
  if (state === "processing" && job.state !== "processing") {
    throw new AppError("JOB_NOT_IN_PROCESSING", { details: { state: job.state } });
  }
}
