/**
 * ZIP in and out with fflate's streaming classes, never holding a whole archive in memory:
 *  - zipDirectory: every file under a directory (paths relative to it, `/` separators, sorted,
 *    deflate), read in 1 MiB chunks, written to `<dest>.part` and renamed when complete;
 *  - unzipSafe: extracts an archive read in 1 MiB chunks; an entry whose path would leave the
 *    target directory (absolute, `..`, backslashes, drive letters, NUL) aborts the extraction.
 */
import { closeSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { open, readdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Unzip, UnzipInflate, Zip, ZipDeflate } from "fflate";
import { isInside } from "./paths.ts";

const CHUNK = 1024 * 1024;

/** Relative paths (with `/`) of every regular file under `dir`, sorted. */
export async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(join(dir, prefix), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/** Zips every file under `srcDir` into `destZip`. Returns the number of files stored. */
export async function zipDirectory(srcDir: string, destZip: string): Promise<number> {
  const files = await listFiles(srcDir);
  const part = `${destZip}.part`;
  const fd = openSync(part, "w");
  let failed: Error | undefined;
  let ended = false;
  const zip = new Zip((err, data, final) => {
    if (err) failed = err;
    else writeSync(fd, data);
    if (final) ended = true;
  });
  try {
    const buf = new Uint8Array(CHUNK);
    for (const rel of files) {
      const entry = new ZipDeflate(rel, { level: 6 });
      zip.add(entry);
      const fh = await open(join(srcDir, rel), "r");
      try {
        let pos = 0;
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
          pos += bytesRead;
          if (bytesRead < CHUNK) {
            entry.push(buf.slice(0, bytesRead), true);
            break;
          }
          entry.push(buf.slice(0, bytesRead), false);
        }
      } finally {
        await fh.close();
      }
      if (failed) throw failed;
    }
    zip.end();
    if (failed) throw failed;
    if (!ended) throw new Error("zip stream did not finish");
    closeSync(fd);
    await rename(part, destZip);
    return files.length;
  } catch (e) {
    try {
      closeSync(fd);
    } catch {}
    await rm(part, { force: true });
    throw e;
  }
}

export class UnsafeZipError extends Error {
  constructor(entry: string) {
    super(`archive entry ${JSON.stringify(entry)} would be written outside the target directory`);
    this.name = "UnsafeZipError";
  }
}

/** Checks a ZIP entry name and returns its destination under `destDir`. */
function entryTarget(destDir: string, name: string): string {
  // eslint-disable-next-line no-control-regex
  if (!name || name.includes("\\") || name.includes("\0") || name.startsWith("/") || /^[a-zA-Z]:/.test(name))
    throw new UnsafeZipError(name);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new UnsafeZipError(name);
  const target = join(destDir, ...parts);
  if (!isInside(destDir, target)) throw new UnsafeZipError(name);
  return target;
}

/** An archive that would expand past its limits (a ZIP bomb, or simply too much for the disk). */
export class ZipTooLargeError extends Error {
  constructor(what: string) {
    super(`archive expands past ${what}; not extracted (ZIP bomb?)`);
    this.name = "ZipTooLargeError";
  }
}

/**
 * Extracts `zipPath` into `destDir` (created). Returns the number of files written. Stops with ZipTooLargeError past
 * `maxEntries` files or `maxBytes` written — by default 200 times the archive's size, at least 1 GiB: model files
 * hardly compress, while a ZIP bomb expands a thousandfold.
 */
export async function unzipSafe(
  zipPath: string,
  destDir: string,
  limits: { maxBytes?: number; maxEntries?: number } = {},
): Promise<number> {
  mkdirSync(destDir, { recursive: true });
  const maxBytes = limits.maxBytes ?? Math.max(1024 ** 3, 200 * statSync(zipPath).size);
  const maxEntries = limits.maxEntries ?? 100_000;
  let written = 0;
  let failed: Error | undefined;
  let count = 0;
  const openFds = new Set<number>();
  const unzip = new Unzip((file) => {
    if (failed) return;
    let target: string;
    try {
      target = entryTarget(destDir, file.name);
    } catch (e) {
      failed = e as Error;
      return;
    }
    if (file.name.endsWith("/")) {
      mkdirSync(target, { recursive: true });
      return;
    }
    if (count >= maxEntries) {
      failed = new ZipTooLargeError(`${maxEntries} files`);
      return;
    }
    mkdirSync(dirname(target), { recursive: true });
    const fd = openSync(target, "w");
    openFds.add(fd);
    count++;
    file.ondata = (err, data, final) => {
      if (failed && !err) return;
      if (err) failed ??= err;
      else if (data.length) {
        written += data.length;
        if (written > maxBytes) {
          failed = new ZipTooLargeError(`${maxBytes} bytes`);
          return;
        }
        writeSync(fd, data);
      }
      if (final || err) {
        closeSync(fd);
        openFds.delete(fd);
      }
    };
    try {
      file.start();
    } catch (e) {
      failed ??= e as Error;
    }
  });
  unzip.register(UnzipInflate);
  const fh = await open(zipPath, "r");
  try {
    const buf = new Uint8Array(CHUNK);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      pos += bytesRead;
      unzip.push(buf.slice(0, bytesRead), bytesRead < CHUNK);
      if (failed) throw failed;
      if (bytesRead < CHUNK) break;
    }
    if (openFds.size) throw new Error(`archive ended inside an entry (truncated ZIP?)`);
    return count;
  } finally {
    await fh.close();
    for (const fd of openFds) closeSync(fd);
  }
}
