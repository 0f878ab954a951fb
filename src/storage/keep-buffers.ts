/**
 * Reusable buffers for the in-memory copy of small staged files (StageOptions.keepBytes). A fresh buffer per upload is
 * zero-filled and faulted in page by page, and freed memory is handed back to the system by the allocator: on the
 * benchmark machine that churn cost more event-loop time than reading the file back (bench/micro-server.ts). A taken
 * buffer belongs to one staged file until its stager gives it back (commit or discard), so its bytes never change under
 * a check that is still reading them.
 */

/** At most this many idle buffers are kept (enough for the uploads one server process checks at once). */
const MAX_IDLE = 16;
/** Capacities are powers of two from this size up, so a buffer fits the next uploads of about the same size. */
const MIN_CAPACITY = 256 << 10;

const idle: Uint8Array[] = [];

/** A buffer of at least `n` bytes (its contents are left over from an earlier file). */
export function takeBuffer(n: number): Uint8Array {
  let best = -1;
  for (let i = 0; i < idle.length; i++) {
    if (idle[i]!.byteLength >= n && (best < 0 || idle[i]!.byteLength < idle[best]!.byteLength)) best = i;
  }
  if (best >= 0) return idle.splice(best, 1)[0]!;
  let capacity = MIN_CAPACITY;
  while (capacity < n) capacity *= 2;
  return new Uint8Array(capacity);
}

/** Gives a buffer from takeBuffer back; nothing may read it afterwards. */
export function giveBack(buffer: Uint8Array): void {
  if (idle.length < MAX_IDLE) idle.push(buffer);
}
