/**
 * The worker loop: lease a job (long-poll when the server offers it, else sleep `--wait`
 * seconds between empty polls), run it, repeat. Network errors and 5xx while leasing (a server
 * restart, 503 DATABASE_UNAVAILABLE while its database is down) are retried with growing pauses
 * (LEASE_BACKOFF, the shared backoff of src/shared/retry.ts), so the worker outlives both. An API
 * key the server refuses ends the loop with an error.
 *
 * Shutdown (`stop()`, wired to SIGTERM/SIGINT by the command): no new leases; the running job
 * gets `graceSeconds` to finish, then its processor is stopped and the lease released so another
 * worker picks the job up at once. A second stop request skips the grace period.
 */
import { ApiClient, ApiError } from "../client/api.ts";
import { CliError } from "../shared/cli-error.ts";
import { backoffDelay, sleep, type Backoff, type RetryPolicy } from "../shared/retry.ts";
import { runJob, type JobReport, type Logger } from "./job-runner.ts";
import type { WorkerOptions } from "./options.ts";

export interface WorkerHandle {
  /** Resolves with every job report when the loop has ended. */
  done: Promise<JobReport[]>;
  /** Graceful stop; a second call (or `immediate`) skips the grace period. */
  stop(immediate?: boolean): void;
}

/** Each request of a running job: about half a minute of pauses before it gives up. */
const WORKER_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 250, maxDelayMs: 8000 };
/** Pauses between failed lease calls (the loop never gives up on those). */
const LEASE_BACKOFF: Backoff = { baseDelayMs: 1000, maxDelayMs: 30_000 };

function createApi(options: Pick<WorkerOptions, "apiUrl" | "apiKey">, log: Logger): ApiClient {
  return new ApiClient({
    apiUrl: options.apiUrl,
    apiKey: options.apiKey,
    userAgent: "AnnoPageWorker/1.0",
    retry: WORKER_RETRY,
    onRetry: ({ method, path, attempt, delayMs, error }) =>
      log.warn(`${method} ${path} failed (${error.status || error.code}: ${error.detail}); retry ${attempt} in ${delayMs} ms`),
  });
}

export function startWorker(options: WorkerOptions, log: Logger): WorkerHandle {
  const api = createApi(options, log);
  const stopping = new AbortController();
  const release = new AbortController();
  let graceTimer: ReturnType<typeof setTimeout> | undefined;

  const stop = (immediate = false) => {
    if (stopping.signal.aborted || immediate) {
      if (!release.signal.aborted) log.warn("stopping now: a running job is released");
      stopping.abort();
      release.abort();
      return;
    }
    stopping.abort();
    log.warn(`stopping: no new jobs; a running job has ${options.graceSeconds} s to finish`);
    graceTimer = setTimeout(() => release.abort(), options.graceSeconds * 1000);
  };

  const done = (async () => {
    const reports: JobReport[] = [];
    let failures = 0;
    try {
      while (!stopping.signal.aborted) {
        const t0 = performance.now();
        let lease: Awaited<ReturnType<typeof api.leaseJob>>;
        try {
          lease = await api.leaseJob({ wait: options.waitSeconds });
          failures = 0;
        } catch (e) {
          failures++;
          const delayMs = backoffDelay(failures, LEASE_BACKOFF, e instanceof ApiError ? e.retryAfterMs : undefined);
          if (e instanceof ApiError && !e.transient) {
            if (e.status === 401 || e.status === 403) throw new CliError(`the server refused the worker key: ${e.code}: ${e.detail}`, 1);
            log.error(`lease request failed: ${e.message}`);
          } else {
            const why = e instanceof ApiError && e.status ? `${e.status} ${e.code}` : `server not reachable: ${(e as Error).message}`;
            log.warn(`lease request failed (${why}); next try in ${(delayMs / 1000).toFixed(1)} s`);
          }
          await sleep(delayMs, stopping.signal);
          continue;
        }
        if (!lease) {
          // A long-polling server already waited; a reference server answered at once.
          const left = options.waitSeconds * 1000 - (performance.now() - t0);
          if (left > 0) await sleep(left, stopping.signal);
          continue;
        }
        if (stopping.signal.aborted) {
          // Leased while a stop was requested: hand it straight back.
          await api
            .releaseLease(lease.id, { leaseToken: lease.lease_token })
            .catch((e) => log.warn(`release of ${lease.id} failed: ${(e as Error).message}`));
          break;
        }
        log.info(`leased job ${lease.id}`);
        const report = await runJob({ api, options, log, release: release.signal }, lease);
        reports.push(report);
        if (options.once) break;
      }
      return reports;
    } finally {
      if (graceTimer) clearTimeout(graceTimer);
    }
  })();

  return { done, stop };
}
