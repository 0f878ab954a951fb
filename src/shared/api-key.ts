/**
 * API keys (docs/protocol.md §1.1, §1.3): `{prefix}.{kid}.{secret}`. The prefix is never checked; kid is
 * the lookup handle; the secret is stored only as HMAC-SHA256 keyed with HMAC_SECRET + salt.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const KEY_RE = /^[^.]+\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

export interface ParsedKey {
  kid: string;
  secret: string;
}

export function parseApiKey(key: string): ParsedKey | null {
  const m = KEY_RE.exec(key);
  return m ? { kid: m[1]!, secret: m[2]! } : null;
}

export function hashSecret(secret: string, salt: string, hmacSecret: string): string {
  return createHmac("sha256", Buffer.from(hmacSecret + salt, "utf8"))
    .update(secret, "utf8")
    .digest("hex");
}

/** Constant-time comparison of two lowercase hex digests. */
export function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

export function newSalt(): string {
  return randomBytes(16).toString("hex");
}

/** Fresh kid (8 chars) and secret (40 chars), URL-safe base64 without padding. */
export function generateKeyParts(): ParsedKey {
  return { kid: randomBytes(6).toString("base64url"), secret: randomBytes(30).toString("base64url") };
}

export function formatApiKey(prefix: string, kid: string, secret: string): string {
  return `${prefix}.${kid}.${secret}`;
}
