/**
 * Extracting a ZIP archive to a directory as a stream (the archive read in 1 MiB chunks and inflated in small
 * slices, each entry written chunk by chunk), so memory stays bounded however large the entries are. Each entry name passes the one
 * check of src/shared/zip/entry-name.ts (a name that would leave the target directory aborts the extraction), each
 * file is written atomically (src/shared/atomic-write.ts), and limits on bytes and files stop a ZIP bomb.
 * Used by the worker (engine archives) and the client (result archives).
 */
import { mkdirSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Unzip, UnzipInflate } from "fflate";
import { AtomicFile } from "../atomic-write.ts";
import { isTopDirEntry, safeEntryPath, UnsafeZipError } from "./entry-name.ts";

const CHUNK = 1024 * 1024;
/**
 * The archive is handed to fflate in slices this small: it inflates all it is given at once, and deflate expands up
 * to 1032-fold, so one slice yields at most ~2 MiB, where a 1 MiB slice of a ZIP bomb yields a gigabyte. Measured on
 * a 256 MiB entry of zeros (peak RSS growth): 790 MiB with 1 MiB slices, 118 MiB with 16 KiB, 40-70 MiB with 4 KiB,
 * 30-40 MiB with 2 KiB; the CPU time for ordinary (incompressible) data is the same with 2 KiB as with 1 MiB
 * within the noise, 1 KiB costs about a fifth more.
 */
const SLICE = 2 * 1024;

/** Hands `data` to `unzip` in slices of SLICE bytes, stopping when `failed()` says so. */
export function pushInSlices(unzip: Unzip, data: Uint8Array, final: boolean, failed: () => unknown): void {
  for (let at = 0; at < data.length || (final && at === 0); at += SLICE) {
    const end = Math.min(at + SLICE, data.length);
    unzip.push(data.subarray(at, end), final && end === data.length);
    if (failed()) return;
  }
}

/** An archive that would expand past its limits (a ZIP bomb, or simply too much for the disk). */
export class ZipTooLargeError extends Error {
  constructor(what: string) {
    super(`archive expands past ${what}; not extracted (ZIP bomb?)`);
    this.name = "ZipTooLargeError";
  }
}

/**
 * Extracts `zipPath` into `destDir` (created). Returns the relative paths of the files written, in archive order.
 * Stops with ZipTooLargeError past `maxEntries` files or `maxBytes` written — by default 200 times the archive's
 * size, at least 1 GiB: model files hardly compress, while a ZIP bomb expands a thousandfold. A file cut short by a
 * failure is removed.
 */
export async function unzipSafe(
  zipPath: string,
  destDir: string,
  limits: { maxBytes?: number; maxEntries?: number } = {},
): Promise<string[]> {
  mkdirSync(destDir, { recursive: true });
  const maxBytes = limits.maxBytes ?? Math.max(1024 ** 3, 200 * statSync(zipPath).size);
  const maxEntries = limits.maxEntries ?? 100_000;
  let written = 0;
  let failed: Error | undefined;
  const files: string[] = [];
  const unfinished = new Set<AtomicFile>();
  const unzip = new Unzip((file) => {
    if (failed) return;
    const parts = safeEntryPath(file.name);
    if (!parts) {
      if (!isTopDirEntry(file.name)) failed = new UnsafeZipError(file.name);
      return;
    }
    const target = join(destDir, ...parts);
    if (file.name.endsWith("/")) {
      mkdirSync(target, { recursive: true });
      return;
    }
    if (files.length >= maxEntries) {
      failed = new ZipTooLargeError(`${maxEntries} files`);
      return;
    }
    mkdirSync(dirname(target), { recursive: true });
    const out = new AtomicFile(target);
    unfinished.add(out);
    files.push(parts.join("/"));
    file.ondata = (err, data, final) => {
      if (err) failed ??= err;
      if (failed) return;
      written += data.length;
      if (written > maxBytes) {
        failed = new ZipTooLargeError(`${maxBytes} bytes`);
        return;
      }
      out.write(data);
      if (final) {
        unfinished.delete(out);
        out.commit();
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
      const last = bytesRead < CHUNK;
      // a copy: fflate may keep a reference to what it was given, and `buf` is read into again
      pushInSlices(unzip, buf.slice(0, bytesRead), last, () => failed);
      if (failed) throw failed;
      if (last) break;
    }
    if (unfinished.size) throw new Error("archive ended inside an entry (truncated ZIP?)");
    return files;
  } finally {
    await fh.close();
    for (const out of unfinished) out.abort();
  }
}
