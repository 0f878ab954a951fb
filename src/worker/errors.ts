/**
 * Worker error values. A StepError ends the job in `error` with a message a person can act on
 * (`log_user`) and the technical cause (`log`). A JobLostError means the job is no longer ours
 * (cancelled, reclaimed, lease token stale): the worker stops working on it and reports nothing.
 */
import { ApiError } from "../client/api.ts";

export class StepError extends Error {
  constructor(
    readonly userMessage: string,
    override readonly cause: unknown,
    /** Extra technical text for the job's `log` (e.g. the processor's last stderr lines). */
    readonly technical?: string,
  ) {
    super(`${userMessage}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "StepError";
  }
}

export class JobLostError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "JobLostError";
  }
}

/**
 * True when an API error says the job is not ours any more: 403 (not assigned), 404 (gone),
 * 409 not processing / unfinishable / stale lease token.
 */
export function isJobLost(e: unknown): e is ApiError {
  if (!(e instanceof ApiError)) return false;
  return (
    e.code === "API_KEY_FORBIDDEN_FOR_JOB" ||
    e.code === "JOB_NOT_FOUND" ||
    e.code === "JOB_NOT_IN_PROCESSING" ||
    e.code === "JOB_UNFINISHABLE" ||
    e.code === "JOB_LEASE_TOKEN_STALE"
  );
}

/** One line describing why a job was lost, from the server's answer. */
export function lostReason(e: ApiError): string {
  const state = (e.details as { state?: string } | undefined)?.state;
  if (e.code === "JOB_LEASE_TOKEN_STALE") return "lease token is stale (the job was leased again)";
  if (state === "cancelled") return "job was cancelled";
  if (state) return `job is now ${state}`;
  if (e.code === "API_KEY_FORBIDDEN_FOR_JOB") return "job is no longer assigned to this worker (lease expired or released)";
  return `${e.code}: ${e.detail}`;
}
