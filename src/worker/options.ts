/**
 * Worker settings, resolved once from flags and environment by the `work` command.
 */
import { join, resolve } from "node:path";
import { selfCommand } from "../shared/self.ts";

export interface WorkerOptions {
  apiUrl: string;
  apiKey: string;
  /** Seconds between lease polls when the queue is empty (also the long-poll length, ≤ 60). */
  waitSeconds: number;
  jobsDir: string;
  enginesDir: string;
  cleanupJobDir: boolean;
  cleanupOldEngines: boolean;
  once: boolean;
  /** Processor command (argv prefix); the flags of docs/processor.md §7.2 are appended. */
  processor: string[];
  device: "gpu" | "cpu";
  /**
   * Pages processed in parallel by the processor (`--process-count`, passed when above 1). Not passed by default, as
   * by the reference worker: the original Python tool loads its models once per process (GPU memory).
   */
  processCount?: number;
  /**
   * Exit code 3 means "some pages failed" and the pages that worked are delivered (our processor's code, docs/decisions.md §9).
   * Only for the built-in processor: for any other, every non-zero code fails the job (docs/processor.md §7.2).
   */
  partialExitCode?: boolean;
  /** Processor log level name (DEBUG, INFO, WARNING, ERROR). */
  loggingLevel: string;
  /** Seconds a running job may still take after SIGTERM/SIGINT before it is killed and released. */
  graceSeconds: number;
  /** Longest run of the processor for one job (0 = no limit); longer runs end the job in error. */
  processorTimeoutMs: number;
  /** Longest gap between lease renewals (also how fast a cancel is noticed). */
  heartbeatMs: number;
  /** How often log/progress lines are sent. */
  logFlushMs: number;
  /** Cap of the technical log sent to the server per job. */
  maxLogBytes: number;
  /** Extra environment for the processor (on top of the worker's own). */
  processorEnv?: Record<string, string>;
}

export const DEFAULTS = {
  waitSeconds: 5,
  graceSeconds: 30,
  heartbeatMs: 500,
  logFlushMs: 1000,
  maxLogBytes: 1024 * 1024,
  device: "gpu" as const,
  loggingLevel: "INFO",
};

export function dirsFrom(baseDir: string, jobsDir?: string, enginesDir?: string): { jobsDir: string; enginesDir: string } {
  return { jobsDir: resolve(jobsDir ?? join(baseDir, "jobs")), enginesDir: resolve(enginesDir ?? join(baseDir, "engines")) };
}

/** This program's own `annopage process`: the compiled binary, or `bun <repo>/src/cli.ts`. */
export function defaultProcessor(): string[] {
  return [...selfCommand(), "process"];
}

/** Splits a command line like a POSIX shell would for words and quotes (no expansions). */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < cmd.length && '"\\$`'.includes(cmd[i + 1]!)) cur += cmd[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < cmd.length) {
      cur += cmd[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in processor command`);
  if (inWord) out.push(cur);
  return out;
}
