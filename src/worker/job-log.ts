/**
 * Streams a job's technical log (`log`), human progress (`log_user`) and `progress` to the server
 * in batches: lines collect in memory and go out in one `PATCH /v1/jobs/{id}` at most every
 * `flushMs` (each PATCH also renews the lease). The technical log sent to the server is capped
 * (`maxLogBytes`); the full output stays in the job's `worker.log`.
 */
import type { ApiClient } from "../client/api.ts";
import type { LeaseKeeper } from "./lease-keeper.ts";

export class JobLog {
  private log: string[] = [];
  private user: string[] = [];
  private progress: number | undefined;
  private sentBytes = 0;
  private truncated = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly keeper: LeaseKeeper,
    private readonly opts: { flushMs: number; maxLogBytes: number; onWarn?: (msg: string) => void },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A technical line (processor output, worker events). */
  line(text: string): void {
    if (this.truncated) return;
    const bytes = Buffer.byteLength(text) + 1;
    if (this.sentBytes + bytes > this.opts.maxLogBytes) {
      this.truncated = true;
      this.log.push("[worker] log truncated here; the full output is in worker.log in the job directory");
      return;
    }
    this.sentBytes += bytes;
    this.log.push(text);
  }

  /** A human-readable line for the job's owner. */
  userLine(text: string): void {
    this.user.push(text);
  }

  setProgress(p: number): void {
    this.progress = Math.max(0, Math.min(1, p));
  }

  get pending(): boolean {
    return this.log.length > 0 || this.user.length > 0 || this.progress !== undefined;
  }

  /** Takes what is pending without sending it (used to attach it to the final done/error PATCH). */
  take(): { log?: string; log_user?: string } {
    const out = { log: this.log.length ? this.log.join("\n") : undefined, log_user: this.user.length ? this.user.join("\n") : undefined };
    this.log = [];
    this.user = [];
    this.progress = undefined;
    return out;
  }

  /** Sends what is pending (one request at a time). */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (!this.pending || this.keeper.signal.aborted) return;
    const progress = this.progress;
    const { log, log_user } = this.take();
    this.flushing = (async () => {
      try {
        const lease = await this.api.updateProgress(this.keeper.jobId, { progress, log, log_user }, { leaseToken: this.keeper.token });
        this.keeper.renewed(lease);
      } catch (e) {
        this.keeper.check(e);
        if (this.keeper.signal.aborted) return;
        this.opts.onWarn?.(`log update for job ${this.keeper.jobId} failed: ${(e as Error).message}`);
        // Keep the lines for the next attempt (a lost answer may duplicate them; never drop them).
        if (log) this.log.unshift(log);
        if (log_user) this.user.unshift(log_user);
        if (progress !== undefined && this.progress === undefined) this.progress = progress;
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }
}
