/**
 * Keeps a lease alive for the whole time a job is being worked on: `PATCH …/lease` whenever
 * nothing else renewed it for `intervalMs` (a progress/log PATCH renews it too). The interval is
 * capped at a third of the lease duration the server announced. When the server says the job is
 * no longer ours (cancelled, reclaimed, stale token) the keeper's `signal` aborts with a
 * JobLostError; transient failures are logged and retried on the next tick.
 */
import type { ApiClient, JobLease } from "../client/api.ts";
import { isJobLost, JobLostError, lostReason } from "./errors.ts";

export class LeaseKeeper {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastRenew = Date.now();
  private inFlight = false;
  readonly intervalMs: number;
  leaseExpireAt: string;

  constructor(
    private readonly api: ApiClient,
    readonly lease: JobLease,
    opts: { maxIntervalMs: number; onWarn?: (msg: string) => void },
  ) {
    const duration = Date.parse(lease.lease_expire_at) - Date.parse(lease.server_time);
    const third = Number.isFinite(duration) && duration > 0 ? duration / 3 : opts.maxIntervalMs;
    this.intervalMs = Math.max(50, Math.min(opts.maxIntervalMs, third));
    this.leaseExpireAt = lease.lease_expire_at;
    this.onWarn = opts.onWarn;
  }
  private readonly onWarn: ((msg: string) => void) | undefined;

  get jobId(): string {
    return this.lease.id;
  }
  get token(): string | null | undefined {
    return this.lease.lease_token;
  }
  /** Aborted (reason: JobLostError) when the job is no longer ours. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  get lost(): JobLostError | undefined {
    return this.controller.signal.aborted ? (this.controller.signal.reason as JobLostError) : undefined;
  }

  start(): void {
    const tick = Math.max(25, Math.min(250, this.intervalMs / 4));
    this.timer = setInterval(() => void this.maybeRenew(), tick);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
  }
  private stopped = false;

  /** Something else (a progress PATCH) renewed the lease. */
  renewed(lease?: JobLease | null): void {
    this.lastRenew = Date.now();
    if (lease) this.leaseExpireAt = lease.lease_expire_at;
  }

  /** Records a server answer that says the job is gone (from any request about this job). */
  check(e: unknown): void {
    if (isJobLost(e)) this.markLost(lostReason(e));
  }

  markLost(reason: string): void {
    if (!this.controller.signal.aborted) this.controller.abort(new JobLostError(reason));
  }

  private async maybeRenew(): Promise<void> {
    if (this.inFlight || this.signal.aborted || Date.now() - this.lastRenew < this.intervalMs) return;
    this.inFlight = true;
    try {
      const lease = await this.api.extendLease(this.jobId, { leaseToken: this.token });
      this.renewed(lease);
    } catch (e) {
      if (this.stopped) return;
      this.check(e);
      if (!this.signal.aborted) this.onWarn?.(`heartbeat for job ${this.jobId} failed: ${(e as Error).message}`);
    } finally {
      this.inFlight = false;
    }
  }
}
