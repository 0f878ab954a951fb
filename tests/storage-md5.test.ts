import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { md5OfFile } from "../src/storage/md5-thread.ts";

describe("md5OfFile (worker thread)", () => {
  test("matches node:crypto for empty, small and multi-chunk files, concurrently; missing file rejects", async () => {
    const dir = mkdtempSync(join(tmpdir(), "md5-"));
    try {
      const sizes = [0, 1, 65_536, (1 << 20) + 17, 3 * (1 << 20) + 5];
      const files = sizes.map((n, i) => {
        const b = new Uint8Array(n);
        for (let k = 0; k < n; k += 65_536) crypto.getRandomValues(b.subarray(k, Math.min(n, k + 65_536)));
        const p = join(dir, `f${i}`);
        writeFileSync(p, b);
        return { p, md5: createHash("md5").update(b).digest("hex") };
      });
      const got = await Promise.all(files.map((f) => md5OfFile(f.p)));
      expect(got).toEqual(files.map((f) => f.md5));
      const missing = await md5OfFile(join(dir, "missing")).then(
        () => "resolved",
        (e: NodeJS.ErrnoException) => e.code,
      );
      expect(missing).toBe("ENOENT");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
