/** Output file writing: atomic (temp file in the same directory, then rename), directories created. */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/** JSON with 4-space indentation and non-ASCII unescaped (Python json.dumps(..., indent=4, ensure_ascii=False)). */
export function pyJson(value: unknown): string {
  return JSON.stringify(value, null, 4);
}
