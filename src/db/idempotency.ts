/**
 * Idempotent job creation (docs/decisions.md §5): `Idempotency-Key` per API key, remembered for 24 hours
 * with the SHA-256 of the normalised request body and the job it created.
 */
import type { Sql } from "./client.ts";

const IDEMPOTENCY_WINDOW = "24 hours";

/**
 * Serialises requests with the same (key, Idempotency-Key) for the rest of the transaction and
 * returns the remembered entry, if any (entries older than 24 hours are deleted first).
 */
export async function lockIdempotencyKey(
  tx: Sql,
  keyId: string,
  idemKey: string,
): Promise<{ body_sha256: string; job_id: string } | undefined> {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`${keyId} ${idemKey}`}, 0))`;
  await tx`DELETE FROM idempotency_keys WHERE key_id = ${keyId} AND idempotency_key = ${idemKey}
             AND created_date < now() - ${IDEMPOTENCY_WINDOW}::interval`;
  const rows = await tx<{ body_sha256: string; job_id: string }[]>`
    SELECT body_sha256, job_id FROM idempotency_keys WHERE key_id = ${keyId} AND idempotency_key = ${idemKey}`;
  return rows[0];
}

export async function rememberIdempotencyKey(tx: Sql, keyId: string, idemKey: string, bodySha256: string, jobId: string): Promise<void> {
  await tx`INSERT INTO idempotency_keys (key_id, idempotency_key, body_sha256, job_id)
           VALUES (${keyId}, ${idemKey}, ${bodySha256}, ${jobId})`;
}

/** Housekeeping for the background sweeper. */
export async function purgeIdempotencyKeys(sql: Sql): Promise<void> {
  await sql`DELETE FROM idempotency_keys WHERE created_date < now() - ${IDEMPOTENCY_WINDOW}::interval`;
}
