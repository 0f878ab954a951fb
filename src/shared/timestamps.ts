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
  if (zone === "Z" || /^[+-]00(:?00)?(:?00)?$/.test(zone)) return canonical(`${date}T${time}`, frac);
  // A session not in UTC: convert through microseconds since the epoch.
  return isoFromMicros(toMicros(`${date}T${time}${zone.length === 3 ? `${zone}:00` : zone}`, frac));
}

/** The canonical form of a UTC date and time to the second (`YYYY-MM-DDTHH:MM:SS`) and a fraction of up to six digits. */
const canonical = (toSecond: string, frac: string) => `${toSecond}.${frac.padEnd(6, "0")}Z`;

/** Microseconds since the epoch of an ISO date and time to the second (with its zone) and a fraction of up to six digits. */
function toMicros(dateTime: string, frac: string): bigint {
  return BigInt(Date.parse(dateTime)) * 1000n + BigInt(frac.padEnd(6, "0"));
}

/** Microseconds since the epoch of a canonical timestamp (`…T…Z`, up to six fractional digits). */
function isoToMicros(iso: string): bigint {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(iso);
  if (!m) throw new Error(`not a canonical timestamp: ${iso}`);
  return toMicros(`${m[1]}Z`, m[2] ?? "");
}

/** Canonical timestamp `seconds` after `iso` (microsecond exact). */
export function addSeconds(iso: string, seconds: number): string {
  return isoFromMicros(isoToMicros(iso) + BigInt(Math.round(seconds * 1_000_000)));
}

/** Canonical timestamp of microseconds since the epoch. */
export function isoFromMicros(us: bigint): string {
  const ms = Number(us / 1000n);
  const micro = Number(((us % 1_000_000n) + 1_000_000n) % 1_000_000n);
  return canonical(new Date(ms).toISOString().slice(0, 19), String(micro).padStart(6, "0"));
}

/**
 * Parses an ISO 8601 datetime (T or space, optional fraction/offset), a bare date or a Unix timestamp to canonical UTC
 * `…ffffffZ`, as leniently as pydantic does for a query parameter; what it refuses comes with pydantic's error type and text.
 */
export function parseLaxDatetime(v: string): string | { error: string; type: string } {
  const s = v.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    const secs = Math.abs(n) > 2e10 ? n / 1000 : n; // pydantic: large numbers are milliseconds
    if (!Number.isFinite(secs) || Math.abs(secs) > 8.64e12) return { type: "datetime_parsing", error: "invalid timestamp" };
    return isoFromMicros(BigInt(Math.round(secs * 1e6)));
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/.exec(s);
  if (!m) {
    return /^\d{4}-\d{2}-\d{2}/.test(s)
      ? { type: "datetime_parsing", error: "invalid datetime separator or time" }
      : { type: "datetime_from_date_parsing", error: "input is too short or has an invalid date format" };
  }
  const [, y, mo, d, hh = "00", mi = "00", ss = "00", frac = "", zone] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mi), Number(ss));
  const check = new Date(base);
  if (
    Number.isNaN(base) ||
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(hh) > 23 ||
    Number(mi) > 59 ||
    Number(ss) > 59
  ) {
    return { type: "datetime_parsing", error: "date or time out of range" };
  }
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== "Z") {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offsetMin = (zm[1] === "-" ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3] ?? 0));
  }
  const utc = new Date(base - offsetMin * 60_000);
  return canonical(utc.toISOString().slice(0, 19), frac);
}

/** The UTC date `YYYY-MM-DD` of `d`. */
export const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/** Python logging's default asctime, in UTC: `2026-11-28 21:53:00,123`. */
export const asctime = (d: Date) => `${d.toISOString().slice(0, 19).replace("T", " ")},${d.toISOString().slice(20, 23)}`;
