/**
 * Build-time bundling of the dashboard's browser code (client/, with preact and htm from node_modules). Imported
 * `with { type: "macro" }` (assets.ts), so it runs when Bun transpiles the server: `bun build --compile` inlines the
 * results into the executable, which then needs no node_modules and no bundler; `bun src/cli.ts` runs it at start.
 * A macro may not call Bun.build (the bundler waits for the macro), so the CLI bundler runs as a child process.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const CLIENT = join(import.meta.dir, "client");

export function clientScript(): string {
  const r = Bun.spawnSync([process.execPath, "build", join(CLIENT, "app.ts"), "--format=esm", "--minify", "--target=browser"], {
    env: { ...process.env, BUN_BE_BUN: "1" },
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`bundling the dashboard failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

export function clientStyle(): string {
  return readFileSync(join(CLIENT, "style.css"), "utf8");
}
