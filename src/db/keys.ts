/** Queries on `keys`. Secrets never reach this module: only kid, salt and hash. */
import type { Sql } from "./client.ts";
import { fromDbEnum, toDbEnum, type Role } from "../shared/roles.ts";

export interface KeyRow {
  id: string;
  kid: string;
  salt: string;
  key_hash: string;
  label: string;
  role: Role;
  active: boolean;
  created_date: string;
  last_used: string | null;
}

type RawKeyRow = Omit<KeyRow, "role"> & { role: string };
const toKey = (r: RawKeyRow): KeyRow => ({ ...r, role: fromDbEnum<Role>(r.role) });

export async function findKeyByKid(sql: Sql, kid: string): Promise<KeyRow | undefined> {
  const rows = await sql<RawKeyRow[]>`SELECT * FROM keys WHERE kid = ${kid}`;
  return rows[0] ? toKey(rows[0]) : undefined;
}

export async function findKeyByLabel(sql: Sql, label: string): Promise<KeyRow | undefined> {
  const rows = await sql<RawKeyRow[]>`SELECT * FROM keys WHERE label = ${label}`;
  return rows[0] ? toKey(rows[0]) : undefined;
}

export interface NewKey {
  kid: string;
  salt: string;
  keyHash: string;
  label: string;
  role: Role;
  active?: boolean;
}

export async function insertKey(sql: Sql, k: NewKey): Promise<KeyRow> {
  const rows = await sql<RawKeyRow[]>`
    INSERT INTO keys (id, kid, salt, key_hash, label, role, active, created_date)
    VALUES (${crypto.randomUUID()}, ${k.kid}, ${k.salt}, ${k.keyHash}, ${k.label}, ${toDbEnum(k.role)}::keyrole,
            ${k.active ?? true}, clock_timestamp())
    RETURNING *`;
  return toKey(rows[0]!);
}

export async function updateKeyCredentials(sql: Sql, id: string, kid: string, salt: string, keyHash: string): Promise<void> {
  await sql`UPDATE keys SET kid = ${kid}, salt = ${salt}, key_hash = ${keyHash} WHERE id = ${id}`;
}

/**
 * Bumps last_used, at most once a minute per key (docs/performance.md §1: not on every request). Returns the
 * stored value after the call.
 */
export async function touchKey(sql: Sql, id: string): Promise<string | null> {
  const rows = await sql<{ last_used: string | null }[]>`
    UPDATE keys SET last_used = clock_timestamp()
     WHERE id = ${id} AND (last_used IS NULL OR last_used < clock_timestamp() - interval '60 seconds')
    RETURNING last_used`;
  return rows[0]?.last_used ?? null;
}
