/**
 * Job request and response types (docs/protocol.md §3.3–§3.7, §4.4–§4.15, §9.6): the single source of
 * the server's validation, the OpenAPI document and the client's types.
 */
import { z } from "zod";
import { JobStateSchema, Timestamp, Uuid } from "./common.ts";

/** Image names (docs/protocol.md §11.11 fixed): not empty, not `.`/`..`, no `/`, `\`, NUL or control characters, ≤ 300 chars. */
const ImageName = z
  .string()
  .max(300)
  .refine((s) => s.length > 0 && s !== "." && s !== "..", "image name must not be empty, '.' or '..'")
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[/\\\u0000-\u001f\u007f]/.test(s), "image name must not contain '/', '\\' or control characters");

/** Integers stored in PostgreSQL `integer` columns (images.order, jobs.previous_attempts): its 32-bit range. */
const PgInteger = z.int32();

const ImageForJobDefinitionSchema = z.object({ name: ImageName, order: PgInteger }).strict();

/** JSON object with free-form members (engine_settings, metadata objects). */
const JsonObject = z.record(z.string(), z.unknown());

export const JobDefinitionSchema = z
  .object({
    images: z.array(ImageForJobDefinitionSchema),
    meta_json_required: z.boolean().default(false),
    alto_required: z.boolean().default(false),
    page_required: z.boolean().default(false),
    engine_name: z.string().nullable().default(null),
    engine_version: z.string().nullable().default(null),
    /** Extension (docs/protocol.md §9.6): per-job engine settings; returned only in worker/admin views. */
    engine_settings: JsonObject.nullable().optional(),
  })
  .strict();
export type JobDefinition = z.output<typeof JobDefinitionSchema>;

export const JobProgressUpdateSchema = z
  .object({
    state: JobStateSchema.nullable().optional(),
    progress: z.number().nullable().optional(),
    log: z.string().nullable().optional(),
    log_user: z.string().nullable().optional(),
  })
  .strict();

/** PATCH /v1/admin/jobs/{id}: unknown members are ignored (not "forbid"). */
export const JobUpdateSchema = z.object({
  state: JobStateSchema.nullable().optional(),
  progress: z.number().nullable().optional(),
  previous_attempts: PgInteger.nullable().optional(),
  meta_json_uploaded: z.boolean().nullable().optional(),
  meta_json_required: z.boolean().nullable().optional(),
  alto_required: z.boolean().nullable().optional(),
  page_required: z.boolean().nullable().optional(),
  created_date: z.iso.datetime().nullable().optional(),
  started_date: z.iso.datetime().nullable().optional(),
  last_change: z.iso.datetime().nullable().optional(),
  finished_date: z.iso.datetime().nullable().optional(),
  log: z.string().nullable().optional(),
  log_user: z.string().nullable().optional(),
});

/** Any JSON value except null (PUT …/files/metadata). */
export const MetaJsonSchema = z.union([JsonObject, z.array(z.unknown()), z.string(), z.number(), z.boolean()]);

export const JobIdParams = z.object({ job_id: Uuid });
export const ImageNameParams = z.object({ job_id: Uuid, image_name: z.string() });
export const ImageIdParams = z.object({ job_id: Uuid, image_id: Uuid });

export const ListJobsQuery = z.object({
  state: JobStateSchema.optional(),
  engine_name: z.string().optional(),
  engine_version: z.string().optional(),
  from_created_date: z.iso.datetime().optional(),
  from_started_date: z.iso.datetime().optional(),
  from_last_change: z.iso.datetime().optional(),
  from_finished_date: z.iso.datetime().optional(),
  /** Extension (docs/decisions.md §11: the dashboard's paging): at most this many jobs, after skipping `offset`; the answer's `X-Total-Count` header counts them all. */
  limit: z.int().min(1).max(10_000).optional(),
  offset: z.int().min(0).max(2_147_483_647).optional(),
});

/** Extension: long-poll seconds for POST /v1/jobs/lease (0 = answer at once). */
export const LeaseQuery = z.object({ wait: z.number().min(0).max(60).optional() });
export const AdminJobUpdateQuery = z.object({ append_logs: z.boolean().default(true) });

// ---- responses -------------------------------------------------------------------------------

const ImageSchema = z.object({
  id: Uuid.optional().describe("omitted for user/readonly callers"),
  name: z.string(),
  order: z.int(),
  image_uploaded: z.boolean(),
  alto_uploaded: z.boolean(),
  page_uploaded: z.boolean(),
});

const jobCore = {
  id: Uuid,
  state: JobStateSchema,
  progress: z.number(),
  previous_attempts: z.int().nullable().optional(),
  meta_json_uploaded: z.boolean(),
  meta_json_required: z.boolean(),
  alto_required: z.boolean(),
  page_required: z.boolean(),
  created_date: Timestamp,
  started_date: Timestamp.nullable().optional(),
  last_change: Timestamp,
  finished_date: Timestamp.nullable().optional(),
  log_user: z.string().nullable().optional(),
  log: z.string().nullable().optional(),
};

/** Job detail (docs/protocol.md §3.4). User/readonly views strip nulls and hide log, engine internals and image ids. */
export const JobSchema = z.object({
  ...jobCore,
  engine_name: z.string().nullable().optional(),
  engine_version: z.string().nullable().optional(),
  engine_id: Uuid.nullable().optional(),
  engine_files_updated: Timestamp.nullable().optional(),
  engine_definition: JsonObject.nullable().optional(),
  engine_settings: JsonObject.nullable().optional(),
  images: z.array(ImageSchema),
});
export type Job = z.infer<typeof JobSchema>;

/** Items of GET /v1/jobs (docs/protocol.md §3.5). */
export const JobWithEngineSchema = z.object({
  ...jobCore,
  engine_name: z.string().nullable().optional(),
  engine_version: z.string().nullable().optional(),
  /** Extension: the job's number of pages, in a paged list (`limit`/`offset`) and in the dashboard's job events. */
  page_count: z.number().int().optional(),
});
export type JobWithEngine = z.infer<typeof JobWithEngineSchema>;

/** JobLease (docs/protocol.md §3.6) + the fencing token extension (docs/decisions.md §5). */
export const JobLeaseSchema = z.object({
  id: Uuid,
  lease_expire_at: Timestamp,
  server_time: Timestamp,
  lease_token: z.string().optional(),
});
export type JobLease = z.infer<typeof JobLeaseSchema>;
