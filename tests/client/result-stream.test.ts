/**
 * The client unpacks a result ZIP as a stream (src/client/result.ts with src/shared/zip/extract.ts): a ZIP-bomb-like
 * result (one 256 MiB entry of zeros, about 256 KiB compressed) is downloaded and unpacked by a child process whose
 * peak resident set grows by far less than the entry (the in-memory unzip it replaces took 306 MB), and a result
 * with an entry escaping the target directory is refused without writing anything.
 */
import { afterAll, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, Zip, ZipDeflate, zipSync } from "fflate";

const root = mkdtempSync(join(tmpdir(), "annopage-client-stream-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ENTRY = 256 * 1024 * 1024;

/** A ZIP of one entry of `size` zero bytes, built as a stream (this process never holds the entry either). */
function zeroBomb(path: string, size: number): void {
  const fd = openSync(path, "w");
  const zip = new Zip((err, data) => {
    if (err) throw err;
    writeSync(fd, data);
  });
  const entry = new ZipDeflate("pages/zeros.bin", { level: 9 });
  zip.add(entry);
  const chunk = new Uint8Array(1024 * 1024);
  for (let done = 0; done < size; done += chunk.length) entry.push(chunk, done + chunk.length >= size);
  zip.end();
  closeSync(fd);
}

function saveInChild(zip: string, dir: string): { rssBefore: number; peakRss: number; files?: string[]; error?: string } {
  const child = Bun.spawnSync([process.execPath, join(import.meta.dir, "..", "fixtures", "client-save-result.ts"), zip, dir], {
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(child.stderr.toString()).toBe("");
  expect(child.exitCode).toBe(0);
  return JSON.parse(child.stdout.toString());
}

test("a 256 MiB entry is downloaded and unpacked with bounded memory", () => {
  const zip = join(root, "bomb.zip");
  zeroBomb(zip, ENTRY);
  expect(statSync(zip).size).toBeLessThan(1024 * 1024);
  const dir = join(root, "out");
  const r = saveInChild(zip, dir);
  expect(r.files).toEqual(["pages/zeros.bin"]);
  expect(statSync(join(dir, "pages", "zeros.bin")).size).toBe(ENTRY);
  expect(readdirSync(dir)).toEqual(["pages"]); // the downloaded ZIP and the temporary files are gone
  const growth = r.peakRss - r.rssBefore;
  console.log(`client RSS: ${(r.rssBefore / 2 ** 20).toFixed(0)} MiB before, peak ${(r.peakRss / 2 ** 20).toFixed(0)} MiB`);
  expect(growth).toBeLessThan(100 * 1024 * 1024);
}, 120_000);

test("a result with an entry escaping the target directory is refused and writes nothing", () => {
  const zip = join(root, "evil.zip");
  writeFileSync(zip, zipSync({ "alto/ok.xml": strToU8("<alto/>"), "../../escaped.txt": strToU8("evil") }));
  const dir = join(root, "inside", "target");
  mkdirSync(dir, { recursive: true });
  const r = saveInChild(zip, dir);
  expect(r.error).toBe('the result ZIP has unsafe entry names: "../../escaped.txt"');
  expect(readdirSync(dir)).toEqual([]);
  expect(existsSync(join(root, "escaped.txt"))).toBe(false);
  expect(existsSync(join(root, "inside", "escaped.txt"))).toBe(false);
}, 60_000);
