/**
 * Background lease sweep (docs/decisions.md §3): every SWEEP_INTERVAL_SECONDS, timed-out `processing` jobs
 * (stale leases) are requeued or failed exactly as a lease call would do it; `error` jobs wait for
 * the next lease call, as in the reference (docs/protocol.md §5.1). Safe with several
 * replicas: the sweep skips rows locked by others. Also purges expired idempotency keys. The
 * timer does not keep the process alive and stops when the database pool has been closed.
 * A second timer removes staged upload files idle for longer than STAGING_MAX_AGE_SECONDS (left by a
 * crashed replica; storage/staging.ts), every half of that bound but at least once a minute.
 */
import { consola } from "consola";
import { purgeIdempotencyKeys } from "../../db/idempotency.ts";
import { sweepStaleLeases } from "../../db/lease.ts";
import { nowIso } from "./clock.ts";
import type { AppDeps } from "../context.ts";

export interface Sweeper {
  runOnce(): Promise<{ requeued: number; failed: number }>;
  stop(): void;
}

export function startSweeper(deps: AppDeps, opts: { background?: boolean } = {}): Sweeper {
  const c = deps.config;
  let running = false;
  let ticks = 0;
  const runOnce = async () => {
    const r = await sweepStaleLeases(deps.sql, nowIso(), {
      timeoutSeconds: c.jobTimeoutSeconds,
      graceSeconds: c.jobTimeoutGraceSeconds,
      maxAttempts: c.jobMaxAttempts,
    });
    if (r.requeued > 0) await deps.queue.jobsQueued();
    return r;
  };
  if (opts.background === false) return { runOnce, stop() {} };
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      await runOnce();
      if (++ticks % 720 === 0) await purgeIdempotencyKeys(deps.sql);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "CONNECTION_ENDED" || code === "CONNECTION_DESTROYED") {
        clearInterval(timer);
        void deps.queue.stop();
      } else {
        consola.warn(`lease sweep failed: ${(e as Error).message}`);
      }
    } finally {
      running = false;
    }
  }, c.sweepIntervalSeconds * 1000);
  timer.unref?.();
  const stagingMaxAgeMs = c.stagingMaxAgeSeconds * 1000;
  let sweepingStaging = false;
  const stagingTimer = setInterval(
    async () => {
      if (sweepingStaging) return;
      sweepingStaging = true;
      try {
        const n = await deps.storage.sweepStaging({ startup: false, maxAgeMs: stagingMaxAgeMs });
        if (n > 0) consola.info(`removed ${n} staged upload file${n === 1 ? "" : "s"} idle for more than ${c.stagingMaxAgeSeconds} s`);
      } finally {
        sweepingStaging = false;
      }
    },
    Math.max(1000, Math.min(60_000, stagingMaxAgeMs / 2)),
  );
  stagingTimer.unref?.();
  return {
    runOnce,
    stop() {
      clearInterval(timer);
      clearInterval(stagingTimer);
    },
  };
}
