import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStorage } from "../../src/storage/local.ts";

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  for (let k = 0; k < n; k += 65_536) crypto.getRandomValues(b.subarray(k, Math.min(n, k + 65_536)));
  return b;
}

describe("staging with keepBytes (the in-memory copy of a small upload)", () => {
  test("bytes equal the file; reused buffers never mix files; a file larger than announced keeps none; discard after commit is a no-op", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stage-keep-"));
    const storage = new LocalStorage({
      jobs: join(dir, "jobs"),
      results: join(dir, "r"),
      artifacts: join(dir, "a"),
      engines: join(dir, "e"),
    });
    try {
      // several rounds with several files in flight: buffers given back at commit are taken again by the next round
      for (let round = 0; round < 3; round++) {
        const inputs = [1, 70_000, 300_001, 600_000].map((n) => randomBytes(n + round));
        const writers = await Promise.all(inputs.map((b) => storage.stage("jobs", { md5: true, keepBytes: b.length + 200 })));
        for (const [i, b] of inputs.entries()) {
          for (let off = 0; off < b.length; off += 65_536) await writers[i]!.write(b.subarray(off, Math.min(b.length, off + 65_536)));
        }
        const staged = await Promise.all(writers.map((w) => w.finish()));
        for (const [i, s] of staged.entries()) {
          expect(s.bytes).toEqual(inputs[i]!);
          expect(s.md5).toBe(createHash("md5").update(inputs[i]!).digest("hex"));
          expect(new Uint8Array(readFileSync(s.path))).toEqual(inputs[i]!);
        }
        for (const [i, s] of staged.entries()) {
          await storage.commit(s, `j${round}/${i}.bin`);
          await storage.discard(s); // what every upload route does last: nothing left to delete
          expect(new Uint8Array(readFileSync(join(dir, "jobs", `j${round}`, `${i}.bin`)))).toEqual(inputs[i]!);
        }
      }
      const big = randomBytes(100_000);
      const w = await storage.stage("jobs", { md5: true, keepBytes: 50_000 });
      await w.write(big.subarray(0, 40_000));
      await w.write(big.subarray(40_000));
      const s = await w.finish();
      expect(s.bytes).toBeUndefined();
      expect(s.size).toBe(100_000);
      expect(new Uint8Array(readFileSync(s.path))).toEqual(big);
      await storage.discard(s); // not committed: the staged file goes
      expect(existsSync(s.path)).toBe(false);
      expect(readdirSync(storage.stagingDir("jobs"))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
