/**
 * Response objects of docs/protocol.md §3, built from database rows, with the per-role rules of §2.2:
 * user/readonly views strip every null (recursively) and hide the technical log, image ids,
 * engine internals and engine_settings; worker/admin views keep explicit nulls.
 */
import type { JobRow, JobViewImage } from "../../db/jobs.ts";
import type { KeyRow } from "../../db/keys.ts";
import type { Role } from "../../shared/roles.ts";
import type { Key } from "../../shared/schemas/common.ts";
import type { Job, JobWithEngine } from "../../shared/schemas/jobs.ts";

export function keyView(k: KeyRow) {
  return { id: k.id, label: k.label, role: k.role, active: k.active, created_date: k.created_date, last_used: k.last_used } satisfies Key;
}

/** Removes every member whose value is null, recursively (objects inside lists included). */
function stripNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map(stripNulls) as T;
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x);
    return out as T;
  }
  return v;
}

export const isUserView = (role: Role) => role === "user" || role === "readonly";

/** The job's technical log for a worker/admin view; a read made without it (see JobRow.log) is a programming error. */
function technicalLog(j: JobRow): string | null {
  if (j.log === undefined) throw new Error("job view built from a read without the technical log");
  return j.log;
}

function jobCore(j: JobRow, role: Role) {
  return {
    id: j.id,
    state: j.state,
    progress: j.progress,
    previous_attempts: j.previous_attempts,
    meta_json_uploaded: j.meta_json_uploaded,
    meta_json_required: j.meta_json_required,
    alto_required: j.alto_required,
    page_required: j.page_required,
    created_date: j.created_date,
    started_date: j.started_date,
    last_change: j.last_change,
    finished_date: j.finished_date,
    log_user: j.log_user,
    log: isUserView(role) ? null : technicalLog(j),
  };
}

/** Job detail (docs/protocol.md §3.4): routes 5 and 7. */
export function jobView(j: JobRow, images: readonly JobViewImage[], role: Role) {
  const imgs = images.map((i) => ({
    id: i.id,
    name: i.name,
    order: i.order,
    image_uploaded: i.image_uploaded,
    alto_uploaded: i.alto_uploaded,
    page_uploaded: i.page_uploaded,
  }));
  if (isUserView(role)) {
    const { log: _log, ...core } = jobCore(j, role);
    return stripNulls({
      ...core,
      engine_name: j.engine_name,
      engine_version: j.engine_version,
      images: imgs.map(({ id: _id, ...rest }) => rest),
    } satisfies Job);
  }
  return {
    ...jobCore(j, role),
    engine_name: j.engine_name,
    engine_version: j.engine_version,
    engine_id: j.engine_id,
    engine_files_updated: j.engine_files_updated,
    engine_definition: j.engine_definition,
    engine_settings: j.engine_settings,
    images: imgs,
  } satisfies Job;
}

/** Items of GET /v1/jobs (docs/protocol.md §3.5); `log` hidden from user/readonly (§11.5 fixed). */
export function jobListItem(j: JobRow, role: Role) {
  const item = {
    ...jobCore(j, role),
    engine_name: j.engine_name,
    engine_version: j.engine_version,
    ...(j.page_count === undefined ? {} : { page_count: j.page_count }),
  } satisfies JobWithEngine;
  if (!isUserView(role)) return item;
  const { log: _log, ...rest } = item;
  return stripNulls(rest);
}
