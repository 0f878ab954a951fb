/**
 * The API server as `annopage serve` runs it (and the demo and the tests start it): src/server/serve.ts given what
 * the server does not import itself — local workers in its process (local-workers.ts) and the built-in engine's
 * configuration, the page processor's default config.ini.
 */
import type { ServerConfig } from "../config.ts";
import { DEFAULT_CONFIG_INI } from "../processor/config/engine-config.ts";
import { startApiServer, type RunningServer, type StartOptions } from "../server/serve.ts";
import { startLocalWorkers } from "./local-workers.ts";

export interface ServeOptions extends Omit<StartOptions, "startWorkers" | "builtinEngineConfig"> {
  /** Local workers to run in this process (default 0). */
  workers?: number;
  /** Their processor command (default: this program's own `annopage process`). */
  processor?: string[];
  /** Register the built-in engine (default true). */
  builtinEngine?: boolean;
}

export function startServer(config: ServerConfig, opts: ServeOptions = {}): Promise<RunningServer> {
  const { workers = 0, processor, builtinEngine = true, ...rest } = opts;
  return startApiServer(config, {
    ...rest,
    builtinEngineConfig: builtinEngine ? DEFAULT_CONFIG_INI : undefined,
    startWorkers: (sql, url) => startLocalWorkers(sql, config, url, workers, { processor }),
  });
}
