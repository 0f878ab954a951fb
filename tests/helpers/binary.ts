/**
 * The compiled executable for tests: dist/annopage, built first when it is missing or older than
 * any source file, then copied to a fresh directory outside the repository (a relocated binary must
 * not depend on node_modules or the source tree).
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "./spawn.ts";

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
export function relocatedBinary(): Promise<string> {
  built ??= withBuildLock(async () => {
    const dist = join(REPO, "dist", "annopage");
    const stale = !existsSync(dist) || statSync(dist).mtimeMs < Math.max(newestSource(join(REPO, "src")), newestSource(join(REPO, "sql")));
    if (stale) {
      const p = Bun.spawn([process.execPath, "run", "build"], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
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
