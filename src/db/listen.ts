/**
 * One LISTEN subscription opened on first use (postgres.js keeps a dedicated connection for all of
 * a client's channels and re-listens after a reconnect, calling `onListen` again). A failure to
 * open is logged and retried on the next `open`. Used by the job-queue signal and the key cache.
 */
import { consola } from "consola";
import type { Sql } from "./client.ts";

export class Subscription {
  private opening: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private closed = false;

  constructor(
    private readonly sql: Sql,
    private readonly channel: string,
    private readonly onNotify: (payload: string) => void,
    private readonly onListen?: () => void,
  ) {}

  /** Opens the subscription (idempotent); resolves when it listens or has failed (and was logged). */
  open(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.opening ??= this.sql
      .listen(this.channel, this.onNotify, this.onListen)
      .then((meta) => {
        this.unlisten = () => meta.unlisten();
      })
      .catch((e) => {
        this.opening = undefined;
        consola.warn(`LISTEN ${this.channel} failed: ${(e as Error).message}`);
      });
    return this.opening;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.opening;
    await this.unlisten?.().catch(() => {});
  }
}
