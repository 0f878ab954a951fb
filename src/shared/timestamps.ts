/**
 * Timestamps on the wire (docs/protocol.md §2.7): UTC, ISO 8601, `T`, always six fractional digits, `Z`.
 * PostgreSQL keeps microseconds; JavaScript Dates do not, so timestamptz values are parsed from
 * PostgreSQL's text form straight into this string form and never pass through Date.
 */

/** `2026-11-28 15:35:38.0604+00` (session TimeZone UTC) → `2026-11-28T15:35:38.060400Z`. */
export function pgTimestampToIso(text: string): string {
  const m = /^(\d{4,}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?([+-]\d{2}(?::?\d{2}(?::?\d{2})?)?|Z)?$/.exec(text);
  if (!m) return text;
  const [, date = "", time = "", frac = "", zone = "Z"] = m;
  const utc = zone === "Z" || /^[+-]00(:?00)?(:?00)?$/.test(zone);
  if (utc && date.length === 10) return canonical(`${date}T${time}`, frac);
  if (utc) return isoFromMicros(toMicros(`${date}T${time}Z`, frac)); // a year past 9999: clamped
  // A session not in UTC: convert through microseconds since the epoch.
  return isoFromMicros(toMicros(`${date}T${time}${zone}`, frac));
}

/** The canonical form of a UTC date and time to the second (`YYYY-MM-DDTHH:MM:SS`) and a fraction of up to six digits. */
const canonical = (toSecond: string, frac: string) => `${toSecond}.${frac.padEnd(6, "0")}Z`;

/**
 * Microseconds since the epoch of an ISO date and time to the second (`YYYY…-MM-DDTHH:MM:SS`, any number of year digits,
 * optional zone `Z`/`±HH:MM`) and a fraction of up to six digits. Years past 9999 (PostgreSQL has them) are read too:
 * Date.parse would give NaN for them.
 */
function toMicros(dateTime: string, frac: string): bigint {
  const m = /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/.exec(dateTime);
  if (!m) throw new Error(`not a timestamp: ${dateTime}`);
  const [, y, mo, d, hh, mi, ss, zone = "Z"] = m;
  const t = new Date(0);
  t.setUTCFullYear(Number(y), Number(mo) - 1, Number(d)); // setUTCFullYear: no 1900 offset for years below 100
  t.setUTCHours(Number(hh), Number(mi), Number(ss), 0);
  let offsetSeconds = 0;
  if (zone !== "Z") {
    const digits = zone.slice(1).replaceAll(":", "");
    const [h, mm, sec] = [0, 2, 4].map((i) => Number(digits.slice(i, i + 2) || "0")) as [number, number, number];
    offsetSeconds = (zone[0] === "-" ? -1 : 1) * (h * 3600 + mm * 60 + sec);
  }
  return BigInt(t.getTime() - offsetSeconds * 1000) * 1000n + BigInt(frac.padEnd(6, "0"));
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

/**
 * The range of the wire format: what Python's datetime (the reference and its clients) can hold. An admin may set a
 * job's timestamps up to 9999-12-31T23:59:59.999999Z, so "one microsecond later" or "the lease expires in 300 s" can
 * pass it: such values are given as the last representable instant instead of failing the request.
 */
const MIN_MICROS = -62135596800000000n; // 0001-01-01T00:00:00.000000Z
const MAX_MICROS = 253402300799999999n; // 9999-12-31T23:59:59.999999Z

/** Canonical timestamp of microseconds since the epoch (clamped to years 1–9999). */
export function isoFromMicros(us: bigint): string {
  const v = us < MIN_MICROS ? MIN_MICROS : us > MAX_MICROS ? MAX_MICROS : us;
  const micro = ((v % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const ms = Number((v - micro) / 1000n);
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
