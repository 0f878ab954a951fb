/** API keys for tests: inserted straight into a test server's database (makeKey), or made through the admin API (setupKeys). */
import { ApiClient } from "../../src/client/api.ts";
import { insertKey } from "../../src/db/keys.ts";
import { formatApiKey, generateKeyParts, hashSecret, newSalt } from "../../src/shared/api-key.ts";
import type { Role } from "../../src/shared/roles.ts";
import type { TestServer } from "./server.ts";

/** Inserts an active key with the given role straight into the server's database. */
export async function makeKey(s: TestServer, role: Role, label = `${role}-${Math.random().toString(36).slice(2, 10)}`) {
  const { kid, secret } = generateKeyParts();
  const salt = newSalt();
  const row = await insertKey(s.deps.sql, { kid, salt, keyHash: hashSecret(secret, salt, s.config.hmacSecret), label, role });
  return { key: formatApiKey("doc-api", kid, secret), id: row.id, label };
}

export interface Keys {
  admin: ApiClient;
  user: string;
  worker: string;
}

export async function setupKeys(url: string, adminKey: string, tag: string): Promise<Keys> {
  const admin = new ApiClient({ apiUrl: url, apiKey: adminKey });
  const user = (await admin.createKey(`user-${tag}`, "user")).secret;
  const worker = (await admin.createKey(`worker-${tag}`, "worker")).secret;
  return { admin, user, worker };
}
