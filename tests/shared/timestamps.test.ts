/**
 * Wire timestamps (src/shared/timestamps.ts): PostgreSQL's text form to the canonical `…ffffffZ` form, exact
 * microsecond arithmetic, and the ends of the range Python's datetime can hold (years 1–9999).
 */
import { describe, expect, test } from "bun:test";
import { addSeconds, isoFromMicros, parseLaxDatetime, pgTimestampToIso } from "../../src/shared/timestamps.ts";

describe("pgTimestampToIso", () => {
  test("UTC text keeps its digits; other zones are converted; years past 9999 stop at the last instant", () => {
    expect(pgTimestampToIso("2026-11-28 15:35:38.0604+00")).toBe("2026-11-28T15:35:38.060400Z");
    expect(pgTimestampToIso("2026-11-28 15:35:38.5+05:30")).toBe("2026-11-28T10:05:38.500000Z");
    expect(pgTimestampToIso("2026-11-28 15:35:38+0530")).toBe("2026-11-28T10:05:38.000000Z");
    expect(pgTimestampToIso("2026-11-28 15:35:38-02")).toBe("2026-11-28T17:35:38.000000Z");
    expect(pgTimestampToIso("10000-01-01 00:00:00.000001+00")).toBe("9999-12-31T23:59:59.999999Z");
  });
});

describe("addSeconds and isoFromMicros", () => {
  test("exact to the microsecond, before 1970 too, and in years below 100", () => {
    expect(addSeconds("2026-01-01T00:00:00.000001Z", 1.5)).toBe("2026-01-01T00:00:01.500001Z");
    expect(addSeconds("1969-12-31T23:59:59.500000Z", 0)).toBe("1969-12-31T23:59:59.500000Z");
    expect(addSeconds("1970-01-01T00:00:00.000000Z", -0.000001)).toBe("1969-12-31T23:59:59.999999Z");
    expect(addSeconds("0050-03-01T00:00:00.000000Z", 1)).toBe("0050-03-01T00:00:01.000000Z");
    expect(isoFromMicros(-1n)).toBe("1969-12-31T23:59:59.999999Z");
  });

  test("results past 9999-12-31T23:59:59.999999Z or before year 1 are clamped to the range", () => {
    expect(addSeconds("9999-12-31T23:59:59.999999Z", 300)).toBe("9999-12-31T23:59:59.999999Z");
    expect(addSeconds("9999-12-31T23:59:00.000000Z", 30)).toBe("9999-12-31T23:59:30.000000Z");
    expect(addSeconds("0001-01-01T00:00:00.000000Z", -1)).toBe("0001-01-01T00:00:00.000000Z");
  });
});

describe("parseLaxDatetime", () => {
  test("ISO with an offset, and Unix seconds before 1970 with a fraction", () => {
    expect(parseLaxDatetime("2026-01-01T01:00:00+01:00")).toBe("2026-01-01T00:00:00.000000Z");
    expect(parseLaxDatetime("-1.5")).toBe("1969-12-31T23:59:58.500000Z");
  });
});
