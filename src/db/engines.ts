/**
 * Queries on `engines` (docs/protocol.md §7). The admin routes keep the invariants of §7.2: at most one
 * engine is `default`, at most one version per name is `active`. Engine selection at job creation
 * (§7.3) lives here too, so that POST /v1/jobs and the admin routes share one notion of engines.
 *
 * Every function takes `Sql` and works equally with a transaction handle (`TxSql` cast to `Sql`).
 * Timestamps come back as the 6-digit ISO strings of §2.7; written ones use clock_timestamp().
 */
import type { Sql } from "./client.ts";

/** The columns an admin sets when creating an engine. */
export interface NewEngine {
  name: string;
  version: string;
  description: string;
  /** Opaque JSON object handed to workers; null only for engines created without one. */
  definition: Record<string, unknown> | null;
  default: boolean;
  active: boolean;
}

export interface EngineRow extends NewEngine {
  id: string;
  created_date: string;
  last_used: string | null;
  files_updated: string | null;
}

/**
 * Result of {@link selectEngineForJob}: the engine to store on the job (null = no engine; DEFAULT_ENGINE = the
 * default engine, chosen by the job's INSERT itself with {@link defaultEngineId}), or the error code.
 */
export type EngineSelection =
  | { ok: true; engine: EngineRow | null | typeof DEFAULT_ENGINE }
  | { ok: false; code: "ENGINE_NOT_FOUND" | "ENGINE_INACTIVE" };

/** A job without an engine name gets the default engine: chosen by the statement that inserts the job. */
export const DEFAULT_ENGINE = Symbol("the default engine");

/** The id of the engine that is `default AND active`, if exactly one is; else NULL (docs/protocol.md §7.3). An SQL expression. */
export const defaultEngineId = (sql: Sql) => sql`
  (SELECT d.id FROM engines d WHERE d."default" AND d.active
      AND (SELECT count(*) FROM engines c WHERE c."default" AND c.active) = 1)`;

/**
 * Engine selection when a job is created (docs/protocol.md §7.3). Call it inside the job-creation
 * transaction, after the duplicate-name and `engine_version` role checks (§4.5 / §11.30):
 *
 * - `engineName` null/undefined → DEFAULT_ENGINE: the engine with `default AND active` if exactly one
 *   exists when the job is inserted, else no engine; `engineVersion` is ignored even for admins.
 * - `engineName` given → candidates are the engines with that name (and `engineVersion`, if given):
 *   none → `{ok:false, code:"ENGINE_NOT_FOUND"}` (404);
 *   caller not admin, or several candidates → only active candidates count; none →
 *   `{ok:false, code:"ENGINE_INACTIVE"}` (409), else the first active one (natural version order);
 *   admin with exactly one candidate → that engine even if inactive.
 *
 * The route turns a failure into `new AppError(result.code)`.
 */
export async function selectEngineForJob(
  sql: Sql,
  opts: { engineName?: string | null; engineVersion?: string | null; isAdmin: boolean },
): Promise<EngineSelection> {
  if (opts.engineName === null || opts.engineName === undefined) return { ok: true, engine: DEFAULT_ENGINE };
  const version = opts.engineVersion ?? null;
  const candidates = sortEngines(
    await sql<EngineRow[]>`
      SELECT * FROM engines
       WHERE name = ${opts.engineName} ${version !== null ? sql`AND version = ${version}` : sql``}`,
  );
  if (candidates.length === 0) return { ok: false, code: "ENGINE_NOT_FOUND" };
  if (opts.isAdmin && candidates.length === 1) return { ok: true, engine: candidates[0]! };
  const active = candidates.find((e) => e.active);
  return active ? { ok: true, engine: active } : { ok: false, code: "ENGINE_INACTIVE" };
}

export async function findEngineById(sql: Sql, id: string): Promise<EngineRow | undefined> {
  const rows = await sql<EngineRow[]>`SELECT * FROM engines WHERE id = ${id}`;
  return rows[0];
}

export async function findEngine(sql: Sql, name: string, version: string): Promise<EngineRow | undefined> {
  const rows = await sql<EngineRow[]>`SELECT * FROM engines WHERE name = ${name} AND version = ${version}`;
  return rows[0];
}

export interface EngineFilter {
  name?: string;
  version?: string;
  default?: boolean;
  active?: boolean;
}

/** Engines matching every given filter (exact match), in natural order of name, then version (docs/protocol.md §4.3). */
export async function listEngines(sql: Sql, f: EngineFilter = {}): Promise<EngineRow[]> {
  const conds = [
    f.name !== undefined ? sql`name = ${f.name}` : null,
    f.version !== undefined ? sql`version = ${f.version}` : null,
    f.default !== undefined ? sql`"default" = ${f.default}` : null,
    f.active !== undefined ? sql`active = ${f.active}` : null,
  ].filter((c) => c !== null);
  const where = conds.reduce((acc, c, i) => (i === 0 ? sql`WHERE ${c}` : sql`${acc} AND ${c}`), sql``);
  return sortEngines(await sql<EngineRow[]>`SELECT * FROM engines ${where}`);
}

/**
 * Inserts an engine keeping docs/protocol.md §7.2: `default` clears every other default, `active` deactivates the
 * other versions of the name. `sideEffects` overrides which of the two clearings run (the
 * reference stores an explicit null as the column default but runs no side effect for it).
 * Returns undefined when (name, version) is taken. Run in a transaction.
 */
export async function insertEngine(
  sql: Sql,
  e: NewEngine,
  now: string,
  sideEffects: { default: boolean; active: boolean } = { default: e.default, active: e.active },
): Promise<EngineRow | undefined> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('annopage.engines'))`;
  if (await findEngine(sql, e.name, e.version)) return undefined;
  if (sideEffects.default) await sql`UPDATE engines SET "default" = false WHERE "default"`;
  if (sideEffects.active) await sql`UPDATE engines SET active = false WHERE name = ${e.name} AND active`;
  const rows = await sql<EngineRow[]>`
    INSERT INTO engines (id, name, version, description, definition, "default", active, created_date)
    VALUES (${crypto.randomUUID()}, ${e.name}, ${e.version}, ${e.description},
            ${e.definition === null ? null : sql.json(e.definition as never)}, ${e.default}, ${e.active}, ${now})
    RETURNING *`;
  return rows[0]!;
}

export interface EngineUpdate {
  name?: string;
  version?: string;
  description?: string;
  definition?: Record<string, unknown>;
  default?: boolean;
  active?: boolean;
}

export type EngineUpdateResult = { ok: true; engine: EngineRow } | { ok: false; code: "ENGINE_NOT_FOUND" | "ENGINE_ALREADY_EXISTS" };

/**
 * Applies an EngineUpdate to engine (name, version) per docs/protocol.md §4.21: a new (name, version) owned by
 * another engine → ENGINE_ALREADY_EXISTS; `default: true` clears the other defaults; `active: true`
 * deactivates the other versions of the (possibly new) name. Run in a transaction.
 */
export async function updateEngine(sql: Sql, name: string, version: string, u: EngineUpdate): Promise<EngineUpdateResult> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('annopage.engines'))`;
  const current = (await sql<EngineRow[]>`SELECT * FROM engines WHERE name = ${name} AND version = ${version} FOR UPDATE`)[0];
  if (!current) return { ok: false, code: "ENGINE_NOT_FOUND" };
  const newName = u.name ?? current.name;
  const newVersion = u.version ?? current.version;
  if (newName !== current.name || newVersion !== current.version) {
    const other = await findEngine(sql, newName, newVersion);
    if (other && other.id !== current.id) return { ok: false, code: "ENGINE_ALREADY_EXISTS" };
  }
  if (u.default === true) await sql`UPDATE engines SET "default" = false WHERE "default" AND id <> ${current.id}`;
  if (u.active === true) await sql`UPDATE engines SET active = false WHERE name = ${newName} AND active AND id <> ${current.id}`;
  const rows = await sql<EngineRow[]>`
    UPDATE engines SET
      name = ${newName},
      version = ${newVersion},
      description = ${u.description ?? current.description},
      definition = ${u.definition !== undefined ? sql.json(u.definition as never) : sql`definition`},
      "default" = ${u.default ?? current.default},
      active = ${u.active ?? current.active}
    WHERE id = ${current.id}
    RETURNING *`;
  return { ok: true, engine: rows[0]! };
}

/**
 * Records an engine-files upload: `files_updated = now`, strictly later than the previous value
 * even if another replica's clock lags (the suite compares the strings, docs/protocol.md §2.7). Returns the new value.
 */
export async function markEngineFilesUpdated(sql: Sql, id: string, now: string): Promise<string | undefined> {
  const rows = await sql<{ files_updated: string }[]>`
    UPDATE engines
       SET files_updated = GREATEST(${now}::timestamptz, files_updated + interval '1 microsecond')
     WHERE id = ${id}
    RETURNING files_updated`;
  return rows[0]?.files_updated;
}

/**
 * Natural order (Python natsort default): digit runs compare as numbers, other runs as
 * case-sensitive strings; `1.0` < `2.0` < `10.0`, `Engine 2` < `Engine 10`.
 */
function naturalCompare(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    const xd = /^\d/.test(x);
    const yd = /^\d/.test(y);
    if (xd && yd) {
      const d = compareDigits(x, y);
      if (d !== 0) return d;
    } else if (xd !== yd) {
      return xd ? -1 : 1; // natsort puts a number before a string at the same position
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return ta.length - tb.length;
}

function compareDigits(x: string, y: string): number {
  const a = x.replace(/^0+(?=\d)/, "");
  const b = y.replace(/^0+(?=\d)/, "");
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortEngines(rows: EngineRow[]): EngineRow[] {
  return [...rows].sort((a, b) => naturalCompare(a.name, b.name) || naturalCompare(a.version, b.version));
}
