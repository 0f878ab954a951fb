/**
 * What every route can reach. `ServerDeps` is what serve.ts hands to createApp; `AppDeps` adds the
 * parts createApp builds once per app: file storage, the job-queue signal, the key cache and the error mailer.
 */
import type { ServerConfig } from "../config.ts";
import type { Sql } from "../db/client.ts";
import type { KeyRow } from "../db/keys.ts";
import type { Storage } from "../storage/storage.ts";
import type { DecodeBudget } from "../media/decode-budget.ts";
import type { ErrorMailer } from "./ops/error-mail.ts";
import type { JobChanges } from "./jobs/job-changes.ts";
import type { KeyCache } from "./keys/key-cache.ts";
import type { QueueSignal } from "./jobs/queue-signal.ts";

export interface ServerDeps {
  config: ServerConfig;
  sql: Sql;
  /** True when the database is the embedded PGlite owned by this process. */
  embedded: boolean;
}

export interface AppDeps extends ServerDeps {
  storage: Storage;
  /** Wakes long-polling lease calls when a job becomes queued (in-process + LISTEN/NOTIFY). */
  queue: QueueSignal;
  /** Verified key rows for a short time (server/keys/key-cache.ts). */
  keys: KeyCache;
  /** Memory budget of the image upload checks that decode (IMAGE_CHECK_MEMORY_MB). */
  imageChecks: DecodeBudget;
  /** Job changes for the dashboard's event streams (one poll per process while anybody watches). */
  jobChanges: JobChanges;
  /** Mails 500 INTERNAL_ERROR failures (server/ops/error-mail.ts); undefined: no mails. */
  errorMail?: ErrorMailer;
}

/** Hono environment: the authenticated key is set by the auth step. */
export interface AppEnv {
  Variables: { key: KeyRow };
}
