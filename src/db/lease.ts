/**
 * A worker's lease on a job, as queries on `jobs` (the lease, heartbeat, release and job update endpoints of
 * docs/protocol.md): the lease call (sweep, then claim the oldest queued job, in one statement), the background sweep
 * of stale leases (docs/decisions.md), heartbeat, progress / done / error, and release. Timestamps follow jobs.ts
 * (`nextChange`: a job's timestamps strictly increase); updates of a leased job are compare-and-set on the row version
 * (`atVersion`) or on the lease itself. The claim and the sweep use FOR UPDATE SKIP LOCKED, so concurrent callers
 * never wait on each other and never hand out a job twice.
 */
import { toDbEnum } from "../shared/roles.ts";
import type { Sql } from "./client.ts";
import { atVersion, nextChange } from "./jobs.ts";

export interface SweepConfig {
  timeoutSeconds: number;
  graceSeconds: number;
  maxAttempts: number;
}

/**
 * The background sweep (docs/decisions.md §3): timed-out `processing` jobs — stale leases only — are requeued
 * (attempts left: worker cleared, progress 0) or failed (no attempts left: progress 1, finished now,
 * worker kept). `error` jobs are left to the next lease call (docs/protocol.md §5.1), which sweeps both (sweepAndClaim).
 * Rows locked by someone else are skipped — never waited for.
 */
export async function sweepStaleLeases(sql: Sql, now: string, cfg: SweepConfig): Promise<{ requeued: number; failed: number }> {
  const rows = await sql<
    { state: string }[]
  >`WITH ${sweepRowsCte(sql, now, cfg, false)}, ${sweepUpdateCte(sql, now, false)} SELECT state FROM s`;
  const requeued = rows.filter((r) => r.state === "QUEUED").length;
  return { requeued, failed: rows.length - requeued };
}

/**
 * The sweep's first CTE, `r`: the rows to sweep, locked, skipping locked ones, with `retry` (attempts are left):
 * stale `processing` leases, and with `errors` every `error` job too (the lease call's sweep, docs/protocol.md §4.10 step 1).
 */
function sweepRowsCte(sql: Sql, now: string, cfg: SweepConfig, errors: boolean) {
  const threshold = `${cfg.timeoutSeconds + cfg.graceSeconds} seconds`;
  return sql`
    r AS (
      SELECT id, created_date, coalesce(previous_attempts, -1) < ${cfg.maxAttempts - 1} AS retry FROM jobs
       WHERE ${errors ? sql`state = 'ERROR' OR` : sql``}
             (state = 'PROCESSING' AND last_change < ${now}::timestamptz - ${threshold}::interval)
       FOR UPDATE SKIP LOCKED)`;
}

/**
 * The sweep's second CTE, `s`: requeues the rows of `r` with attempts left (worker cleared, progress 0) and fails the
 * others (progress 1, finished now, worker kept), RETURNING state. With `exceptPick` it leaves out the row of an
 * earlier CTE named `pick`, which the lease call claims itself.
 */
function sweepUpdateCte(sql: Sql, now: string, exceptPick: boolean) {
  return sql`
    s AS (
      UPDATE jobs j SET
        state = CASE WHEN r.retry THEN 'QUEUED' ELSE 'FAILED' END::processingstate,
        worker_key_id = CASE WHEN r.retry THEN NULL ELSE j.worker_key_id END,
        lease_token = CASE WHEN r.retry THEN NULL ELSE j.lease_token END,
        progress = CASE WHEN r.retry THEN 0.0 ELSE 1.0 END,
        finished_date = CASE WHEN r.retry THEN j.finished_date ELSE ${nextChange(sql, now)} END,
        last_change = ${nextChange(sql, now)}
        FROM r WHERE j.id = r.id${exceptPick ? sql` AND r.id NOT IN (SELECT id FROM pick)` : sql``}
      RETURNING j.state)`;
}

/**
 * One lease attempt as ONE statement (docs/protocol.md §4.10: sweep, then claim the oldest queued job), so no explicit transaction
 * (BEGIN/COMMIT round trips) is needed. The data-modifying CTEs all see the statement's starting snapshot, where a job
 * the sweep requeues is still `error` or `processing`; so the claim picks the oldest of the oldest `queued` job (`c`,
 * locked, skipping locked ones) and the jobs this sweep requeues (`r` with attempts left) — the job the sequential
 * sweep-then-claim would get — and the sweep leaves that one to the claim, which applies the sweep's reset (worker,
 * progress 0) together with the lease. A PostgreSQL statement must not update one row twice.
 */
export async function sweepAndClaim(
  sql: Sql,
  workerKeyId: string,
  now: string,
  leaseToken: string,
  cfg: SweepConfig,
): Promise<{ requeued: number; claimed: { id: string; last_change: string } | undefined }> {
  const rows = await sql<{ requeued: number; id: string | null; last_change: string | null }[]>`
    WITH
    c AS (
      SELECT id, created_date FROM jobs WHERE state = 'QUEUED' ORDER BY created_date, id LIMIT 1 FOR UPDATE SKIP LOCKED),
    ${sweepRowsCte(sql, now, cfg, true)},
    pick AS (
      SELECT id FROM (SELECT id, created_date FROM c UNION ALL SELECT id, created_date FROM r WHERE retry) o
       ORDER BY created_date, id LIMIT 1),
    ${sweepUpdateCte(sql, now, true)},
    l AS (
      UPDATE jobs j SET state = 'PROCESSING', started_date = ${nextChange(sql, now)}, last_change = ${nextChange(sql, now)},
             worker_key_id = ${workerKeyId}, previous_attempts = coalesce(j.previous_attempts, -1) + 1,
             lease_token = ${leaseToken}, progress = CASE WHEN j.state = 'QUEUED' THEN j.progress ELSE 0.0 END
        FROM pick WHERE j.id = pick.id
      RETURNING j.id, j.last_change)
    SELECT (SELECT count(*) FROM s WHERE s.state = 'QUEUED')::int AS requeued, l.id, l.last_change
      FROM (SELECT 1) one LEFT JOIN l ON true`;
  const row = rows[0]!;
  return { requeued: row.requeued, claimed: row.id ? { id: row.id, last_change: row.last_change! } : undefined };
}

/** Heartbeat (docs/protocol.md §4.11): last_change = now. Returns the new last_change; undefined when the job is no longer `version`. */
export async function touchJob(sql: Sql, id: string, version: string, now: string): Promise<string | undefined> {
  const rows = await sql<{ last_change: string }[]>`
    UPDATE jobs j SET last_change = ${nextChange(sql, now)} WHERE j.id = ${id} AND ${atVersion(sql, version)} RETURNING j.last_change`;
  return rows[0]?.last_change;
}

/** Release (docs/protocol.md §4.12): back to queued, worker cleared, the released attempt not counted. False when the job is no longer `version`. */
export async function releaseJob(sql: Sql, id: string, version: string, now: string): Promise<boolean> {
  const rows = await sql`
    UPDATE jobs j SET state = 'QUEUED', worker_key_id = NULL, lease_token = NULL, last_change = ${nextChange(sql, now)},
           previous_attempts = CASE WHEN j.previous_attempts IS NULL OR j.previous_attempts <= 0 THEN NULL
                                    ELSE j.previous_attempts - 1 END
     WHERE j.id = ${id} AND ${atVersion(sql, version)} RETURNING j.id`;
  return rows.length === 1;
}

export interface WorkerUpdate {
  state?: "done" | "error";
  progress?: number;
  log?: string;
  logUser?: string;
}

/**
 * Worker progress / done / error (docs/protocol.md §4.8 table). Logs are appended with a single "\n" separator;
 * done forces progress 1.0; error keeps progress. Returns the new last_change; undefined when the job is no
 * longer `version`.
 */
export async function applyWorkerUpdate(sql: Sql, id: string, version: string, u: WorkerUpdate, now: string): Promise<string | undefined> {
  return workerUpdate(sql, id, atVersion(sql, version), u, now);
}

/**
 * The same change without a version read first: applied only while the job is processing for `workerKeyId` (and, when
 * the worker sent its lease token, under that lease), the conditions the worker guards would check. Undefined when the
 * job is anything else; the caller then reads and guards it to give the exact answer.
 */
export async function applyLeasedWorkerUpdate(
  sql: Sql,
  id: string,
  lease: { workerKeyId: string; leaseToken: string | undefined },
  u: WorkerUpdate,
  now: string,
): Promise<string | undefined> {
  const token = lease.leaseToken === undefined ? sql`TRUE` : sql`j.lease_token::text = ${lease.leaseToken}`;
  return workerUpdate(sql, id, sql`j.state = 'PROCESSING' AND j.worker_key_id = ${lease.workerKeyId} AND ${token}`, u, now);
}

async function workerUpdate(
  sql: Sql,
  id: string,
  condition: ReturnType<typeof atVersion>,
  u: WorkerUpdate,
  now: string,
): Promise<string | undefined> {
  const append = (col: "log" | "log_user", v: string | undefined) =>
    v
      ? sql`CASE WHEN j.${sql(col)} IS NULL OR j.${sql(col)} = '' THEN ${v}::varchar
                WHEN right(j.${sql(col)}, 1) = E'\\n' THEN j.${sql(col)} || ${v}::varchar
                ELSE j.${sql(col)} || E'\\n' || ${v}::varchar END`
      : sql`j.${sql(col)}`;
  const progress =
    u.state === "done"
      ? sql`1.0`
      : u.state === undefined && u.progress !== undefined
        ? sql`${Math.min(1, Math.max(0, u.progress))}::float8`
        : sql`j.progress`;
  const state = u.state ? sql`${toDbEnum(u.state)}::processingstate` : sql`j.state`;
  const finished = u.state ? nextChange(sql, now) : sql`j.finished_date`;
  const rows = await sql<{ last_change: string }[]>`
    UPDATE jobs j SET state = ${state}, progress = ${progress}, log = ${append("log", u.log)},
           log_user = ${append("log_user", u.logUser)}, finished_date = ${finished}, last_change = ${nextChange(sql, now)}
     WHERE j.id = ${id} AND ${condition} RETURNING j.last_change`;
  return rows[0]?.last_change;
}
