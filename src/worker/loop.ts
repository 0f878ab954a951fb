/**
 * The worker loop: lease a job (long-poll when the server offers it, else sleep `--wait`
 * seconds between empty polls), run it, repeat. Network errors and 5xx while leasing are retried
 * with growing pauses (1 s … 30 s), so the worker survives a server restart. An API key the
 * server refuses ends the loop with an error.
 *
 * Shutdown (`stop()`, wired to SIGTERM/SIGINT by the command): no new leases; the running job
 * gets `graceSeconds` to finish, then its processor is stopped and the lease released so another
 * worker picks the job up at once. A second stop request skips the grace period.
 */
import { ApiClient, ApiError } from "../client/api.ts";
import { CliError } from "../shared/cli-error.ts";
import { runJob, type JobReport, type Logger } from "./job-runner.ts";
import type { WorkerOptions } from "./options.ts";

export interface WorkerHandle {
  /** Resolves with every job report when the loop has ended. */
  done: Promise<JobReport[]>;
  /** Graceful stop; a second call (or `immediate`) skips the grace period. */
  stop(immediate?: boolean): void;
}

export function createApi(options: Pick<WorkerOptions, "apiUrl" | "apiKey">, log: Logger): ApiClient {
  return new ApiClient({
    apiUrl: options.apiUrl,
    apiKey: options.apiKey,
    userAgent: "AnnoPageWorker/1.0",
    retry: { attempts: 8, baseDelayMs: 250, maxDelayMs: 8000 },
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
        let lease;
        try {
          lease = await api.leaseJob({ wait: options.waitSeconds });
          failures = 0;
        } catch (e) {
          if (e instanceof ApiError && !e.transient) {
            if (e.status === 401 || e.status === 403) throw new CliError(`the server refused the worker key: ${e.code}: ${e.detail}`, 1);
            log.error(`lease request failed: ${e.message}`);
          } else log.warn(`server not reachable: ${(e as Error).message}`);
          failures++;
          await sleepUnless(Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5)), stopping.signal);
          continue;
        }
        if (!lease) {
          // A long-polling server already waited; a reference server answered at once.
          const left = options.waitSeconds * 1000 - (performance.now() - t0);
          if (left > 0) await sleepUnless(left, stopping.signal);
          continue;
        }
        if (stopping.signal.aborted) {
          // Leased while a stop was requested: hand it straight back.
          await api.releaseLease(lease.id, { leaseToken: lease.lease_token }).catch((e) => log.warn(`release of ${lease.id} failed: ${(e as Error).message}`));
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

function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}
