/**
 * The API server: open the database (embedded or real), migrate, seed keys, listen. Returns a handle.
 * What the server must not know itself (local workers, the built-in engine's configuration) is passed in by
 * src/cli/serve.ts, which `annopage serve`, the demo and the tests start it through.
 */
import { mkdirSync } from "node:fs";
import { consola } from "consola";
import { DEFAULT_HMAC_SECRET, type ServerConfig } from "../config.ts";
import { CliError } from "../shared/cli-error.ts";
import { APP_CODES } from "../shared/codes.ts";
import { jsonResponse } from "./errors.ts";
import { openDatabase, type Database } from "../db/database.ts";
import type { Sql } from "../db/client.ts";
import { createApp } from "./app.ts";
import { bootstrapKeys } from "./keys/bootstrap.ts";
import type { AppDeps, ServerDeps } from "./context.ts";
import { ensureBuiltinEngine } from "./ops/builtin-engine.ts";
import { warmUp, warmUpRounds } from "./ops/warm-up.ts";

/** Workers running inside the server's process (src/cli/local-workers.ts). */
export interface LocalWorkers {
  count: number;
  /** Graceful stop of every local worker (running jobs get the grace period, then are released). */
  stop(immediate?: boolean): Promise<void>;
}

const NO_WORKERS: LocalWorkers = { count: 0, stop: async () => {} };

export interface RunningServer {
  url: string;
  port: number;
  deps: AppDeps;
  db: Database;
  generatedAdminKey?: string;
  startupMs: number;
  /** The self warm-up before listening (server/ops/warm-up.ts). */
  warmUp: { requests: number; ms: number };
  /** Workers running inside this process (`--workers N`). */
  workers: LocalWorkers;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Starts the local workers once the server listens at `url` (not on a replica); none without it. */
  startWorkers?: (sql: Sql, url: string) => Promise<LocalWorkers>;
  /** The built-in engine's config.ini: with it the built-in engine is registered (server/ops/builtin-engine.ts). */
  builtinEngineConfig?: string;
  /**
   * Bind with SO_REUSEPORT so that replicas can share the port (server/ops/replicas.ts). The primary first checks that the port
   * is free (a plain bind), so that a second server on the same port still fails with "already in use".
   */
  reusePort?: boolean;
  /**
   * A replica of a primary that runs the once-only parts: no start-up staging sweep, built-in engine, background
   * sweeper, local workers or key bootstrap here; the port is shared (`reusePort`) with the primary.
   */
  replica?: boolean;
  /** Rounds of the self warm-up before listening (server/ops/warm-up.ts; default WARMUP_ROUNDS). */
  warmUpRounds?: number;
}

export async function startApiServer(config: ServerConfig, opts: StartOptions = {}): Promise<RunningServer> {
  const t0 = performance.now();
  for (const d of [config.baseDir, config.jobsDir, config.resultsDir, config.artifactsDir, config.enginesDir, config.logsDir]) {
    mkdirSync(d, { recursive: true });
  }
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    baseDir: config.baseDir,
    poolSize: config.databasePoolSize,
    allowUpdate: config.databaseAllowUpdate,
    force: config.databaseForce,
  });
  let server: ReturnType<typeof Bun.serve> | undefined;
  let app: ReturnType<typeof createApp> | undefined;
  try {
    const deps: ServerDeps = { config, sql: db.sql, embedded: !!db.embedded };
    const replica = opts.replica === true;
    app = createApp(deps, { sweeper: !replica });
    await app.deps.storage.ready?.();
    if (!replica) {
      // Staged files of an earlier run of this instance that was killed mid-upload (and any long idle ones).
      const swept = await app.deps.storage.sweepStaging({ startup: true, maxAgeMs: config.stagingMaxAgeSeconds * 1000 });
      if (swept > 0) consola.info(`removed ${swept} staged upload file${swept === 1 ? "" : "s"} left by an earlier run`);
      if (opts.builtinEngineConfig !== undefined) await ensureBuiltinEngine(db.sql, app.deps.storage, opts.builtinEngineConfig);
    }
    // JIT-compile the request paths before the first client comes (server/ops/warm-up.ts)
    const warm = await warmUp(app.deps, app.fetch, opts.warmUpRounds ?? warmUpRounds());
    server = listen(config, app.fetch, { reusePort: replica || opts.reusePort === true, probe: !replica });
    const s = server;
    const a = app;
    const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${s.port}`;
    const workers = replica || !opts.startWorkers ? NO_WORKERS : await opts.startWorkers(db.sql, url);
    // Keys last, once everything else has started: a start that fails (port in use) must not store a
    // generated admin key that nobody was shown (the next start would find it and print nothing).
    let generatedAdminKey: string | undefined;
    try {
      if (!replica) ({ generatedAdminKey } = await bootstrapKeys(db.sql, config));
    } catch (e) {
      await workers.stop(true);
      throw e;
    }
    let stopping: Promise<void> | undefined;
    return {
      url,
      port: s.port!,
      deps: a.deps,
      db,
      generatedAdminKey,
      startupMs: performance.now() - t0,
      warmUp: warm,
      workers,
      stop() {
        stopping ??= (async () => {
          await workers.stop(); // running jobs get their grace period, then go back to the queue
          await a.dispose(); // background sweeper, LISTEN connection, open long-poll lease calls
          await s.stop(false); // finish in-flight requests
          await db.close();
        })();
        return stopping;
      },
    };
  } catch (e) {
    server?.stop(true);
    await app?.dispose().catch(() => {});
    await db.close().catch(() => {});
    throw e;
  }
}

/**
 * Bun.serve on the configured address; a port in use is one clear line (CliError, exit 1). With `reusePort` the socket
 * can be shared with replicas; `probe` first binds the port without it (and lets it go), so that a port another server
 * holds is still refused, and `--port 0` picks the port the replicas then join.
 */
function listen(
  config: ServerConfig,
  fetch: (req: Request) => Response | Promise<Response>,
  o: { reusePort: boolean; probe: boolean },
): ReturnType<typeof Bun.serve> {
  let port = config.port;
  if (o.reusePort && o.probe) {
    const probe = bind(config, port, () => new Response(null, { status: 503 }), false);
    port = probe.port!;
    probe.stop(true);
  }
  return bind(config, port, fetch, o.reusePort);
}

function bind(
  config: ServerConfig,
  port: number,
  fetch: (req: Request) => Response | Promise<Response>,
  reusePort: boolean,
): ReturnType<typeof Bun.serve> {
  try {
    return Bun.serve({
      hostname: config.host,
      port,
      reusePort,
      fetch,
      // Uploads are streamed; the limit is enforced per route with a clear code (413).
      maxRequestBodySize: config.maxUploadBytes + 1024 * 1024,
      idleTimeout: 120,
      // Never Bun's HTML error page (it shows source code): an error that escapes the app's own handling is logged
      // and answered in the error envelope.
      development: false,
      error: escapedError,
    });
  } catch (e) {
    if ((e as { code?: string }).code === "EADDRINUSE") {
      throw new CliError(`port ${config.port} on ${config.host} is already in use; choose another with --port or APP_PORT`, 1);
    }
    throw e;
  }
}

/** Bun.serve's last resort, for an error thrown outside Hono's onError (the app renders every other one). */
function escapedError(e: Error): Response {
  consola.error("request failed outside the application's error handling:", e);
  return jsonResponse({ status: 500, code: "INTERNAL_ERROR", detail: APP_CODES.INTERNAL_ERROR[1] }, 500);
}

/** The first line of the start-up banner (also written to the server log file by the serve command). */
export function listeningLine(s: RunningServer): string {
  return (
    `annopage serve listening on ${s.url} (${s.db.embedded ? `embedded PostgreSQL in ${s.db.embedded.dataDir}` : "PostgreSQL"}, ` +
    `${s.workers.count} local worker${s.workers.count === 1 ? "" : "s"}, ${s.db.created ? "database created, " : ""}schema ${s.db.migration.current}` +
    `${s.deps.config.databaseForce ? " (not checked: DATABASE_FORCE)" : ""}${s.db.migration.applied.length ? `, applied ${s.db.migration.applied.join(", ")}` : ""}; ` +
    `started in ${s.startupMs.toFixed(0)} ms${s.warmUp.requests ? `, ${s.warmUp.ms.toFixed(0)} of them warming up with ${s.warmUp.requests} requests` : ""})`
  );
}

/**
 * Prints the start-up banner: where the server and its documentation are; the generated admin key
 * once, to stderr, never logged; a warning while HMAC_SECRET is the reference's public default.
 */
export function announce(s: RunningServer): void {
  // Written directly (not through consola, which goes quiet under NODE_ENV=test): scripts and tests
  // read this line to learn the URL.
  const out = (line: string) => process.stderr.write(`${line}\n`);
  out(listeningLine(s));
  out(`API documentation: ${s.url}/docs`);
  if (s.generatedAdminKey) {
    out(`\nGenerated the admin API key (shown only this once; only its hash is stored):\n\n  ${s.generatedAdminKey}\n`);
    out(`Keep it. To choose the admin key yourself (or replace a lost one), start with ADMIN_KEY=<prefix.kid.secret>.\n`);
  } else if (!s.deps.config.adminKey) {
    out(`Admin key: the existing one, shown only when it was generated (set ADMIN_KEY=<prefix.kid.secret> to replace it).`);
  }
  if (s.deps.config.hmacSecret === DEFAULT_HMAC_SECRET) {
    out(
      `Warning: HMAC_SECRET is the public default; set it to a long random secret before anyone else can reach this server (keys must be re-issued after a change).`,
    );
  }
}
