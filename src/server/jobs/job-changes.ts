/**
 * The change feed behind `GET /v1/jobs/events` (the dashboard's live job list): ONE bounded poll per server process,
 * whatever the number of watchers — while anybody watches, every `intervalMs` one statement lists the jobs whose
 * last_change or finished_date falls in the last `overlapSeconds` (db/jobs.ts listJobsChangedSince); a job is passed
 * on when its row version (xmin) differs from the one last passed on, so each change reaches each watcher once.
 * The overlap absorbs clock differences between replicas (every replica writes timestamps with its own clock) and
 * transactions that commit a moment after their timestamp; after a failed poll the window reaches back to the last
 * good one. Nobody watching: no statement at all. Works the same on the embedded database (which does not deliver
 * NOTIFY) and across replicas (each polls for its own watchers).
 */
import { consola } from "consola";
import type { Sql } from "../../db/client.ts";
import { listJobsChangedSince, type JobRow } from "../../db/jobs.ts";
import { addSeconds } from "../../shared/timestamps.ts";
import { nowIso } from "./clock.ts";

export interface JobWatcher {
  onJob(job: JobRow): void;
  /** The server stops: end the stream. */
  onClose(): void;
}

export class JobChanges {
  private readonly watchers = new Set<JobWatcher>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private versions = new Map<string, string>();
  private lastGoodStart: string | undefined;
  private failing = false;
  private stopped = false;

  constructor(
    private readonly sql: Sql,
    private readonly intervalMs = 1000,
    private readonly overlapSeconds = 10,
  ) {}

  get watching(): number {
    return this.watchers.size;
  }

  /** Starts passing changes to `w`; returns the unsubscribe function. */
  subscribe(w: JobWatcher): () => void {
    if (this.stopped) {
      queueMicrotask(() => w.onClose());
      return () => {};
    }
    this.watchers.add(w);
    if (this.watchers.size === 1) this.schedule();
    return () => {
      this.watchers.delete(w);
      if (this.watchers.size === 0) this.idle();
    };
  }

  private idle(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.versions.clear();
    this.lastGoodStart = undefined;
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.watchers.size === 0) return;
    this.timer = setTimeout(() => void this.poll(), this.intervalMs);
  }

  private async poll(): Promise<void> {
    const start = nowIso();
    const windowStart = addSeconds(start, -this.overlapSeconds);
    const since =
      this.lastGoodStart && addSeconds(this.lastGoodStart, -this.overlapSeconds) < windowStart
        ? addSeconds(this.lastGoodStart, -this.overlapSeconds)
        : windowStart;
    try {
      const rows = await listJobsChangedSince(this.sql, since);
      const next = new Map<string, string>();
      for (const job of rows) {
        next.set(job.id, job.row_version);
        if (this.versions.get(job.id) === job.row_version) continue;
        for (const w of this.watchers) w.onJob(job);
      }
      this.versions = next;
      this.lastGoodStart = start;
      this.failing = false;
    } catch (e) {
      if (!this.failing) consola.warn(`job change feed: ${(e as Error).message}`);
      this.failing = true;
    }
    this.timer = undefined;
    this.schedule();
  }

  /** Ends every watcher's stream (server shutdown). */
  stop(): void {
    this.stopped = true;
    const ws = [...this.watchers];
    this.watchers.clear();
    this.idle();
    for (const w of ws) w.onClose();
  }
}
