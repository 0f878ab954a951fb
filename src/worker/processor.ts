/**
 * Runs the page processor as a child process in its own process group (so a kill reaches the
 * processes it starts, e.g. a Python process pool), under the supervisor (supervisor.ts) that kills
 * that group when the worker dies, even by SIGKILL; streams stdout and stderr line by line to a
 * callback, keeps the last stderr lines for error reports, and can be stopped gracefully
 * (SIGTERM, then SIGKILL after a delay) or at once (SIGKILL).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { supervisedCommand } from "./supervisor.ts";

export interface ProcessorResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Last lines of stderr (at most `tailLines`). */
  stderrTail: string[];
}

export interface ProcessorRun {
  /** The supervisor's pid, which is also the process group of the processor. */
  readonly pid: number | undefined;
  readonly done: Promise<ProcessorResult>;
  /** SIGTERM the process group, SIGKILL after `graceMs` if it is still running. */
  stop(graceMs: number): void;
  /** SIGKILL the process group now. */
  kill(): void;
}

export function startProcessor(opts: {
  argv: string[];
  cwd: string;
  env?: Record<string, string | undefined>;
  onLine: (stream: "stdout" | "stderr", line: string) => void;
  tailLines?: number;
}): ProcessorRun {
  if (!opts.argv[0]) throw new Error("empty processor command");
  const [cmd, ...args] = supervisedCommand(opts.argv);
  const tailMax = opts.tailLines ?? 20;
  const tail: string[] = [];
  const child: ChildProcess = spawn(cmd!, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    // stdin: the supervisor's lifeline, never written to; it closes when this process ends.
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lifeline = child.stdin;
  let exited = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;

  const signalGroup = (sig: NodeJS.Signals) => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {}
    }
  };

  const streamsClosed = Promise.all(
    (["stdout", "stderr"] as const).map(
      (name) =>
        new Promise<void>((resolve) => {
          const stream = child[name];
          if (!stream) return resolve();
          const rl = createInterface({ input: stream, crlfDelay: Infinity });
          rl.on("line", (line) => {
            if (name === "stderr") {
              tail.push(line);
              if (tail.length > tailMax) tail.shift();
            }
            opts.onLine(name, line);
          });
          rl.on("close", () => resolve());
        }),
    ),
  );

  const done = new Promise<ProcessorResult>((resolve) => {
    child.on("error", (err) => {
      exited = true;
      tail.push(`cannot start the processor's supervisor ${JSON.stringify(cmd)}: ${err.message}`);
      resolve({ exitCode: 127, signal: null, stderrTail: tail.slice(-tailMax) });
    });
    child.on("exit", (code, signal) => {
      exited = true;
      lifeline?.destroy();
      if (killTimer) clearTimeout(killTimer);
      // Children of the processor may still hold the pipes open; do not wait for them forever.
      const settle = () => resolve({ exitCode: code, signal, stderrTail: tail.slice(-tailMax) });
      Promise.race([streamsClosed, Bun.sleep(2000)]).then(settle);
      // Leftover members of the group (grandchildren) go down with the processor.
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }
    });
  });

  return {
    get pid() {
      return child.pid;
    },
    done,
    stop(graceMs: number) {
      signalGroup("SIGTERM");
      if (!killTimer) killTimer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
    },
    kill() {
      signalGroup("SIGKILL");
    },
  };
}

/**
 * Per-page progress lines, from either processor:
 *  - ours (`annopage process`, src/processor/run.ts PROGRESS_RE), on stdout:
 *    `PAGE <done>/<total> <ok|failed> <seconds>s <page id>`;
 *  - the reference (docs/processor.md §1.5), in its stderr log:
 *    `… DONE <i>/<n> (<pct> %) [id: <id>] Time:<seconds>` (anywhere in the line, so the
 *    `[LEVEL|time|source]: ` prefix does not matter).
 */
const OUR_LINE = /^PAGE (\d+)\/(\d+) (ok|failed) ([\d.]+)s (.*)$/;
const REFERENCE_LINE = /\bDONE (\d+)\/(\d+)(?: \(([\d.]+) ?%\))?(?: \[id: ([^\]]*)\])?/;

export interface PageProgress {
  done: number;
  total: number;
  pageId?: string;
  failed?: boolean;
}

export function parseProgress(line: string): PageProgress | null {
  const ours = OUR_LINE.exec(line);
  const m = ours ?? REFERENCE_LINE.exec(line);
  if (!m) return null;
  const done = Number(m[1]);
  const total = Number(m[2]);
  if (!Number.isFinite(done) || !Number.isFinite(total) || total <= 0 || done > total) return null;
  if (ours) return { done, total, pageId: ours[5], failed: ours[3] === "failed" };
  return { done, total, pageId: m[4] };
}
