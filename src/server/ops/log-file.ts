/**
 * The server log file of docs/protocol.md §6.1/§8: `{LOGGING_DIR}/server.log`, one line per record in the form
 * `time : logger : hostname : LEVEL : message` (UTC, Python's asctime layout), rotated at UTC midnight to
 * `server.log.YYYY-MM-DD` (the day the rotated lines were written), as Python's TimedRotatingFileHandler
 * (when="midnight", utc=True) does. Writes are synchronous appends: the server logs start-up, warnings
 * and errors, not requests. The console keeps LOGGING_CONSOLE_LEVEL; the file gets LOGGING_FILE_LEVEL.
 */
import { consola, type ConsolaReporter, type LogObject } from "consola";
import { consolaLevel, DailyLogFile, logLine, logMessage } from "../../shared/daily-log-file.ts";

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
  const fileMax = consolaLevel(fileLevel);
  const consoleMax = Math.min(consola.level, consolaLevel(consoleLevel));
  const line = (level: number, message: string) => logLine("annopage", level, message, now ? now() : new Date());
  const toFile: ConsolaReporter = {
    log(o: LogObject) {
      if (o.level > fileMax) return;
      const message = logMessage(o.args);
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
