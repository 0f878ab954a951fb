/**
 * Verified-key rows kept in memory for a short time, so that a request costs no key lookup in the
 * database (docs/performance.md §1: the hot path of every endpoint). Only the row is cached: every request still
 * hashes the secret it presents and compares it in constant time with the cached hash.
 *
 * Freshness: an entry lives `ttlMs` (default 2 s) at most. Changes of credentials, role or active
 * flag made through this process clear the cache at once (the admin routes call `clear`); changes
 * made anywhere else reach every replica through the `keys_changed` trigger (sql/004_key_change_notify.sql) and LISTEN on
 * `annopage_keys_changed`. The embedded database does not deliver NOTIFY, but then this process
 * owns the database and every key change runs here. A lost LISTEN connection leaves the TTL as the
 * bound.
 */
import type { Sql } from "../../db/client.ts";
import { Subscription } from "../../db/listen.ts";
import type { KeyRow } from "../../db/keys.ts";

const KEYS_CHANNEL = "annopage_keys_changed";
const MAX_ENTRIES = 10_000;

export class KeyCache {
  private rows = new Map<string, { row: KeyRow; until: number }>();
  private readonly subscription: Subscription;
  private stopped = false;
  /** Bumped by every clear: a row read from the database before a clear is not cached after it. */
  private generation = 0;

  constructor(
    sql: Sql,
    private readonly useNotify: boolean,
    private readonly ttlMs = 2_000,
  ) {
    // a notification, or a (re)established LISTEN that may have missed some, clears the cache
    this.subscription = new Subscription(
      sql,
      KEYS_CHANNEL,
      () => this.clear(),
      () => this.clear(),
    );
  }

  /** The cached row of `kid` while it is fresh. */
  get(kid: string): KeyRow | undefined {
    const e = this.rows.get(kid);
    if (!e) return undefined;
    if (performance.now() > e.until) {
      this.rows.delete(kid);
      return undefined;
    }
    return e.row;
  }

  /** Take before reading a row from the database; pass to `set`. */
  ticket(): number {
    return this.generation;
  }

  set(row: KeyRow, ticket: number): void {
    if (this.ttlMs <= 0 || this.stopped || ticket !== this.generation) return;
    if (this.useNotify) void this.subscription.open();
    if (this.rows.size >= MAX_ENTRIES) this.rows.clear();
    this.rows.set(row.kid, { row, until: performance.now() + this.ttlMs });
  }

  /** Forget every cached key (after a key change). */
  clear(): void {
    this.generation++;
    this.rows.clear();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clear();
    await this.subscription.close();
  }
}
