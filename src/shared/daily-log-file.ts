/**
 * A log file rotated at UTC midnight to `<name>.YYYY-MM-DD` (the day its lines were written), as Python's
 * TimedRotatingFileHandler(when="midnight", utc=True) does: the server's `{LOGGING_DIR}/server.log` (protocol
 * §6.1) and the worker's `--log-file-path` (annopage-tool §7.4). Writes are synchronous appends.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/** Python's default asctime, in UTC: `2026-11-28 21:53:00,123`. */
export const asctime = (d: Date) => `${d.toISOString().slice(0, 19).replace("T", " ")},${d.toISOString().slice(20, 23)}`;

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
