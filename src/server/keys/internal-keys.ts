/**
 * Keys the server provisions for its own use (local workers, the demo's client): the secret is
 * regenerated on every start and lives only in memory; the database keeps the hash, as for every
 * key. An existing row with the label keeps its role and active flag (an administrator who
 * disabled it stays obeyed).
 */
import type { ServerConfig } from "../../config.ts";
import type { Sql } from "../../db/client.ts";
import { findKeyByLabel, insertKey, updateKeyCredentials } from "../../db/keys.ts";
import { formatApiKey, generateKeyParts, hashSecret, newSalt } from "../../shared/api-key.ts";
import type { Role } from "../../shared/roles.ts";

export async function provisionInternalKey(sql: Sql, config: ServerConfig, label: string, role: Role): Promise<string> {
  const { kid, secret } = generateKeyParts();
  const salt = newSalt();
  const keyHash = hashSecret(secret, salt, config.hmacSecret);
  await sql.begin(async (tx) => {
    const t = tx as unknown as Sql;
    const existing = await findKeyByLabel(t, label);
    if (existing) await updateKeyCredentials(t, existing.id, kid, salt, keyHash);
    else await insertKey(t, { kid, salt, keyHash, label, role });
  });
  return formatApiKey(config.keyPrefix, kid, secret);
}
