/**
 * What `annopage submit` shows while it works, always on stderr:
 * - "bars": stderr is a terminal → a redrawn upload bar, then a processing bar with the job state,
 *   its progress and the last line of its user log (colours unless NO_COLOR is set);
 * - "lines": not a terminal → no bars, one plain line per state change and per new log_user line;
 * - "quiet": --json → nothing (the JSON document on stdout says it all).
 */
import { TERMINAL_STATES } from "../shared/roles.ts";
import type { Job } from "../shared/schemas/jobs.ts";

export type ReporterMode = "bars" | "lines" | "quiet";

/** The members of a job (the Job response schema's) that the progress display shows. */
export type JobView = Pick<Job, "state" | "progress" | "log_user">;

export interface Reporter {
  /** A message line (printed above the bar in bar mode). */
  info(line: string): void;
  uploadStart(totalFiles: number, totalBytes: number): void;
  uploadProgress(doneFiles: number, doneBytes: number): void;
  uploadEnd(): void;
  job(view: JobView): void;
  /** Removes any bar and leaves the cursor on a fresh line. */
  end(): void;
}

/** https://no-color.org: any non-empty NO_COLOR turns colours off; so does a dumb terminal. */
export function colorEnabled(env: Record<string, string | undefined> = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return true;
}

export function chooseMode(opts: { json: boolean; stderrIsTty: boolean }): ReporterMode {
  if (opts.json) return "quiet";
  return opts.stderrIsTty ? "bars" : "lines";
}

function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** `[#####-----]`-style bar of `width` cells for a fraction 0..1, with Unicode blocks. */
export function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.floor(f * width);
  const partials = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
  const rest = f * width - full;
  const partial = full < width ? partials[Math.floor(rest * 8)]! : "";
  return "█".repeat(full) + partial + " ".repeat(Math.max(0, width - full - (partial ? 1 : 0)));
}

function lastLine(text: string | null | undefined): string {
  if (!text) return "";
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? "";
}

interface Stream {
  write(s: string): unknown;
  columns?: number;
}

class QuietReporter implements Reporter {
  info(): void {}
  uploadStart(): void {}
  uploadProgress(): void {}
  uploadEnd(): void {}
  job(): void {}
  end(): void {}
}

class LineReporter implements Reporter {
  private lastState?: string;
  private logSeen = "";
  constructor(private readonly out: Stream) {}
  info(line: string): void {
    this.out.write(`${line}\n`);
  }
  uploadStart(files: number, bytes: number): void {
    this.info(`Uploading ${files} file${files === 1 ? "" : "s"} (${formatBytes(bytes)})`);
  }
  uploadProgress(): void {}
  uploadEnd(): void {
    this.info("Upload complete");
  }
  job(v: JobView): void {
    const log = v.log_user ?? "";
    // log_user only grows while a job runs; print what is new. A shorter log means a retry began.
    const fresh = log.startsWith(this.logSeen) ? log.slice(this.logSeen.length) : log;
    this.logSeen = log;
    const lines = fresh
      .split("\n")
      .map((x) => x.trim())
      .filter(Boolean);
    const changed = v.state !== this.lastState;
    this.lastState = v.state;
    const stateLine = `Job ${v.state}, progress ${Math.round(v.progress * 100)}%`;
    // A state line heads the log lines written in that state; the final state comes after the last of them
    // (the worker sends its last page lines together with done/error).
    const final = (TERMINAL_STATES as readonly string[]).includes(v.state);
    if (changed && !final) this.info(stateLine);
    for (const l of lines) this.info(`  ${l}`);
    if (changed && final) this.info(stateLine);
  }
  end(): void {}
}

class BarReporter implements Reporter {
  private line = "";
  private lastDraw = 0;
  private upload?: { files: number; bytes: number; doneFiles: number; doneBytes: number; t0: number };
  constructor(
    private readonly out: Stream,
    private readonly color: boolean,
  ) {}

  private paint(code: string, s: string): string {
    return this.color ? `\x1b[${code}m${s}\x1b[0m` : s;
  }

  private draw(text: string, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 80 && text !== this.line) {
      this.line = text;
      return;
    }
    this.lastDraw = now;
    this.line = text;
    this.out.write(`\r\x1b[2K${text}`);
  }

  private width(): number {
    return Math.max(40, this.out.columns || 80);
  }

  /** Same width for both bars and for the whole run, so the bar never jumps. */
  private barWidth(): number {
    return Math.max(10, Math.min(40, this.width() - 62));
  }

  info(line: string): void {
    this.out.write(`\r\x1b[2K${line}\n`);
    if (this.line) this.out.write(this.line);
  }

  uploadStart(files: number, bytes: number): void {
    this.upload = { files, bytes, doneFiles: 0, doneBytes: 0, t0: Date.now() };
    this.uploadProgress(0, 0);
  }

  uploadProgress(doneFiles: number, doneBytes: number): void {
    const u = this.upload;
    if (!u) return;
    u.doneFiles = doneFiles;
    u.doneBytes = doneBytes;
    const frac = u.bytes > 0 ? doneBytes / u.bytes : doneFiles / Math.max(1, u.files);
    const secs = (Date.now() - u.t0) / 1000;
    const rate = secs > 0.2 ? ` ${formatBytes(doneBytes / secs)}/s` : "";
    const tail = ` ${doneFiles}/${u.files} files ${formatBytes(doneBytes)}/${formatBytes(u.bytes)}${rate}`;
    const w = this.barWidth();
    this.draw(`${this.paint("36", "Uploading ")} ${this.paint("32", bar(frac, w))}${tail}`, doneFiles === u.files);
  }

  uploadEnd(): void {
    if (this.upload) this.draw(this.line, true);
    this.out.write("\n");
    this.line = "";
    this.upload = undefined;
  }

  job(v: JobView): void {
    const pct = `${String(Math.round(v.progress * 100)).padStart(3)}%`;
    const head = `${this.paint("36", "Processing")} `;
    const w = this.barWidth();
    const state = this.paint(v.state === "error" ? "33" : "1", v.state.padEnd(10));
    let text = `${head}${this.paint("32", bar(v.progress, w))} ${pct} ${state}`;
    const room = this.width() - (11 + w + 1 + 5 + 11) - 2;
    const log = lastLine(v.log_user);
    if (log && room > 8) text += ` ${this.paint("2", log.length > room ? `${log.slice(0, room - 1)}…` : log)}`;
    this.draw(text, true);
  }

  end(): void {
    if (this.line) this.out.write(`\r\x1b[2K${this.line}\n`);
    this.line = "";
  }
}

export function createReporter(mode: ReporterMode, opts: { color?: boolean; out?: Stream } = {}): Reporter {
  const out = opts.out ?? process.stderr;
  if (mode === "quiet") return new QuietReporter();
  if (mode === "lines") return new LineReporter(out);
  return new BarReporter(out, opts.color ?? colorEnabled());
}
