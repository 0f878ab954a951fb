/**
 * Wakes long-polling `POST /v1/jobs/lease?wait=S` calls when a job becomes queued (docs/decisions.md §5).
 * In-process waiters are woken directly by whoever queued the job in this process; other replicas
 * are reached through PostgreSQL NOTIFY on channel `annopage_job_queued` (LISTEN on a dedicated
 * connection, opened on first use). The embedded database does not deliver NOTIFY to postgres.js
 * listeners, but then this process owns the database and every queueing happens here, so the
 * in-process wake-up is complete.
 *
 * One queued job wakes one waiter (the one waiting longest), not all of them: with W workers
 * long-polling, waking every one made W lease attempts (W × one statement) race for one job. A
 * woken waiter that finds nothing simply waits again; every waiter also re-checks once a second.
 * The NOTIFY payload carries the number of jobs queued.
 */
import type { Sql } from "../../db/client.ts";
import { Subscription } from "../../db/listen.ts";
import { JOB_QUEUED_CHANNEL as QUEUE_CHANNEL, notifyJobsQueued } from "../../db/jobs.ts";

export class QueueSignal {
  private waiters = new Set<() => void>();
  private readonly subscription: Subscription;
  private stopped_ = false;

  constructor(
    private readonly sql: Sql,
    private readonly useNotify: boolean,
  ) {
    this.subscription = new Subscription(sql, QUEUE_CHANNEL, (payload) => this.wake(Number(payload) || 1));
  }

  /** Opens the LISTEN connection (idempotent); failures are logged and retried on next use. */
  ensureListening(): Promise<void> {
    if (!this.useNotify || this.stopped_) return Promise.resolve();
    return this.subscription.open();
  }

  /** True after stop(): long-polls answer at once instead of waiting. */
  get stopped(): boolean {
    return this.stopped_;
  }

  /** Wakes every waiter of this process. */
  wakeLocal(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /** Wakes up to `n` waiters of this process, longest waiting first. */
  wake(n: number): void {
    for (const w of this.waiters) {
      if (n-- <= 0) break;
      w(); // removes itself from the set
    }
  }

  /**
   * Call after committing a transaction that made `n` jobs `queued`. `notified`: the transaction
   * already sent the NOTIFY itself (db/jobs.ts queueIfComplete), so only this process's waiters are woken.
   */
  async jobsQueued(n = 1, notified = false): Promise<void> {
    this.wake(n);
    if (this.useNotify && !this.stopped_ && !notified) {
      await notifyJobsQueued(this.sql, n).catch(() => {});
    }
  }

  /** Resolves when woken or after `ms`; `signal` aborts the wait early. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  async stop(): Promise<void> {
    this.stopped_ = true;
    this.wakeLocal();
    await this.subscription.close();
  }
}
