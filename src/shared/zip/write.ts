/**
 * Writing ZIP archives: zipDirectory (the worker's result archives) streams with fflate's classes, never holding a
 * whole archive in memory: every file under a directory (paths relative to it, `/` separators, sorted, deflate), read
 * in 1 MiB chunks and written atomically (src/shared/atomic-write.ts). zipInMemory builds a small archive at once
 * (the server's built-in engine).
 */
import { open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { strToU8, Zip, ZipDeflate, zipSync } from "fflate";
import { AtomicFile } from "../atomic-write.ts";

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
  const out = new AtomicFile(destZip);
  let failed: Error | undefined;
  let ended = false;
  const zip = new Zip((err, data, final) => {
    if (err) failed = err;
    else out.write(data);
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
  } catch (e) {
    out.abort();
    throw e;
  }
  out.commit();
  return files.length;
}

/** A small archive built in memory: deflate, every entry dated `mtime` (the same files give the same bytes). */
export function zipInMemory(files: Record<string, string | Uint8Array>, mtime: Date): Uint8Array {
  const entries = Object.fromEntries(Object.entries(files).map(([name, data]) => [name, typeof data === "string" ? strToU8(data) : data]));
  return zipSync(entries, { level: 6, mtime });
}
