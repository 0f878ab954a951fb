/**
 * The one atomic file write: the content goes to a temporary file beside the target (`.{name}.{random}.part`: same
 * directory, so the rename stays on one file system; a leading dot, so listings skip it) and is renamed onto the
 * target once complete, so a reader sees the old file or the whole new one, never a half-written one. On failure the
 * temporary file is removed and the target is left as it was.
 *  - writeFileAtomicSync: bytes or text at once;
 *  - AtomicFile: written chunk by chunk (synchronously, e.g. from a streaming callback), then commit() or abort();
 *  - writeAtomic: an async producer that writes the temporary path (a download, an archive) before the rename.
 */
import { randomUUID } from "node:crypto";
import { closeSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** A fresh temporary name beside `path`. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomUUID().slice(0, 8)}.part`);
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array, mode?: number): void {
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data, mode === undefined ? undefined : { mode });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** A file written in chunks under a temporary name; commit() renames it onto `path`, abort() removes it. */
export class AtomicFile {
  private readonly tmp: string;
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.tmp = tempPathFor(path);
    this.fd = openSync(this.tmp, "w");
  }

  write(data: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.path} is already closed`);
    for (let done = 0; done < data.length; ) done += writeSync(this.fd, data, done);
  }

  commit(): void {
    try {
      this.close();
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  abort(): void {
    try {
      this.close();
    } finally {
      rmSync(this.tmp, { force: true });
    }
  }

  private close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }
}

/** Runs `write` on a temporary path beside `path`, then renames it onto `path`; returns what `write` returned. */
export async function writeAtomic<T>(path: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = tempPathFor(path);
  try {
    const result = await write(tmp);
    await rename(tmp, path);
    return result;
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
