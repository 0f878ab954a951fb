/**
 * The tests' one way to run `annopage` as a real child process: from source (`bun src/cli.ts`), as the compiled
 * binary (relocatedBinary: dist/annopage built when missing or stale, copied out of the repository), or another
 * program given whole (`command`, e.g. bin/annopage_client or a fixture script). stdout and stderr are read as they
 * come, kept apart and together; `done` has both once the process has exited and its streams have ended.
 *
 *   const r = await runCli(["engines", "--json"], { env: { ANNOPAGE_API_URL: url, ANNOPAGE_API_KEY: key } });
 *   const c = startCli(["serve", "--port", "0"], { binary: await relocatedBinary() });
 *   await c.waitFor(/listening on (\S+)/, 60_000);
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const REPO = resolve(import.meta.dir, "..", "..");
export const BUN = process.execPath;
/** The test processor run by workers in the tests (a real child process). */
export const FAKE_PROCESSOR = join(REPO, "tests", "fixtures", "fake-processor.ts");

export interface CliOptions {
  /** Added to this process's environment (NO_COLOR=1; ANNOPAGE_API_URL and ANNOPAGE_API_KEY unset); undefined unsets. */
  env?: Record<string, string | undefined>;
  /** Working directory (default: the repository). */
  cwd?: string;
  /** A compiled annopage (relocatedBinary()) instead of `bun src/cli.ts`. */
  binary?: string;
  /** Another program instead of annopage: its command line before the arguments. */
  command?: string[];
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliChild {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** stdout and stderr so far, in the order they came. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `re` in `stream` (default: both), or rejects after `ms` or when the process ends first. */
  waitFor(re: RegExp, ms?: number, stream?: "output" | "stdout" | "stderr"): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals | number): void;
  /** The exit code (the streams may still be draining). */
  exited: Promise<number>;
  /** Exit code and whole output, once the process has exited and both streams have ended. */
  done: Promise<CliResult>;
}

/** Starts `annopage <args>` (see CliOptions for another program or a binary). */
export function startCli(args: string[], opts: CliOptions = {}): CliChild {
  const command = opts.command ?? (opts.binary ? [opts.binary] : [BUN, join(REPO, "src", "cli.ts")]);
  const proc = Bun.spawn([...command, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: "1", ANNOPAGE_API_URL: undefined, ANNOPAGE_API_KEY: undefined, ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const text = { output: "", stdout: "", stderr: "" };
  const waiters = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr") => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      const s = dec.decode(chunk, { stream: true });
      text[name] += s;
      text.output += s;
      for (const w of waiters) w();
    }
  };
  const pumped = Promise.all([pump(proc.stdout, "stdout"), pump(proc.stderr, "stderr")]);
  return {
    proc,
    output: () => text.output,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    waitFor(re, ms = 30_000, stream = "output") {
      return new Promise((res, rej) => {
        const check = () => {
          const m = text[stream].match(re);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            res(m);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          rej(new Error(`timed out after ${ms} ms waiting for ${re}; output so far:\n${text.output}`));
        }, ms);
        waiters.add(check);
        void proc.exited.then(() =>
          setTimeout(() => {
            if (waiters.has(check)) {
              waiters.delete(check);
              clearTimeout(timer);
              rej(new Error(`process exited (${proc.exitCode}) before ${re}; output:\n${text.output}`));
            }
          }, 50),
        );
        check();
      });
    },
    kill: (signal) => proc.kill(signal),
    exited: proc.exited,
    done: (async () => {
      const code = await proc.exited;
      await pumped;
      return { code, stdout: text.stdout, stderr: text.stderr };
    })(),
  };
}

/** Runs `annopage <args>` to its end. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Runs `fn` holding dist/.build.lock, so that test files running in parallel (scripts/test.ts) neither build at once
 * nor copy a binary that another one is writing. A lock older than 15 minutes was left by a killed run.
 */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(REPO, "dist", ".build.lock");
  mkdirSync(join(REPO, "dist"), { recursive: true });
  for (;;) {
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 15 * 60_000) rmSync(lock, { force: true });
      await Bun.sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

let built: Promise<string> | undefined;

/**
 * The compiled executable: dist/annopage, built first when it is missing or older than any source file, then copied
 * to a fresh directory outside the repository (a relocated binary must not depend on node_modules or the source tree).
 */
export function relocatedBinary(): Promise<string> {
  built ??= withBuildLock(async () => {
    const dist = join(REPO, "dist", "annopage");
    const stale = !existsSync(dist) || statSync(dist).mtimeMs < Math.max(newestSource(join(REPO, "src")), newestSource(join(REPO, "sql")));
    if (stale) {
      const p = Bun.spawn([BUN, "run", "build"], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
      if ((await p.exited) !== 0) throw new Error(`bun run build failed:\n${await new Response(p.stderr).text()}`);
    }
    const dir = mkdtempSync(join(tmpdir(), "annopage-bin-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true })); // a 160 MB copy per run
    const target = join(dir, "annopage");
    copyFileSync(dist, target);
    Bun.spawnSync(["chmod", "+x", target]);
    return target;
  });
  return built;
}
