/**
 * The one retry/backoff helper: exponential backoff with jitter, and a retry loop around an
 * async call. Used by the API connector (client and worker requests), the worker's lease loop,
 * the database pool's reconnects and the page processor's captioning requests, so every retry in
 * the program grows the same way (and, where many callers fail together, spreads the same way).
 */

export interface Backoff {
  /** Delay cap of the first retry (ms); each further retry doubles it… */
  baseDelayMs: number;
  /** …up to this cap (ms). */
  maxDelayMs: number;
}

export interface RetryPolicy extends Backoff {
  /** Total attempts (1 = no retry). */
  attempts: number;
}

/**
 * The pause before retry number `retry` (1 = the first retry): a random value between half and
 * all of min(maxDelayMs, baseDelayMs × 2^(retry−1)) ("equal jitter": growing, never zero, and
 * callers that failed together do not come back together). `atLeastMs` (a server's Retry-After)
 * raises it, still within maxDelayMs.
 */
export function backoffDelay(retry: number, b: Backoff, atLeastMs = 0, random = Math.random): number {
  const cap = exponentialDelay(retry, b.baseDelayMs, b.maxDelayMs);
  const jittered = Math.round(cap / 2 + random() * (cap / 2));
  return Math.min(b.maxDelayMs, Math.max(jittered, atLeastMs));
}

/**
 * The pause before retry number `retry` without jitter: min(maxDelayMs, baseDelayMs × 2^(retry−1)). backoffDelay
 * spreads it; the page processor's captioning waits exactly this, as the reference tool does (RETRY_BACKOFF_MS).
 */
export function exponentialDelay(retry: number, baseDelayMs: number, maxDelayMs = Number.POSITIVE_INFINITY): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retry - 1));
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export interface RetryDecision {
  /** Retry at all? */
  retry: boolean;
  /** Attempts allowed for this kind of failure (default: the policy's). */
  attempts?: number;
  /** Backoff for this kind of failure (default: the policy's). */
  backoff?: Backoff;
  /** The server asked for at least this pause (Retry-After). */
  atLeastMs?: number;
  /** Retry without telling onRetry (an expected, quick round). */
  quiet?: boolean;
}

export interface RetryOptions<E> {
  policy: RetryPolicy;
  /** Turns anything thrown into the error to decide on (and to throw at the end). */
  toError: (e: unknown) => E;
  /** Whether (and how) to retry after `error` on attempt number `attempt`. */
  decide: (error: E, attempt: number) => RetryDecision;
  /** Told before each pause (for logging). */
  onRetry?: (info: { attempt: number; delayMs: number; error: E }) => void;
  /** Stops retrying (the last error is thrown) and cuts a pause short. */
  signal?: AbortSignal;
}

/** Runs `fn` until it succeeds, a failure is not to be retried, or the attempts are used up. */
export async function withRetry<T, E>(fn: (attempt: number) => Promise<T>, o: RetryOptions<E>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const error = o.toError(e);
      const d = o.decide(error, attempt);
      if (!d.retry || attempt >= (d.attempts ?? o.policy.attempts) || o.signal?.aborted) throw error;
      const delayMs = backoffDelay(attempt, d.backoff ?? o.policy, d.atLeastMs);
      if (!d.quiet) o.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, o.signal);
    }
  }
}
