/** The shared retry/backoff helper (src/shared/retry.ts) used by the connector, the worker loop and the database pool. */
import { expect, test } from "bun:test";
import { backoffDelay, sleep, withRetry } from "../../src/shared/retry.ts";

const b = { baseDelayMs: 100, maxDelayMs: 1000 };

test("backoffDelay doubles per retry between half and all of its cap, never past maxDelayMs; Retry-After raises it within the cap", () => {
  expect([1, 2, 3, 4, 5, 9].map((r) => backoffDelay(r, b, 0, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
  expect([1, 2, 3, 4, 5, 9].map((r) => backoffDelay(r, b, 0, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
  expect(backoffDelay(1, b, 700, () => 0)).toBe(700);
  expect(backoffDelay(1, b, 60_000, () => 0)).toBe(1000);
});

test("withRetry: retries until success, reports each pause, honours per-failure attempts, stops on a non-retryable error", async () => {
  const seen: number[] = [];
  let calls = 0;
  const ok = await withRetry(
    async (attempt) => {
      calls++;
      if (attempt < 3) throw new Error(`fail ${attempt}`);
      return "done";
    },
    {
      policy: { attempts: 5, baseDelayMs: 1, maxDelayMs: 2 },
      toError: (e) => e as Error,
      decide: () => ({ retry: true }),
      onRetry: (i) => seen.push(i.attempt),
    },
  );
  expect([ok, calls, seen]).toEqual(["done", 3, [1, 2]]);

  calls = 0;
  const quiet: number[] = [];
  const e1 = await withRetry(
    async () => {
      calls++;
      throw new Error("refused");
    },
    {
      policy: { attempts: 10, baseDelayMs: 1, maxDelayMs: 2 },
      toError: (e) => e as Error,
      decide: () => ({ retry: true, attempts: 2, quiet: true }),
      onRetry: (i) => quiet.push(i.attempt),
    },
  ).catch((e) => e);
  expect([(e1 as Error).message, calls, quiet]).toEqual(["refused", 2, []]);

  calls = 0;
  const e2 = await withRetry(
    async () => {
      calls++;
      throw new Error("bad request");
    },
    { policy: { attempts: 10, baseDelayMs: 1, maxDelayMs: 2 }, toError: (e) => e as Error, decide: () => ({ retry: false }) },
  ).catch((e) => e);
  expect([(e2 as Error).message, calls]).toEqual(["bad request", 1]);
});

test("sleep ends early when its signal aborts, and at once when it already has", async () => {
  const ac = new AbortController();
  const slept = sleep(60_000, ac.signal).then(() => "woke");
  ac.abort();
  expect(await slept).toBe("woke");
  expect(await sleep(60_000, ac.signal).then(() => "at once")).toBe("at once");
});
