/**
 * Timestamps on the wire (protocol §2.7): UTC, ISO 8601, `T`, always six fractional digits, `Z`.
 * PostgreSQL keeps microseconds; JavaScript Dates do not, so timestamptz values are parsed from
 * PostgreSQL's text form straight into this string form and never pass through Date.
 */

/** `2026-11-28 15:35:38.0604+00` (session TimeZone UTC) → `2026-11-28T15:35:38.060400Z`. */
export function pgTimestampToIso(text: string): string {
  const m = /^(\d{4,}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?([+-]\d{2}(?::?\d{2}(?::?\d{2})?)?|Z)?$/.exec(text);
  if (!m) return text;
  const [, date, time, frac = "", zone = "Z"] = m;
  if (zone === "Z" || /^[+-]00(:?00)?(:?00)?$/.test(zone)) return `${date}T${time}.${frac.padEnd(6, "0")}Z`;
  // A session not in UTC: convert through microseconds since the epoch.
  const ms = Date.parse(`${date}T${time}${zone.length === 3 ? `${zone}:00` : zone}`);
  return isoFromMicros(BigInt(ms) * 1000n + BigInt(frac.padEnd(6, "0")));
}

export function isoFromMicros(us: bigint): string {
  const ms = Number(us / 1000n);
  const micro = Number(((us % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  return `${base}.${String(micro).padStart(6, "0")}Z`;
}
