/**
 * The server under fuzz: `annopage serve` as a child process (its own event loop on the second core, and nothing
 * it throws can reach the test runner) on a fresh PostgreSQL database and a temporary base directory.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "../db.ts";
import { ADMIN_KEY } from "../server.ts";
import { startCli, type CliChild } from "../cli.ts";

export interface FuzzServer {
  url: string;
  baseDir: string;
  adminKey: string;
  databaseUrl: string;
  child: CliChild;
  close(): Promise<void>;
}

export async function startFuzzServer(env: Record<string, string> = {}): Promise<FuzzServer> {
  const baseDir = mkdtempSync(join(tmpdir(), "annopage-fuzz-"));
  const db = await createTestDatabase("fuzz");
  const child = startCli(
    ["serve", "--host", "127.0.0.1", "--port", "0", "--base-dir", baseDir, "--workers", "0", "--database-url", db.url],
    {
      env: { DATABASE_URL: undefined, ADMIN_KEY, LOGGING_CONSOLE_LEVEL: "WARNING", LOGGING_FILE_LEVEL: "WARNING", ...env },
    },
  );
  const [, url] = await child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
  return {
    url: url!,
    baseDir,
    adminKey: ADMIN_KEY,
    databaseUrl: db.url,
    child,
    async close() {
      child.kill("SIGTERM");
      await child.exited;
      await db.drop();
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}

/** Files left in any staging directory (`.staging`, `staging`) under the server's base directory. */
function stagedFiles(baseDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, staging: boolean) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, staging || e.name === ".staging" || e.name === "staging");
      else if (staging) found.push(p);
    }
  };
  if (existsSync(baseDir)) walk(baseDir, false);
  return found;
}

/** Staged files still there after `ms` (uploads cut off by a client that went away end on the server a moment later). */
export async function stagedFilesAfter(baseDir: string, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  while (stagedFiles(baseDir).length > 0 && Date.now() < deadline) await Bun.sleep(200);
  return stagedFiles(baseDir);
}
