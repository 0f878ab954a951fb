/**
 * Queries on `jobs` (docs/protocol.md §4, §5). Every timestamp written is the server clock's "now"
 * (src/server/jobs/clock.ts) passed in as a parameter; updates of one job take
 * GREATEST(now, last_change + 1 µs) so a job's timestamps strictly increase even across replicas.
 * State changes that depend on the current state are compare-and-set on the row version: the route
 * reads the job (JobRow.row_version is its `xmin`), runs its guards and decides in TypeScript, then
 * applies the change with one statement that touches the row only while it is still that version
 * (`AND j.xmin = version`); when another request changed the job in between, nothing is touched and
 * the route decides again on the new row (server/jobs/guarded-update.ts). That is what a transaction
 * locking the row gives, in 2 round trips instead of 4 (BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT).
 * Admin force-updates still lock (`lockJob`). What a worker does to a job under its lease (claim, heartbeat, progress,
 * release) and the sweep of stale leases are in lease.ts.
 *
 * Every function takes `Sql`; inside `sql.begin` pass the transaction handle cast to `Sql`.
 */
import type { Sql } from "./client.ts";
import { fromDbEnum, toDbEnum, type JobState } from "../shared/roles.ts";
import type { ImageRow } from "./images.ts";
import { DEFAULT_ENGINE, defaultEngineId } from "./engines.ts";

export interface JobRow {
  id: string;
  owner_key_id: string;
  worker_key_id: string | null;
  engine_id: string | null;
  alto_required: boolean;
  page_required: boolean;
  meta_json_required: boolean;
  meta_json_uploaded: boolean;
  state: JobState;
  progress: number;
  previous_attempts: number | null;
  created_date: string;
  started_date: string | null;
  last_change: string;
  finished_date: string | null;
  /**
   * The technical log: unbounded, appended to by workers, and shown only in worker and admin views, so it is read
   * only where one is built (`withLog`); undefined in every other read. (The job's `definition` is never read back.)
   */
  log?: string | null;
  log_user: string | null;
  engine_settings: Record<string, unknown> | null;
  lease_token: string | null;
  engine_name: string | null;
  engine_version: string | null;
  engine_definition: Record<string, unknown> | null;
  engine_files_updated: string | null;
  /** The job's number of pages (images), read only for the dashboard (a paged list, the change feed). */
  page_count?: number;
  /**
   * The row's version (`xmin` as text): every UPDATE of the row makes a new one. Updates that must not
   * overwrite a change the caller has not seen take it as `version` and touch nothing when it moved on.
   */
  row_version: string;
}

type RawJob = Omit<JobRow, "state"> & { state: string };
const toJob = (r: RawJob): JobRow => ({ ...r, state: fromDbEnum<JobState>(r.state) });

/** `GREATEST(now, j.last_change + 1 µs)`: the next timestamp of one job. */
export const nextChange = (sql: Sql, now: string) => sql`GREATEST(${now}::timestamptz, j.last_change + interval '1 microsecond')`;

/** The engine columns of JobRow, from `engines e` joined to `jobs j`. */
const ENGINE_COLUMNS = (sql: Sql) => sql`
  e.name AS engine_name, e.version AS engine_version, e.definition AS engine_definition, e.files_updated AS engine_files_updated`;

/**
 * The jobs columns of JobRow, from `jobs j`: not `definition` (nothing reads it back), and `log` only `withLog`. A
 * client polling its job every 100 ms would otherwise fetch both from TOAST on every poll, however long they grew.
 */
const JOB_COLUMNS = (sql: Sql, withLog = false) => sql`
  j.id, j.owner_key_id, j.worker_key_id, j.engine_id, j.alto_required, j.page_required, j.meta_json_required,
  j.meta_json_uploaded, j.state, j.progress, j.previous_attempts, j.created_date, j.started_date, j.last_change,
  j.finished_date, j.log_user, j.engine_settings, j.lease_token, ${withLog ? sql`j.log,` : sql``} j.xmin::text AS row_version`;

const SELECT_JOB = (sql: Sql, withLog = false, withPageCount = false) => sql`
  SELECT ${JOB_COLUMNS(sql, withLog)}, ${ENGINE_COLUMNS(sql)}
         ${withPageCount ? sql`, (SELECT count(*)::int FROM images i WHERE i.job_id = j.id) AS page_count` : sql``}
    FROM jobs j LEFT JOIN engines e ON e.id = j.engine_id`;

/** The images of a job view as one JSON array (by `order`, ties by name), from the rows `i` of `source`. */
const IMAGES_JSON = (sql: Sql, source: ReturnType<Sql>) => sql`
  COALESCE((SELECT json_agg(json_build_object('id', i.id, 'name', i.name, 'order', i."order",
                                              'image_uploaded', i.image_uploaded, 'alto_uploaded', i.alto_uploaded,
                                              'page_uploaded', i.page_uploaded) ORDER BY i."order", i.name)
              FROM ${source}), '[]'::json)`;

export async function findJob(sql: Sql, id: string): Promise<JobRow | undefined> {
  const rows = await sql<RawJob[]>`${SELECT_JOB(sql)} WHERE j.id = ${id}`;
  return rows[0] ? toJob(rows[0]) : undefined;
}

/** The image fields of the job views (GET /v1/jobs/{id}, POST /v1/jobs). */
export interface JobViewImage {
  id: string;
  name: string;
  order: number;
  image_uploaded: boolean;
  alto_uploaded: boolean;
  page_uploaded: boolean;
}

/**
 * The job and its images (by `order`, ties by name, as listImages) in one round trip: the images come as a JSON
 * array built by PostgreSQL. Undefined when there is no such job.
 */
/** The job and its images for a job view; `withLog` for the views that show the technical log (worker, admin). */
export async function findJobWithImages(
  sql: Sql,
  id: string,
  opts: { withLog: boolean },
): Promise<{ job: JobRow; images: JobViewImage[] } | undefined> {
  const rows = await sql<(RawJob & { images_json: JobViewImage[] })[]>`
    SELECT ${JOB_COLUMNS(sql, opts.withLog)}, ${ENGINE_COLUMNS(sql)}, ${IMAGES_JSON(sql, sql`images i WHERE i.job_id = j.id`)} AS images_json
      FROM jobs j LEFT JOIN engines e ON e.id = j.engine_id
     WHERE j.id = ${id}`;
  const row = rows[0];
  if (!row) return undefined;
  const { images_json, ...job } = row;
  return { job: toJob(job), images: images_json };
}

/**
 * The job and one of its images (by id or by name) in one round trip; `image` is undefined when the job has no such
 * image, the whole result undefined when there is no such job.
 */
export async function findJobAndImage(
  sql: Sql,
  jobId: string,
  image: { id: string } | { name: string },
): Promise<{ job: JobRow; image: ImageRow | undefined } | undefined> {
  const match = "id" in image ? sql`i.id = ${image.id}` : sql`i.name = ${image.name}`;
  const rows = await sql<(RawJob & { image_json: ImageRow | null })[]>`
    SELECT ${JOB_COLUMNS(sql)}, ${ENGINE_COLUMNS(sql)},
           (SELECT row_to_json(i) FROM images i WHERE i.job_id = j.id AND ${match} LIMIT 1) AS image_json
      FROM jobs j LEFT JOIN engines e ON e.id = j.engine_id
     WHERE j.id = ${jobId}`;
  const row = rows[0];
  if (!row) return undefined;
  const { image_json, ...job } = row;
  return { job: toJob(job), image: image_json ?? undefined };
}

/** Locks the job row for the rest of the transaction and returns it (call inside sql.begin). */
export async function lockJob(tx: Sql, id: string): Promise<JobRow | undefined> {
  const rows = await tx<RawJob[]>`${SELECT_JOB(tx)} WHERE j.id = ${id} FOR UPDATE OF j`;
  return rows[0] ? toJob(rows[0]) : undefined;
}

export interface NewJob {
  ownerKeyId: string;
  /** An engine id, none, or DEFAULT_ENGINE (the default engine when the row is inserted). */
  engineId: string | null | typeof DEFAULT_ENGINE;
  definition: Record<string, unknown>;
  altoRequired: boolean;
  pageRequired: boolean;
  metaJsonRequired: boolean;
  engineSettings: Record<string, unknown> | null;
  images: { name: string; order: number }[];
  now: string;
}

/**
 * Inserts the job and its images in ONE statement and returns what the job views need (as
 * findJobWithImages), so POST /v1/jobs needs neither a transaction of its own nor a second read.
 * The images travel as one JSON parameter, so any number of them fits.
 */
export async function insertJobReturningView(sql: Sql, j: NewJob): Promise<{ job: JobRow; images: JobViewImage[] }> {
  const id = crypto.randomUUID();
  const images = j.images.map((im) => ({ id: crypto.randomUUID(), name: im.name, order: im.order }));
  const rows = await sql<(RawJob & { images_json: JobViewImage[] })[]>`
    WITH j AS (
      INSERT INTO jobs AS j (id, owner_key_id, engine_id, definition, alto_required, page_required, meta_json_required,
                        meta_json_uploaded, state, progress, previous_attempts, created_date, last_change, engine_settings)
      VALUES (${id}, ${j.ownerKeyId}, ${j.engineId === DEFAULT_ENGINE ? defaultEngineId(sql) : j.engineId}, ${sql.json(j.definition as never)}, ${j.altoRequired}, ${j.pageRequired},
              ${j.metaJsonRequired}, false, 'NEW', 0.0, NULL, ${j.now}::timestamptz, ${j.now}::timestamptz,
              ${j.engineSettings === null ? null : sql.json(j.engineSettings as never)})
      RETURNING ${JOB_COLUMNS(sql, true)}),
    i AS (
      INSERT INTO images (id, name, "order", image_uploaded, alto_uploaded, page_uploaded, job_id)
      SELECT x.id, x.name, x."order", false, false, false, (SELECT id FROM j)
        FROM json_to_recordset(${sql.json(images as never)}::json) AS x(id uuid, name text, "order" integer)
      RETURNING id, name, "order", image_uploaded, alto_uploaded, page_uploaded)
    SELECT j.*, ${ENGINE_COLUMNS(sql)}, ${IMAGES_JSON(sql, sql`i`)} AS images_json
      FROM j LEFT JOIN engines e ON e.id = j.engine_id`;
  const { images_json, ...job } = rows[0]!;
  return { job: toJob(job), images: images_json };
}

export interface JobFilter {
  ownerKeyId?: string;
  state?: JobState;
  engineName?: string;
  engineVersion?: string;
  fromCreatedDate?: string;
  fromStartedDate?: string;
  fromLastChange?: string;
  fromFinishedDate?: string;
}

function jobConditions(sql: Sql, f: JobFilter) {
  const conds = [sql`TRUE`];
  if (f.ownerKeyId) conds.push(sql`j.owner_key_id = ${f.ownerKeyId}`);
  if (f.state) conds.push(sql`j.state = ${toDbEnum(f.state)}::processingstate`);
  if (f.engineName !== undefined) conds.push(sql`e.name = ${f.engineName}`);
  if (f.engineVersion !== undefined) conds.push(sql`e.version = ${f.engineVersion}`);
  if (f.fromCreatedDate) conds.push(sql`j.created_date >= ${f.fromCreatedDate}::timestamptz`);
  if (f.fromStartedDate) conds.push(sql`j.started_date >= ${f.fromStartedDate}::timestamptz`);
  if (f.fromLastChange) conds.push(sql`j.last_change >= ${f.fromLastChange}::timestamptz`);
  if (f.fromFinishedDate) conds.push(sql`j.finished_date >= ${f.fromFinishedDate}::timestamptz`);
  return conds.reduce((a, b) => sql`${a} AND ${b}`);
}

/**
 * GET /v1/jobs: newest first; LEFT JOIN so jobs without an engine are listed too (docs/protocol.md §11.5 fixed). `withLog` as
 * findJobWithImages. `page` (the dashboard's paging): at most `limit` jobs after `offset`.
 */
export async function listJobs(
  sql: Sql,
  f: JobFilter,
  opts: { withLog: boolean; page?: { limit: number; offset: number } },
): Promise<JobRow[]> {
  const order = sql`ORDER BY j.created_date DESC, j.id`;
  if (!opts.page) {
    const rows = await sql<RawJob[]>`${SELECT_JOB(sql, opts.withLog)} WHERE ${jobConditions(sql, f)} ${order}`;
    return rows.map(toJob);
  }
  // a page (the dashboard's) also counts each job's pages — only for the jobs of the page, after LIMIT/OFFSET; the
  // whole list (the reference's answer) stays as it was
  const rows = await sql<RawJob[]>`
    SELECT p.*, (SELECT count(*)::int FROM images i WHERE i.job_id = p.id) AS page_count
      FROM (${SELECT_JOB(sql, opts.withLog)} WHERE ${jobConditions(sql, f)} ${order} LIMIT ${opts.page.limit} OFFSET ${opts.page.offset}) p
     ORDER BY p.created_date DESC, p.id`;
  return rows.map(toJob);
}

/** How many jobs `listJobs` lists without a page. */
export async function countJobs(sql: Sql, f: JobFilter): Promise<number> {
  const needsEngine = f.engineName !== undefined || f.engineVersion !== undefined;
  const rows = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM jobs j ${needsEngine ? sql`LEFT JOIN engines e ON e.id = j.engine_id` : sql``} WHERE ${jobConditions(sql, f)}`;
  return rows[0]!.n;
}

/**
 * Jobs of every owner changed at or after `since` (last_change, or finished_date: a cancel sets only that), for the
 * dashboard's change feed (server/jobs/job-changes.ts): one statement per poll of the whole process, however many watch.
 */
export async function listJobsChangedSince(sql: Sql, since: string): Promise<JobRow[]> {
  const rows = await sql<RawJob[]>`${SELECT_JOB(sql, false, true)}
     WHERE j.last_change >= ${since}::timestamptz OR j.finished_date >= ${since}::timestamptz
     ORDER BY j.last_change, j.id`;
  return rows.map(toJob);
}

/** NOTIFY channel on which long-polling lease calls of other replicas are woken; the payload is a job count. */
export const JOB_QUEUED_CHANNEL = "annopage_job_queued"; // also named in sql/006_record_upload.sql

/** Tells the other replicas' waiting workers that `n` jobs were queued (delivered at commit when inside a transaction). */
export async function notifyJobsQueued(sql: Sql, n: number): Promise<void> {
  await sql`SELECT pg_notify(${JOB_QUEUED_CHANNEL}, ${String(n)})`;
}

/**
 * The queueing check of docs/protocol.md §5.2 (sql/006_record_upload.sql annopage_queue_if_complete): NEW → QUEUED when every required file is
 * there, the engine's last_used set, and the NOTIFY for other replicas' waiting workers (delivered at commit).
 * Returns whether the job was queued.
 */
export async function queueIfComplete(tx: Sql, jobId: string, now: string): Promise<boolean> {
  const rows = await tx<{ queued: boolean }[]>`SELECT annopage_queue_if_complete(${jobId}, ${now}::timestamptz) AS queued`;
  return rows[0]!.queued;
}

/** Which uploaded file is recorded: an image's image (with what the decoder found), ALTO or PAGE, or the job's metadata. */
export type UploadedFile =
  | { kind: "image"; imageId: string; md5: string; format: string; width: number; height: number }
  | { kind: "alto" | "page"; imageId: string }
  | { kind: "metadata" };

/**
 * Records an upload in one call (sql/006_record_upload.sql annopage_record_upload): when the job is still the version the caller
 * guarded, marks the file uploaded and, on a first-time upload, runs the queueing check, all under the job's row
 * lock. `changed` means the job moved on since it was read: nothing was recorded, guard again.
 */
export async function recordUpload(
  sql: Sql,
  jobId: string,
  version: string,
  file: UploadedFile,
  now: string,
): Promise<{ changed: boolean; first: boolean; queued: boolean }> {
  const image = file.kind === "image" ? file : { md5: null, format: null, width: null, height: null };
  const rows = await sql<{ changed: boolean; first: boolean; queued: boolean }[]>`
    SELECT * FROM annopage_record_upload(${jobId}, ${version}::xid, ${file.kind}, ${"imageId" in file ? file.imageId : null},
                                         ${image.md5}, ${image.format}, ${image.width}, ${image.height}, ${now}::timestamptz)`;
  return rows[0]!;
}

/** The row `j` is still the given version (JobRow.row_version). */
export const atVersion = (sql: Sql, version: string) => sql`j.xmin = ${version}::xid`;

/** Cancel (docs/protocol.md §4.8 user): state and finished_date only; last_change, worker and logs untouched. False when the job is no longer `version`. */
export async function cancelJob(sql: Sql, id: string, version: string, now: string): Promise<boolean> {
  const rows = await sql`
    UPDATE jobs j SET state = 'CANCELLED', finished_date = ${nextChange(sql, now)} WHERE j.id = ${id} AND ${atVersion(sql, version)} RETURNING j.id`;
  return rows.length === 1;
}

/** Columns an admin may overwrite with PATCH /v1/admin/jobs/{id} (docs/protocol.md §4.24). */
export interface AdminJobUpdate {
  state?: JobState;
  progress?: number;
  previous_attempts?: number;
  meta_json_uploaded?: boolean;
  meta_json_required?: boolean;
  alto_required?: boolean;
  page_required?: boolean;
  created_date?: string;
  started_date?: string;
  last_change?: string;
  finished_date?: string;
  log?: string;
  log_user?: string;
}

export async function adminUpdateJob(tx: Sql, id: string, u: AdminJobUpdate, appendLogs: boolean): Promise<void> {
  const sets = [];
  for (const col of [
    "progress",
    "previous_attempts",
    "meta_json_uploaded",
    "meta_json_required",
    "alto_required",
    "page_required",
  ] as const) {
    if (u[col] !== undefined) sets.push(tx`${tx(col)} = ${u[col]!}`);
  }
  for (const col of ["created_date", "started_date", "last_change", "finished_date"] as const) {
    if (u[col] !== undefined) sets.push(tx`${tx(col)} = ${u[col]!}::timestamptz`);
  }
  if (u.state !== undefined) {
    sets.push(tx`state = ${toDbEnum(u.state)}::processingstate`);
    // Leaving processing through an admin edit invalidates the lease token; a new lease makes a new one.
    if (u.state !== "processing") sets.push(tx`lease_token = NULL`);
  }
  for (const col of ["log", "log_user"] as const) {
    const v = u[col];
    if (v === undefined) continue;
    sets.push(
      appendLogs
        ? tx`${tx(col)} = CASE WHEN ${tx(col)} IS NULL THEN ${v}::varchar ELSE ${tx(col)} || E'\\n' || ${v}::varchar END`
        : tx`${tx(col)} = ${v}`,
    );
  }
  if (sets.length === 0) return;
  const assignments = sets.reduce((a, b) => tx`${a}, ${b}`);
  await tx`UPDATE jobs SET ${assignments} WHERE id = ${id}`;
}

/** Runs `fn` in a transaction. Keep it short: never wait on anything but the database inside. */
export async function transaction<T>(sql: Sql, fn: (tx: Sql) => Promise<T>): Promise<T> {
  return (await sql.begin((tx) => fn(tx as unknown as Sql))) as T;
}
