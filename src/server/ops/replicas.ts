/**
 * `annopage serve --processes N`: N server processes answering on one port (SO_REUSEPORT; the kernel spreads the
 * connections), so that the server uses every core — one JavaScript thread each. The process started by the user
 * (the primary) runs everything that must run once: migrations, the built-in engine, the admin-key bootstrap, the
 * lease and staging sweeper, local workers. It then starts N − 1 replicas: the same program (`selfCommand`), marked
 * by ANNOPAGE_REPLICA=1, that only answer requests. They share PostgreSQL (LISTEN/NOTIFY wakes long-polling lease
 * calls and clears key caches across processes) and the storage.
 *
 * A replica dies with the primary: its stdin is a pipe from the primary that is never written to (shared/lifeline.ts,
 * as for the processor supervisor); end-of-file means the primary is gone. A replica that ends on its own is
 * restarted with a growing delay (1 s doubling to 30 s; back to 1 s after a minute of running). SIGTERM/SIGINT on the
 * primary stops the replicas gracefully with it. The embedded database (no DATABASE_URL) belongs to one process:
 * it always runs one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { consola } from "consola";
import { CliError } from "../../shared/cli-error.ts";
import { onParentGone } from "../../shared/lifeline.ts";
import { selfCommand } from "../../shared/self.ts";

/** Set (to "1") in a replica's environment. */
const REPLICA_ENV = "ANNOPAGE_REPLICA";
const MAX_PROCESSES = 64;

export const isReplica = (env: Record<string, string | undefined> = process.env) => env[REPLICA_ENV] === "1";

/**
 * How many server processes to run: `--processes`, else APP_PROCESSES, else the CPU count; 1 on the embedded
 * database (with a notice when more were asked for explicitly).
 */
export function processCount(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  embedded: boolean,
): { count: number; notice?: string } {
  const given = flag ?? (env.APP_PROCESSES || undefined);
  const source = flag !== undefined ? "--processes" : "APP_PROCESSES";
  const n = given === undefined ? availableParallelism() : Number(given);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PROCESSES)
    throw new CliError(`${source} must be a whole number from 1 to ${MAX_PROCESSES}, got "${given}"`, 2);
  if (!embedded) return { count: n };
  return {
    count: 1,
    notice:
      given !== undefined && n > 1
        ? `${source} ${n}: the embedded database belongs to one process, so the server runs as one (set DATABASE_URL for more)`
        : undefined,
  };
}

/**
 * Connections per process when `count` processes share DATABASE_POOL_SIZE (the server's total, so that the default —
 * twice the cores — stays the same whatever the process count): an equal share, at least 2.
 */
export const poolShare = (total: number, count: number) => Math.max(2, Math.ceil(total / count));

export interface Replicas {
  /** Process ids of the replicas running now. */
  pids(): number[];
  /** SIGTERM every replica and wait for them (SIGKILL after `graceMs`); no restarts after this. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `count` replicas of `annopage serve` on `port` (the primary's actual port, so that `--port 0` works), with
 * the primary's environment plus `env` (its settings, given as environment variables: the command line stays free of
 * secrets such as the database URL).
 */
export function startReplicas(count: number, env: Record<string, string>): Replicas {
  const children = new Map<number, ChildProcess>();
  let stopping = false;
  const [cmd, ...args] = selfCommand();
  const start = (slot: number, delayMs: number) => {
    const startedAt = Date.now();
    const child = spawn(cmd!, [...args, "serve"], {
      env: { ...process.env, ...env, [REPLICA_ENV]: "1", APP_PROCESSES: "1" },
      // stdin: the lifeline (never written to); the replica's output goes where the primary's goes
      stdio: ["pipe", "inherit", "inherit"],
    });
    children.set(slot, child);
    child.on("error", (e) => consola.error(`server replica ${slot} could not start: ${e.message}`));
    child.on("exit", (code, signal) => {
      if (children.get(slot) === child) children.delete(slot);
      if (stopping) return;
      const next = Date.now() - startedAt > 60_000 ? 1000 : Math.min(30_000, delayMs * 2);
      consola.warn(`server replica ${slot} (pid ${child.pid}) ended (${signal ?? `exit code ${code}`}); restarting it in ${next / 1000} s`);
      setTimeout(() => {
        if (!stopping) start(slot, next);
      }, next).unref();
    });
  };
  for (let slot = 1; slot <= count; slot++) start(slot, 500);
  return {
    pids: () => [...children.values()].map((c) => c.pid!).filter((p) => p !== undefined),
    async stop(graceMs = 30_000) {
      stopping = true;
      const all = [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
      await Promise.all(
        all.map(
          (c) =>
            new Promise<void>((resolve) => {
              const t = setTimeout(() => c.kill("SIGKILL"), graceMs);
              c.once("exit", () => {
                clearTimeout(t);
                resolve();
              });
              c.kill("SIGTERM");
            }),
        ),
      );
    },
  };
}

/** In a replica: exit at once when the primary is gone (its lifeline closed). */
export function exitWithPrimary(): void {
  onParentGone(() => process.exit(0));
}
