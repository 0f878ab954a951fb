/** `annopage serve`: the API server, with local workers in its process (src/cli/serve.ts puts them together). */
import { defineCommand } from "citty";
import { consola } from "consola";
import { loadServerConfig } from "../config.ts";
import { CliError } from "../shared/cli-error.ts";
import { withHelp } from "../shared/usage.ts";
import { attachServerLog } from "../server/ops/log-file.ts";
import { exitWithPrimary, isReplica, poolShare, processCount, startReplicas, type Replicas } from "../server/ops/replicas.ts";
import { announce, listeningLine } from "../server/serve.ts";
import { startServer } from "./serve.ts";

export default withHelp(
  defineCommand({
    meta: { name: "serve", description: "Run the API server (embedded PostgreSQL unless DATABASE_URL is set)" },
    args: {
      host: { type: "string", valueHint: "address", description: "Bind address (APP_HOST, default 0.0.0.0)" },
      port: { type: "string", description: "Port (APP_PORT, default 9999; 0 = any free port)" },
      "base-dir": { type: "string", description: "Data directory (BASE_DIR, default ./annopage_data)" },
      "database-url": { type: "string", description: "PostgreSQL URL (DATABASE_URL); omit for the embedded database" },
      workers: {
        type: "string",
        valueHint: "n",
        description: "Local workers in this process (default: 1 on the embedded database, else 0)",
      },
      processes: {
        type: "string",
        valueHint: "n",
        description: "Server processes sharing the port (APP_PROCESSES, default: the CPU count; 1 on the embedded database)",
      },
    },
    async run({ args }) {
      let config = loadServerConfig(process.env, {
        host: args.host,
        port: args.port,
        baseDir: args["base-dir"],
        databaseUrl: args["database-url"],
      });
      const workers = args.workers === undefined ? (config.databaseUrl ? 0 : 1) : Number(args.workers);
      if (!Number.isInteger(workers) || workers < 0 || workers > 64)
        throw new CliError(`--workers must be a whole number from 0 to 64, got "${args.workers}"`, 2);
      const replica = isReplica();
      if (replica) exitWithPrimary();
      const processes = replica ? { count: 1 } : processCount(args.processes, process.env, !config.databaseUrl);
      if (processes.notice) process.stderr.write(`${processes.notice}\n`);
      // DATABASE_POOL_SIZE is the server's: its processes share it (a replica is given its share as its own)
      if (processes.count > 1) config = { ...config, databasePoolSize: poolShare(config.databasePoolSize, processes.count) };
      const log = attachServerLog(config.logsDir, config.logLevel, config.logFileLevel);
      let server: Awaited<ReturnType<typeof startServer>>;
      let replicas: Replicas | undefined;
      try {
        server = await startServer(config, { workers, replica, reusePort: processes.count > 1 });
      } catch (e) {
        log.fileOnly("ERROR", `start-up failed: ${(e as Error).message}`);
        throw e;
      }
      // Signal handlers first: whoever reads the banner may stop the server at once.
      const stopped = new Promise<void>((resolve) => {
        let signalled = false;
        const onSignal = (sig: string) => {
          if (signalled) {
            process.exit(130);
          }
          signalled = true;
          consola.info(`${sig}: shutting down`);
          Promise.all([server.stop(), replicas?.stop()]).then(
            () => {
              log.fileOnly("INFO", "stopped");
              resolve();
            },
            (e) => {
              consola.error(e);
              resolve();
            },
          );
        };
        process.on("SIGTERM", () => onSignal("SIGTERM"));
        process.on("SIGINT", () => onSignal("SIGINT"));
      });
      if (replica) {
        process.stderr.write(`annopage serve replica (pid ${process.pid}) listening on ${server.url}\n`);
        await stopped;
        return;
      }
      announce(server);
      log.fileOnly("INFO", listeningLine(server));
      if (processes.count > 1) {
        replicas = startReplicas(processes.count - 1, {
          APP_HOST: config.host,
          APP_PORT: String(server.port),
          BASE_DIR: config.baseDir,
          DATABASE_URL: config.databaseUrl!,
          DATABASE_POOL_SIZE: String(config.databasePoolSize),
        });
        const line = `serving with ${processes.count} processes on port ${server.port} (this one and ${processes.count - 1} replica${processes.count === 2 ? "" : "s"})`;
        process.stderr.write(`${line}\n`);
        log.fileOnly("INFO", line);
      }
      await stopped;
    },
  }),
  {
    examples: [
      "annopage serve --port 8080                  # embedded database under ./annopage_data",
      "DATABASE_URL=postgres://user:pw@db/annopage annopage serve --workers 0 --processes 4",
    ],
    notes: [
      "On the first start without ADMIN_KEY it prints a generated admin key once; the documentation is at /docs. " +
        "Every setting is an environment variable (README: Configuration); set HMAC_SECRET. " +
        "On PostgreSQL it runs --processes server processes on one port (one JavaScript thread each); the sweeper, " +
        "local workers and start-up tasks run in the first one only.",
    ],
  },
);
