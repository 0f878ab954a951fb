/** `annopage work`: the worker (docs/protocol.md §9.3, docs/processor.md §7). */
import { defineCommand, type ArgsDef } from "citty";
import { createConsola, type ConsolaInstance } from "consola";
import { CliError } from "../shared/cli-error.ts";
import { DailyLogFile, LOG_LEVELS, logLine, logMessage } from "../shared/daily-log-file.ts";
import { unknownOptions } from "../shared/unknown-options.ts";
import { withHelp } from "../shared/usage.ts";
import { startWorker } from "./loop.ts";
import type { Logger } from "./job-runner.ts";
import { DEFAULTS, defaultProcessor, dirsFrom, splitCommand, type WorkerOptions } from "./options.ts";

function number(name: string, v: string | undefined, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new CliError(`--${name} must be a number between ${min} and ${max}, got "${v}"`, 2);
  return n;
}

const workArgs = {
  "api-url": { type: "string", description: "API base URL, may include a path prefix (ANNOPAGE_API_URL)" },
  "api-key": { type: "string", description: "Worker API key (ANNOPAGE_API_KEY)" },
  wait: {
    type: "string",
    valueHint: "seconds",
    description: `Seconds between polls when the queue is empty; long-poll length on servers that offer it (default ${DEFAULTS.waitSeconds})`,
  },
  "base-dir": { type: "string", description: "Working directory with jobs/ and engines/ (default ./annopage_worker_data)" },
  "jobs-dir": { type: "string", description: "Job workspaces (default <base-dir>/jobs)" },
  "engines-dir": { type: "string", description: "Engine files cache (default <base-dir>/engines)" },
  "cleanup-job-dir": { type: "boolean", description: "Delete a job's workspace after its result is uploaded" },
  "cleanup-old-engines": { type: "boolean", description: "Delete older cached versions of an engine when a new one is downloaded" },
  once: { type: "boolean", description: "Process one job, then exit" },
  processor: {
    type: "string",
    valueHint: "command",
    description: "Processor command (default: this program's `annopage process`); the flags of the AnnoPage command line are appended",
  },
  device: { type: "string", valueHint: "gpu|cpu", description: "Processor device: gpu or cpu (default gpu)" },
  "process-count": {
    type: "string",
    valueHint: "n",
    description:
      "Pages the processor works on in parallel, passed as its --process-count (default 1: not passed, as by the reference worker)",
  },
  "logging-level": { type: "string", description: "DEBUG, INFO, WARNING or ERROR (worker and processor; default INFO)" },
  grace: {
    type: "string",
    valueHint: "seconds",
    description: `Seconds a running job may still take after SIGTERM/SIGINT before it is released (default ${DEFAULTS.graceSeconds})`,
  },
  "processor-timeout": {
    type: "string",
    valueHint: "seconds",
    description: "Longest processor run per job in seconds; a longer run is stopped and the job marked error (default 0 = no limit)",
  },
  heartbeat: {
    type: "string",
    valueHint: "seconds",
    description: `Longest pause between lease renewals in seconds; also how fast a cancel is noticed (default ${DEFAULTS.heartbeatMs / 1000})`,
  },
  // The reference worker's flags (docs/processor.md §7.4), so that its command lines work unchanged:
  "polling-interval": { type: "string", valueHint: "seconds", description: "The reference worker's name for --wait" },
  "log-file-path": {
    type: "string",
    valueHint: "file",
    description: "Also write the worker's log to this file, rotated at UTC midnight (name.YYYY-MM-DD)",
  },
  "logging-format": {
    type: "string",
    description: "Accepted for compatibility with the reference worker; the built-in line format is used",
  },
  "logging-date-format": {
    type: "string",
    description: "Accepted for compatibility with the reference worker; the built-in line format is used",
  },
} satisfies ArgsDef;

export default withHelp(
  defineCommand({
    meta: { name: "work", description: "Run a worker: lease jobs from the API, run the page processor on them, upload the results" },
    args: workArgs,
    async run({ args, rawArgs }) {
      const unknown = unknownOptions(rawArgs, workArgs);
      if (unknown.length) throw new CliError(unknown.join("; "), 2);
      if (args.wait !== undefined && args["polling-interval"] !== undefined)
        throw new CliError("give --wait or --polling-interval, not both", 2);
      const apiUrl = args["api-url"] ?? process.env.ANNOPAGE_API_URL;
      const apiKey = args["api-key"] ?? process.env.ANNOPAGE_API_KEY;
      if (!apiUrl) throw new CliError("missing --api-url (or ANNOPAGE_API_URL)", 2);
      if (!apiKey) throw new CliError("missing --api-key (or ANNOPAGE_API_KEY)", 2);
      try {
        const u = new URL(apiUrl);
        if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
      } catch {
        throw new CliError(`--api-url must be an http(s) URL, got "${apiUrl}"`, 2);
      }
      const device = (args.device ?? DEFAULTS.device).toLowerCase();
      if (device !== "gpu" && device !== "cpu") throw new CliError(`--device must be gpu or cpu, got "${args.device}"`, 2);
      const level = (args["logging-level"] ?? DEFAULTS.loggingLevel).toUpperCase();
      if (!(level in LOG_LEVELS))
        throw new CliError(`--logging-level must be DEBUG, INFO, WARNING or ERROR, got "${args["logging-level"]}"`, 2);
      let processor: string[];
      try {
        processor = args.processor ? splitCommand(args.processor) : defaultProcessor();
      } catch (e) {
        throw new CliError(`--processor: ${(e as Error).message}`, 2);
      }
      if (processor.length === 0) throw new CliError("--processor is empty", 2);
      const processCount = number("process-count", args["process-count"], 1, 1, 256);
      if (!Number.isInteger(processCount)) throw new CliError(`--process-count must be a whole number, got "${args["process-count"]}"`, 2);

      const options: WorkerOptions = {
        apiUrl,
        apiKey,
        waitSeconds:
          args["polling-interval"] !== undefined
            ? number("polling-interval", args["polling-interval"], DEFAULTS.waitSeconds, 0, 3600)
            : number("wait", args.wait, DEFAULTS.waitSeconds, 0, 3600),
        ...dirsFrom(args["base-dir"] ?? "annopage_worker_data", args["jobs-dir"], args["engines-dir"]),
        cleanupJobDir: Boolean(args["cleanup-job-dir"]),
        cleanupOldEngines: Boolean(args["cleanup-old-engines"]),
        once: Boolean(args.once),
        processor,
        device,
        processCount,
        partialExitCode: !args.processor, // the built-in processor's "some pages failed" code
        loggingLevel: level === "WARN" ? "WARNING" : level,
        graceSeconds: number("grace", args.grace, DEFAULTS.graceSeconds, 0, 86400),
        processorTimeoutMs: number("processor-timeout", args["processor-timeout"], 0, 0, 30 * 86400) * 1000,
        heartbeatMs: number("heartbeat", args.heartbeat, DEFAULTS.heartbeatMs / 1000, 0.05, 3600) * 1000,
        logFlushMs: DEFAULTS.logFlushMs,
        maxLogBytes: DEFAULTS.maxLogBytes,
      };
      const consola = createConsola({ level: LOG_LEVELS[level] }).withTag("work");
      if (args["log-file-path"]) {
        const file = new DailyLogFile(args["log-file-path"]);
        consola.addReporter({
          log(o) {
            try {
              file.write(logLine("annopage.worker", o.level, logMessage(o.args)));
            } catch {
              // a full disk must not stop the worker; the console still has the line
            }
          },
        });
      }
      const log = loggerFrom(consola);
      if (args["logging-format"] !== undefined || args["logging-date-format"] !== undefined) {
        log.warn("--logging-format and --logging-date-format are accepted for compatibility; the built-in line format is used");
      }
      log.info(`worker started: ${new URL(apiUrl).origin}, jobs in ${options.jobsDir}, engines in ${options.enginesDir}`);
      const worker = startWorker(options, log);
      const onSignal = (sig: string) => {
        log.warn(`${sig} received`);
        worker.stop();
      };
      const onTerm = () => onSignal("SIGTERM");
      const onInt = () => onSignal("SIGINT");
      process.on("SIGTERM", onTerm);
      process.on("SIGINT", onInt);
      try {
        const reports = await worker.done;
        log.info(`worker stopped after ${reports.length} job(s)`);
      } finally {
        process.off("SIGTERM", onTerm);
        process.off("SIGINT", onInt);
      }
    },
  }),
  {
    examples: [
      "annopage work --api-url http://api.example:9999 --api-key WORKER_KEY --device cpu",
      "annopage work --once --processor 'python -m annopage'    # another processor, one job",
    ],
  },
);

function loggerFrom(c: ConsolaInstance): Logger {
  return { debug: (m) => c.debug(m), info: (m) => c.info(m), warn: (m) => c.warn(m), error: (m) => c.error(m) };
}
