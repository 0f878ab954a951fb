import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { md5OfFile } from "../../src/storage/md5-thread.ts";

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

describe("LocalStorage staging MD5", () => {
  test("hashed on the worker thread once written, at every size; equal to node:crypto; abort leaves nothing", async () => {
    const { LocalStorage } = await import("../../src/storage/local.ts");
    const { readdirSync, existsSync } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "stage-md5-"));
    const storage = new LocalStorage({
      jobs: join(dir, "jobs"),
      results: join(dir, "results"),
      artifacts: join(dir, "a"),
      engines: join(dir, "e"),
    });
    try {
      for (const n of [0, 100_000, (8 << 20) - 3, (8 << 20) + 70_000]) {
        const b = new Uint8Array(n);
        for (let k = 0; k < n; k += 65_536) crypto.getRandomValues(b.subarray(k, Math.min(n, k + 65_536)));
        const w = await storage.stage("jobs");
        for (let off = 0; off < n; off += 65_536) await w.write(b.subarray(off, Math.min(n, off + 65_536)));
        const staged = await w.finish();
        expect(staged.size).toBe(n);
        expect(staged.md5).toBe(createHash("md5").update(b).digest("hex"));
        const { existed } = await storage.commit(staged, `j/${n}.bin`);
        expect(existed).toBe(false);
        expect(new Uint8Array(await new Response((await storage.open("jobs", `j/${n}.bin`))!.body).arrayBuffer())).toEqual(b);
      }
      const w = await storage.stage("jobs");
      await w.write(new Uint8Array(10));
      await w.abort();
      expect(readdirSync(storage.stagingDir("jobs"))).toEqual([]);
      expect(existsSync(join(dir, "jobs", "j", "missing"))).toBe(false);
      expect(await storage.open("jobs", "j/missing")).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
