/**
 * `annopage serve --workers N`: N workers in the server's own process, talking to it over
 * loopback HTTP exactly like remote workers, with a worker key the server provisions for itself
 * (label `local-worker`, see server/keys/internal-keys.ts). They run the built-in processor on the CPU and share
 * the machine: each processes up to cores / N pages of a job in parallel (`--process-count`), fewer when
 * memory would not hold them (a page process with OCR peaks at ~250 MB; 512 MiB are counted per process).
 */
import { availableParallelism, totalmem } from "node:os";
import { join } from "node:path";
import { consola } from "consola";
import type { ServerConfig } from "../config.ts";
import type { Sql } from "../db/client.ts";
import { provisionInternalKey } from "../server/keys/internal-keys.ts";
import type { LocalWorkers } from "../server/serve.ts";
import { startWorker, type WorkerHandle } from "../worker/loop.ts";
import { DEFAULTS, defaultProcessor } from "../worker/options.ts";

const LOCAL_WORKER_LABEL = "local-worker";

/** Page processes per local worker: the cores, then the memory, shared by `count` workers; at least 1. */
export function localProcessCount(count: number, cores = availableParallelism(), memoryBytes = totalmem()): number {
  return Math.max(1, Math.min(Math.floor(cores / count), Math.floor(memoryBytes / (512 * 1024 * 1024) / count)));
}

export async function startLocalWorkers(
  sql: Sql,
  config: ServerConfig,
  apiUrl: string,
  count: number,
  opts: { processor?: string[]; graceSeconds?: number; waitSeconds?: number } = {},
): Promise<LocalWorkers> {
  if (count <= 0) return { count: 0, stop: async () => {} };
  const apiKey = await provisionInternalKey(sql, config, LOCAL_WORKER_LABEL, "worker");
  const handles: WorkerHandle[] = [];
  for (let i = 0; i < count; i++) {
    const tag = `[worker ${i + 1}]`;
    const log = {
      debug: (m: string) => consola.debug(`${tag} ${m}`),
      info: (m: string) => consola.info(`${tag} ${m}`),
      warn: (m: string) => consola.warn(`${tag} ${m}`),
      error: (m: string) => consola.error(`${tag} ${m}`),
    };
    const base = join(config.baseDir, "worker");
    handles.push(
      startWorker(
        {
          apiUrl,
          apiKey,
          waitSeconds: opts.waitSeconds ?? DEFAULTS.waitSeconds,
          jobsDir: join(base, "jobs"),
          enginesDir: join(base, "engines"),
          cleanupJobDir: true,
          cleanupOldEngines: true,
          once: false,
          processor: opts.processor ?? defaultProcessor(),
          device: "cpu",
          processCount: localProcessCount(count),
          partialExitCode: opts.processor === undefined,
          loggingLevel: "INFO",
          graceSeconds: opts.graceSeconds ?? DEFAULTS.graceSeconds,
          heartbeatMs: DEFAULTS.heartbeatMs,
          logFlushMs: DEFAULTS.logFlushMs,
          maxLogBytes: DEFAULTS.maxLogBytes,
          processorTimeoutMs: 0,
        },
        log,
      ),
    );
  }
  return {
    count,
    async stop(immediate = false) {
      for (const h of handles) h.stop(immediate);
      await Promise.allSettled(handles.map((h) => h.done));
    },
  };
}
