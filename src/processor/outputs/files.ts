/** Output file helpers: directories created; files are written atomically with src/shared/atomic-write.ts. */
import { mkdirSync } from "node:fs";

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/** JSON with 4-space indentation and non-ASCII unescaped (Python json.dumps(..., indent=4, ensure_ascii=False)). */
export function pyJson(value: unknown): string {
  return JSON.stringify(value, null, 4);
}
