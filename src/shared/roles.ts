/** Key roles and job states: lower-case on the wire, upper-case enum labels in the database (docs/protocol.md §10). */
export const ROLES = ["readonly", "user", "worker", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const JOB_STATES = ["new", "queued", "processing", "error", "done", "cancelled", "failed"] as const;
export type JobState = (typeof JOB_STATES)[number];
/** The states a job never leaves. */
export const TERMINAL_STATES = ["done", "failed", "cancelled"] as const;

export const toDbEnum = (v: string): string => v.toUpperCase();
export const fromDbEnum = <T extends string>(v: string): T => v.toLowerCase() as T;
