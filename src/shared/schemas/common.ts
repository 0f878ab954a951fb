/**
 * Shared zod building blocks of the wire protocol (docs/protocol.md §2, §3.1): timestamps, UUIDs, roles, states,
 * the response envelope, and the Key object. Request/response types of the whole API derive from
 * these schemas; the OpenAPI document is generated from them.
 */
import { z } from "zod";
import { APP_CODES, type AppCode } from "../codes.ts";
import { JOB_STATES, ROLES } from "../roles.ts";

export const Uuid = z.guid().describe("UUID, lowercase hyphenated");
/** Wire timestamp: UTC ISO 8601 with six fractional digits and `Z` (docs/protocol.md §2.7). */
export const Timestamp = z.string().describe("UTC timestamp, e.g. 2026-11-28T15:35:38.060400Z");
export const RoleSchema = z.enum(ROLES);
export const JobStateSchema = z.enum(JOB_STATES);
export const AppCodeSchema = z.enum(Object.keys(APP_CODES) as [AppCode, ...AppCode[]]);

export const KeySchema = z.object({
  id: Uuid,
  label: z.string(),
  role: RoleSchema,
  active: z.boolean(),
  created_date: Timestamp,
  last_used: Timestamp.nullable(),
});
export type Key = z.infer<typeof KeySchema>;

/** Success envelope (docs/protocol.md §2.1) around `data`. */
export const okEnvelope = <D extends z.ZodType>(data: D) => z.object({ status: z.int(), code: AppCodeSchema, detail: z.string(), data });

/** Error envelope (docs/protocol.md §2.1); `details` only when there is something to report. */
export const ErrorEnvelope = z.object({
  status: z.int(),
  code: AppCodeSchema,
  detail: z.string(),
  details: z.unknown().optional(),
});

/** One pydantic-style validation error (docs/protocol.md §2.4). */
export const ValidationIssueSchema = z.object({
  type: z.string(),
  loc: z.array(z.union([z.string(), z.int()])),
  msg: z.string(),
  input: z.unknown(),
  ctx: z.record(z.string(), z.unknown()).optional(),
});
