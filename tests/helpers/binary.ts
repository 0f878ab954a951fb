/**
 * The compiled executable for tests: dist/annopage, built first when it is missing or older than
 * any source file, then copied to a fresh directory outside the repository (a relocated binary must
 * not depend on node_modules or the source tree).
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
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

let built: Promise<string> | undefined;
export function relocatedBinary(): Promise<string> {
  built ??= (async () => {
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
  })();
  return built;
}
