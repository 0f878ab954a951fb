/** Temporary directories for the processor tests, removed by removeTempDirs (KEEP_TEST_OUTPUT=1 keeps them). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
