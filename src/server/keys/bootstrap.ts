/**
 * Start-up keys (docs/protocol.md §1.5). The bootstrap admin key has label `admin`:
 * - ADMIN_KEY set: the row is created or its kid/hash brought in line with the configured key
 *   (role and active flag are never touched).
 * - ADMIN_KEY unset (docs/decisions.md §7): on first start a random admin key is generated,
 *   returned so the caller can print it once, and only its hash is stored; later starts keep it.
 * Test keys are seeded only when configured (see config.ts, SEED_TEST_KEYS).
 */
import { consola } from "consola";
import type { ServerConfig } from "../../config.ts";
import type { Sql } from "../../db/client.ts";
import { findKeyByKid, findKeyByLabel, insertKey, updateKeyCredentials } from "../../db/keys.ts";
import { formatApiKey, generateKeyParts, hashSecret, newSalt, parseApiKey } from "../../shared/api-key.ts";

export interface BootstrapResult {
  /** The admin key generated on this start (print once), if any. */
  generatedAdminKey?: string;
}

export async function bootstrapKeys(sql: Sql, config: ServerConfig): Promise<BootstrapResult> {
  const result: BootstrapResult = {};
  await sql.begin(async (tx) => {
    const t = tx as unknown as Sql;
    let existing = await findKeyByLabel(t, "admin");
    if (config.adminKey) {
      const { kid, secret } = parseApiKey(config.adminKey)!;
      if (!existing) {
        // The `admin` label was renamed by an administrator: the row with ADMIN_KEY's kid is still
        // the bootstrap key (the reference would crash here on the duplicate kid, docs/protocol.md §11.20).
        existing = await findKeyByKid(t, kid);
        if (existing) consola.warn(`the bootstrap admin key is now labelled "${existing.label}"; keeping that row`);
      }
      if (!existing) {
        const salt = newSalt();
        await insertKey(t, { kid, salt, keyHash: hashSecret(secret, salt, config.hmacSecret), label: "admin", role: "admin" });
      } else {
        const sameHash = hashSecret(secret, existing.salt, config.hmacSecret) === existing.key_hash;
        const kidOwner = existing.kid !== kid ? await findKeyByKid(t, kid) : undefined;
        if (kidOwner) throw new Error(`ADMIN_KEY's kid "${kid}" belongs to the key "${kidOwner.label}"; choose another ADMIN_KEY`);
        if (existing.kid !== kid || !sameHash) {
          const salt = sameHash ? existing.salt : newSalt();
          await updateKeyCredentials(t, existing.id, kid, salt, hashSecret(secret, salt, config.hmacSecret));
        }
      }
    } else if (!existing) {
      const { kid, secret } = generateKeyParts();
      const salt = newSalt();
      await insertKey(t, { kid, salt, keyHash: hashSecret(secret, salt, config.hmacSecret), label: "admin", role: "admin" });
      result.generatedAdminKey = formatApiKey(config.keyPrefix, kid, secret);
    }
    for (const tk of config.testKeys) {
      const { kid, secret } = parseApiKey(tk.key)!;
      if (await findKeyByKid(t, kid)) continue;
      if (await findKeyByLabel(t, tk.label)) {
        consola.warn(`test key label "${tk.label}" is taken by another key; not seeding it`);
        continue;
      }
      const salt = newSalt();
      await insertKey(t, { kid, salt, keyHash: hashSecret(secret, salt, config.hmacSecret), label: tk.label, role: tk.role });
    }
  });
  return result;
}
