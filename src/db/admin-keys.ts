/**
 * Key administration queries (docs/protocol.md §1.6, §4.16–§4.19). Like keys.ts, this module sees only
 * kid, salt and hash — the secret is generated and formatted by the caller and never stored.
 */
import type { Sql } from "./client.ts";
import { insertKey, type KeyRow } from "./keys.ts";
import { fromDbEnum, toDbEnum, type Role } from "../shared/roles.ts";

type RawKeyRow = Omit<KeyRow, "role"> & { role: string };
const toKey = (r: RawKeyRow): KeyRow => ({ ...r, role: fromDbEnum<Role>(r.role) });

/** Credentials for one attempt: a fresh kid, salt and hash computed by the caller. */
export interface Credentials {
  kid: string;
  salt: string;
  keyHash: string;
}

/** Every key, ordered by label (database collation), for GET /v1/admin/keys. */
export async function listKeysByLabel(sql: Sql): Promise<KeyRow[]> {
  return (await sql<RawKeyRow[]>`SELECT * FROM keys ORDER BY label`).map(toKey);
}

function uniqueViolation(e: unknown): string | undefined {
  const err = e as { code?: string; constraint_name?: string };
  return err?.code === "23505" ? (err.constraint_name ?? "") : undefined;
}

const isLabelConstraint = (c: string) => c === "ix_keys_label";

/**
 * Inserts a new active key. `nextCredentials` is called for each attempt (at most `attempts`);
 * a collision on kid/salt/hash retries with new credentials. Results: the key with the credentials
 * used, or LABEL_TAKEN, or COLLISION when every attempt collided.
 */
export async function createKey<C extends Credentials>(
  sql: Sql,
  label: string,
  role: Role,
  nextCredentials: () => C,
  attempts = 3,
): Promise<{ ok: true; key: KeyRow; credentials: C } | { ok: false; reason: "LABEL_TAKEN" | "COLLISION" }> {
  for (let i = 0; i < attempts; i++) {
    const c = nextCredentials();
    try {
      const key = await insertKey(sql, { kid: c.kid, salt: c.salt, keyHash: c.keyHash, label, role });
      return { ok: true, key, credentials: c };
    } catch (e) {
      const constraint = uniqueViolation(e);
      if (constraint === undefined) throw e;
      if (isLabelConstraint(constraint)) return { ok: false, reason: "LABEL_TAKEN" };
    }
  }
  return { ok: false, reason: "COLLISION" };
}

export interface KeyUpdate {
  label?: string;
  role?: Role;
  active?: boolean;
}

/** PATCH /v1/admin/keys/{label}: applies the given fields. NOT_FOUND / LABEL_TAKEN per docs/protocol.md §4.18. */
export async function updateKeyByLabel(
  sql: Sql,
  label: string,
  u: KeyUpdate,
): Promise<{ ok: true; key: KeyRow } | { ok: false; reason: "NOT_FOUND" | "LABEL_TAKEN" }> {
  try {
    const rows = await sql<RawKeyRow[]>`
      UPDATE keys SET
        label = ${u.label ?? sql`label`},
        role = ${u.role !== undefined ? sql`${toDbEnum(u.role)}::keyrole` : sql`role`},
        active = ${u.active ?? sql`active`}
      WHERE label = ${label}
      RETURNING *`;
    return rows[0] ? { ok: true, key: toKey(rows[0]) } : { ok: false, reason: "NOT_FOUND" };
  } catch (e) {
    const constraint = uniqueViolation(e);
    if (constraint !== undefined && isLabelConstraint(constraint)) return { ok: false, reason: "LABEL_TAKEN" };
    throw e;
  }
}

/**
 * POST /v1/admin/keys/{label}/secret: replaces kid, salt and hash; label, role, active and
 * created_date are kept, so the old key string stops working at once.
 */
export async function replaceKeyCredentials<C extends Credentials>(
  sql: Sql,
  label: string,
  nextCredentials: () => C,
  attempts = 3,
): Promise<{ ok: true; key: KeyRow; credentials: C } | { ok: false; reason: "NOT_FOUND" | "COLLISION" }> {
  for (let i = 0; i < attempts; i++) {
    const c = nextCredentials();
    try {
      const rows = await sql<RawKeyRow[]>`
        UPDATE keys SET kid = ${c.kid}, salt = ${c.salt}, key_hash = ${c.keyHash}
         WHERE label = ${label}
        RETURNING *`;
      if (!rows[0]) return { ok: false, reason: "NOT_FOUND" };
      return { ok: true, key: toKey(rows[0]), credentials: c };
    } catch (e) {
      if (uniqueViolation(e) === undefined) throw e;
    }
  }
  return { ok: false, reason: "COLLISION" };
}
