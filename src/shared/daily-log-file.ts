/**
 * A log file rotated at UTC midnight to `<name>.YYYY-MM-DD` (the day its lines were written), as Python's
 * TimedRotatingFileHandler(when="midnight", utc=True) does: the server's `{LOGGING_DIR}/server.log` (protocol
 * docs/protocol.md §6.1) and the worker's `--log-file-path` (docs/processor.md §7.4). Writes are synchronous appends.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { format } from "node:util";
import { asctime, utcDay } from "./timestamps.ts";

/** Python level names → consola levels (0 error, 1 warn, 3 info, 4 debug). */
export const LOG_LEVELS: Readonly<Record<string, number>> = { DEBUG: 4, INFO: 3, WARNING: 1, WARN: 1, ERROR: 0, CRITICAL: 0 };

/** The consola level of a Python level name; anything else is INFO. */
export function consolaLevel(name: string): number {
  return LOG_LEVELS[name.trim().toUpperCase()] ?? 3;
}

const levelName = (level: number) => (level <= 0 ? "ERROR" : level === 1 ? "WARNING" : level >= 4 ? "DEBUG" : "INFO");
const host = hostname();

/** One log file line: `time : logger : hostname : LEVEL : message` (UTC). */
export function logLine(logger: string, level: number, message: string, now: Date = new Date()): string {
  return `${asctime(now)} : ${logger} : ${host} : ${levelName(level)} : ${message}`;
}

/** A consola record's arguments as one message (errors with their stack). */
export function logMessage(args: readonly unknown[]): string {
  return args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : typeof a === "string" ? a : format("%o", a))).join(" ");
}

export class DailyLogFile {
  readonly path: string;
  private day: string | undefined;

  /** `dir` and `name`, or a whole path as `dir` with no name. */
  constructor(
    dir: string,
    private readonly now: () => Date = () => new Date(),
    name?: string,
  ) {
    this.path = name === undefined ? dir : join(dir, name);
    mkdirSync(dirname(this.path), { recursive: true });
    if (existsSync(this.path)) this.day = utcDay(statSync(this.path).mtime);
  }

  /** Appends one line (a newline is added), first rotating the file if it holds an earlier UTC day. */
  write(line: string): void {
    const today = utcDay(this.now());
    if (this.day !== undefined && this.day !== today && existsSync(this.path)) renameSync(this.path, `${this.path}.${this.day}`);
    this.day = today;
    appendFileSync(this.path, `${line}\n`);
  }
}
