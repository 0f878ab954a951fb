/** src/shared/atomic-write.ts: the target is the old file or the whole new one; a failure leaves no temporary file. */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AtomicFile, writeAtomic, writeFileAtomicSync } from "../../src/shared/atomic-write.ts";

const root = mkdtempSync(join(tmpdir(), "annopage-atomic-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, String(n++));
  mkdirSync(d);
  return d;
};

test("writeFileAtomicSync replaces the file whole, with the mode asked for", () => {
  const dir = fresh();
  const path = join(dir, "a.txt");
  writeFileSync(path, "old");
  writeFileAtomicSync(path, "new", 0o600);
  expect(readFileSync(path, "utf8")).toBe("new");
  expect(statSync(path).mode & 0o777).toBe(0o600);
  expect(readdirSync(dir)).toEqual(["a.txt"]);
});

test("AtomicFile: nothing at the target until commit; abort keeps the old file and removes the temporary one", () => {
  const dir = fresh();
  const path = join(dir, "b.bin");
  writeFileSync(path, "old");
  const f = new AtomicFile(path);
  f.write(new Uint8Array([1, 2]));
  f.write(new Uint8Array([3]));
  expect(readFileSync(path, "utf8")).toBe("old");
  f.commit();
  expect([...readFileSync(path)]).toEqual([1, 2, 3]);
  const g = new AtomicFile(path);
  g.write(new Uint8Array([9]));
  g.abort();
  expect([...readFileSync(path)]).toEqual([1, 2, 3]);
  expect(readdirSync(dir)).toEqual(["b.bin"]);
});

test("writeAtomic: a failing producer leaves the target alone and no temporary file", async () => {
  const dir = fresh();
  const path = join(dir, "c.zip");
  writeFileSync(path, "old");
  await expect(
    writeAtomic(path, async (tmp) => {
      writeFileSync(tmp, "half");
      throw new Error("broken");
    }),
  ).rejects.toThrow("broken");
  expect(readFileSync(path, "utf8")).toBe("old");
  expect(readdirSync(dir)).toEqual(["c.zip"]);
  expect(
    await writeAtomic(path, async (tmp) => {
      writeFileSync(tmp, "whole");
      return 5;
    }),
  ).toBe(5);
  expect(readFileSync(path, "utf8")).toBe("whole");
  expect(readdirSync(dir)).toEqual(["c.zip"]);
});
