/**
 * Runs `annopage` as a real child process — from source (`bun src/cli.ts`) or a compiled binary —
 * and reads its output as it comes.
 */
import { resolve } from "node:path";
import type { Subprocess } from "bun";

export const REPO = resolve(import.meta.dir, "..", "..");
export const BUN = process.execPath;

function annopageCommand(binary?: string): string[] {
  return binary ? [binary] : [BUN, resolve(REPO, "src/cli.ts")];
}

export interface Child {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything the child wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `re` in the output, or rejects after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals | number): void;
  exited: Promise<number>;
}

export function spawnAnnopage(
  args: string[],
  opts: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    binary?: string /** another program instead of annopage */;
    command?: string[];
  } = {},
): Child {
  const proc = Bun.spawn([...(opts.command ?? annopageCommand(opts.binary)), ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const waiters = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      text += dec.decode(chunk, { stream: true });
      for (const w of waiters) w();
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  return {
    proc,
    output: () => text,
    waitFor(re, ms = 30_000) {
      return new Promise((res, rej) => {
        const check = () => {
          const m = text.match(re);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            res(m);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          rej(new Error(`timed out after ${ms} ms waiting for ${re}; output so far:\n${text}`));
        }, ms);
        waiters.add(check);
        void proc.exited.then(() =>
          setTimeout(() => {
            if (waiters.has(check)) {
              waiters.delete(check);
              clearTimeout(timer);
              rej(new Error(`process exited (${proc.exitCode}) before ${re}; output:\n${text}`));
            }
          }, 50),
        );
        check();
      });
    },
    kill: (signal) => proc.kill(signal),
    exited: proc.exited,
  };
}
