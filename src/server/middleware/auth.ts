/**
 * Authentication and role check (docs/protocol.md §1.2–§1.4): the key comes from the X-API-Key header,
 * else the `api_key` query parameter, else the `api_key` cookie (an empty value counts as absent);
 * it is verified by kid lookup + HMAC compared in constant time; then active, then role. Admin
 * passes every role check.
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { AppError } from "../errors.ts";
import type { AppDeps, ServerDeps } from "../context.ts";
import { findKeyByKid, touchKey, type KeyRow } from "../../db/keys.ts";
import { hashSecret, hashesEqual, parseApiKey } from "../../shared/api-key.ts";
import { APP_CODES } from "../../shared/codes.ts";
import type { Role } from "../../shared/roles.ts";

/**
 * last_used is bumped at most once a minute per key (docs/performance.md §1). A value younger than a minute spares
 * the database the UPDATE round trip; the UPDATE repeats the test in SQL, so concurrent requests and
 * replicas still write at most once a minute. Key rows may come from the key cache, so an UPDATE that
 * found a fresher value (another replica's) is remembered here rather than retried on every request.
 */
const lastTouchTry = new Map<string, number>();

function shouldTouch(key: KeyRow): boolean {
  if (key.last_used && Date.now() - Date.parse(key.last_used) < 60_000) return false;
  const tried = lastTouchTry.get(key.id);
  return tried === undefined || Date.now() - tried >= 60_000;
}

async function touch(deps: AppDeps, key: KeyRow): Promise<void> {
  const touched = await touchKey(deps.sql, key.id).catch(() => null);
  if (touched) {
    key.last_used = touched;
    lastTouchTry.delete(key.id);
  } else {
    if (lastTouchTry.size >= 10_000) lastTouchTry.clear();
    lastTouchTry.set(key.id, Date.now());
  }
}

export function providedKey(c: Context): string | undefined {
  const header = c.req.header("x-api-key");
  if (header) return header;
  // A repeated query parameter counts with its last value, as in Starlette (and in our query validation).
  const query = c.req.queries("api_key")?.at(-1);
  if (query) return query;
  const cookie = getCookie(c, "api_key");
  return cookie || undefined;
}

export async function verifyKey(deps: AppDeps, provided: string): Promise<KeyRow | undefined> {
  const parsed = parseApiKey(provided);
  if (!parsed) return undefined;
  let row = deps.keys.get(parsed.kid);
  if (!row) {
    const ticket = deps.keys.ticket();
    row = await findKeyByKid(deps.sql, parsed.kid);
    if (!row) return undefined;
    deps.keys.set(row, ticket);
  }
  return hashesEqual(hashSecret(parsed.secret, row.salt, deps.config.hmacSecret), row.key_hash) ? row : undefined;
}

function authFailure(deps: ServerDeps, code: "API_KEY_MISSING" | "API_KEY_INVALID"): AppError {
  const detail = APP_CODES[code][1]
    .replace("{SERVER_NAME}", deps.config.serverName)
    .replace("{CONTACT_TO_GET_NEW_KEY}", deps.config.contact);
  return new AppError(code, { detail, headers: { "www-authenticate": `ApiKey realm="${deps.config.serverName}"` } });
}

/**
 * Authenticates the request and checks the role (docs/protocol.md §1.4); returns the key. Admin passes every role
 * check. `last_used` is bumped (at most once a minute) before the active/role checks (§1.3).
 */
export async function authenticate(deps: AppDeps, c: Context, roles: readonly Role[]): Promise<KeyRow> {
  const provided = providedKey(c);
  if (!provided) throw authFailure(deps, "API_KEY_MISSING");
  const key = await verifyKey(deps, provided);
  if (!key) throw authFailure(deps, "API_KEY_INVALID");
  if (shouldTouch(key)) await touch(deps, key);
  if (!key.active) throw new AppError("API_KEY_INACTIVE");
  if (key.role !== "admin" && !roles.includes(key.role)) {
    // The reference's detail text, then which role the key has and which the route needs, in words and in `details`
    // (clients of the reference read the code, not the text).
    const required = [...new Set([...roles, "admin"])];
    const detail = `${APP_CODES.API_KEY_ROLE_FORBIDDEN[1]} This key's role is '${key.role}'; this endpoint needs ${required.map((r) => `'${r}'`).join(" or ")}.`;
    throw new AppError("API_KEY_ROLE_FORBIDDEN", { detail, details: { role: key.role, required_roles: required } });
  }
  return key;
}
