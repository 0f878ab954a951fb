/**
 * The server's "now" (docs/protocol.md §2.7): UTC with microseconds, strictly increasing within this
 * process (each call is at least 1 µs after the previous one). It is passed to SQL as a parameter;
 * queries that update one job additionally take GREATEST(now, previous value + 1 µs), so values
 * of one job keep increasing even when several replicas with slightly different clocks write it.
 */
import { isoFromMicros } from "../../shared/timestamps.ts";

let last = 0n;

function nowMicros(): bigint {
  const wall = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
  last = wall > last ? wall : last + 1n;
  return last;
}

/** Strictly increasing ISO timestamp with six fractional digits, e.g. 2026-11-28T15:35:38.060400Z. */
export function nowIso(): string {
  return isoFromMicros(nowMicros());
}
