/**
 * The server log file of protocol §6.1/§8: `{LOGGING_DIR}/server.log`, one line per record in the form
 * `time : logger : hostname : LEVEL : message` (UTC, Python's asctime layout), rotated at UTC midnight to
 * `server.log.YYYY-MM-DD` (the day the rotated lines were written), as Python's TimedRotatingFileHandler
 * (when="midnight", utc=True) does. Writes are synchronous appends: the server logs start-up, warnings
 * and errors, not requests. The console keeps LOGGING_CONSOLE_LEVEL; the file gets LOGGING_FILE_LEVEL.
 */
import { hostname } from "node:os";
import { format } from "node:util";
import { consola, type ConsolaReporter, type LogObject } from "consola";
import { asctime, DailyLogFile } from "../shared/daily-log-file.ts";

/** Python level names → consola levels (0 error, 1 warn, 3 info, 4 debug); anything else is INFO. */
export function consolaLevel(name: string): number {
  switch (name.trim().toUpperCase()) {
    case "CRITICAL":
    case "ERROR":
      return 0;
    case "WARNING":
    case "WARN":
      return 1;
    case "DEBUG":
      return 4;
    default:
      return 3;
  }
}

const LEVEL_NAME = (level: number) => (level <= 0 ? "ERROR" : level === 1 ? "WARNING" : level >= 4 ? "DEBUG" : "INFO");

export interface ServerLog {
  readonly file: DailyLogFile;
  /** A record for the file only (the console already had it another way, e.g. the start-up banner). */
  fileOnly(level: "INFO" | "WARNING" | "ERROR", message: string): void;
}

/**
 * Sends consola's records to the file (at `fileLevel`) as well as to the console reporters (at `consoleLevel`,
 * never chattier than consola already was, so a quiet test environment stays quiet).
 */
export function attachServerLog(dir: string, consoleLevel: string, fileLevel: string, now?: () => Date): ServerLog {
  const file = new DailyLogFile(dir, now, "server.log");
  const host = hostname();
  const fileMax = consolaLevel(fileLevel);
  const consoleMax = Math.min(consola.level, consolaLevel(consoleLevel));
  const line = (level: number, message: string) => `${asctime(now ? now() : new Date())} : annopage : ${host} : ${LEVEL_NAME(level)} : ${message}`;
  const toFile: ConsolaReporter = {
    log(o: LogObject) {
      if (o.level > fileMax) return;
      const message = o.args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : typeof a === "string" ? a : format("%o", a))).join(" ");
      try {
        file.write(line(o.level, o.tag ? `[${o.tag}] ${message}` : message));
      } catch {
        // a full or read-only disk must not take the server down; the console still has the record
      }
    },
  };
  const consoleReporters = consola.options.reporters.map(
    (r): ConsolaReporter => ({ log: (o, ctx) => (o.level <= consoleMax ? r.log(o, ctx) : undefined) }),
  );
  consola.setReporters([...consoleReporters, toFile]);
  consola.level = Math.max(consoleMax, fileMax);
  return {
    file,
    fileOnly(level, message) {
      if (consolaLevel(level) <= fileMax) file.write(line(consolaLevel(level), message));
    },
  };
}
