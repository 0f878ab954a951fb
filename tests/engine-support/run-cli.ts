/** Runs `annopage process` as a real child process (from source, or a given binary) and collects its output. */
import { resolve } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { SHARED } from "../helpers/shared.ts";

export const REPO = resolve(import.meta.dir, "..", "..");
export const PAGES = `${SHARED}/fixtures/pages/images`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  progress: string[];
}

export async function runProcess(
  args: string[],
  opts: { cwd?: string; binary?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const cmd = opts.binary ? [opts.binary, "process", ...args] : [process.execPath, resolve(REPO, "src/cli.ts"), "process", ...args];
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd ?? REPO,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
    env: { ...process.env, ...opts.env },
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr, progress: stdout.split("\n").filter(Boolean) };
}

const created: string[] = [];

/** Remove the directories made by tempDir (call from afterAll; KEEP_TEST_OUTPUT=1 keeps them). */
export function removeTempDirs(): void {
  if (process.env.KEEP_TEST_OUTPUT) return;
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A fresh directory under the OS temp dir (see removeTempDirs). */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `annopage-${prefix}-`));
  created.push(d);
  return d;
}

/** A white page with printed lines of text (for OCR) and, optionally, a dark picture block. */
export function textPage(lines: string[], opts: { width?: number; height?: number; picture?: boolean } = {}): Buffer {
  const w = opts.width ?? 1200,
    h = opts.height ?? 900;
  const c = createCanvas(w, h);
  const ctx = c.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = "#000000";
  ctx.font = "40px DejaVu Serif";
  lines.forEach((l, i) => ctx.fillText(l, 80, 120 + i * 70));
  if (opts.picture) {
    const g = ctx.createLinearGradient(700, 450, 1100, 800);
    g.addColorStop(0, "#202020");
    g.addColorStop(1, "#a0a0a0");
    ctx.fillStyle = g;
    ctx.fillRect(700, 450, 400, 350);
  }
  return c.encodeSync("jpeg", 92);
}
