/**
 * Staged writes to local temporary files, shared by every Storage implementation: the bytes stream
 * to `{dir}/{uuid}.part` (one directory per area, given by the caller), hashed with MD5 on a worker
 * thread once whole (md5-thread.ts), so validators can read `StagedFile.path` before the commit.
 * LocalStorage stages next to the final place (atomic rename); S3Storage stages under the base dir
 * and uploads the file on commit.
 */
import { randomUUID } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { md5OfFile } from "./md5-thread.ts";
import type { StagedFile, StagingWriter, Storage, StorageArea } from "./storage.ts";

/** A long staged write asks for a (non-blocking) garbage collection after every this many bytes. */
const GC_EVERY_BYTES = 64 << 20;

export class Stager {
  /** Areas whose staging directory this instance has created (spares a mkdir per upload). */
  private readonly ready = new Set<StorageArea>();

  constructor(private readonly dirOf: (area: StorageArea) => string) {}

  dir(area: StorageArea): string {
    return this.dirOf(area);
  }

  /** Opens a new staging file for writing; creates the staging directory once (again if it was removed meanwhile). */
  private async openStagingFile(area: StorageArea): Promise<{ path: string; out: WriteStream }> {
    const dir = this.dirOf(area);
    for (let attempt = 0; ; attempt++) {
      if (!this.ready.has(area)) {
        await mkdir(dir, { recursive: true });
        this.ready.add(area);
      }
      const path = join(dir, `${randomUUID()}.part`);
      const out: WriteStream = createWriteStream(path, { flags: "wx" });
      try {
        await new Promise<void>((resolve, reject) => {
          out.once("open", () => resolve());
          out.once("error", reject);
        });
        return { path, out };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT" || attempt > 0) throw e;
        this.ready.delete(area);
      }
    }
  }

  async stage(area: StorageArea, opts: { md5?: boolean } = {}): Promise<StagingWriter> {
    const { path, out } = await this.openStagingFile(area);
    const wantMd5 = opts.md5 !== false;
    let size = 0;
    let sinceGc = 0;
    let failed: Error | undefined;
    out.on("error", (e) => {
      failed = e;
    });
    let done = false;
    return {
      get size() {
        return size;
      },
      async write(chunk: Uint8Array) {
        if (failed) throw failed;
        size += chunk.byteLength;
        sinceGc += chunk.byteLength;
        if (sinceGc >= GC_EVERY_BYTES) {
          sinceGc = 0;
          Bun.gc(false); // a large upload's request chunks are garbage at once: collect them as we go (bounded RSS)
        }
        if (!out.write(chunk)) {
          await new Promise<void>((resolve, reject) => {
            const onDrain = () => {
              out.off("error", onError);
              resolve();
            };
            const onError = (e: Error) => {
              out.off("drain", onDrain);
              reject(e);
            };
            out.once("drain", onDrain);
            out.once("error", onError);
          });
        }
      },
      async finish(): Promise<StagedFile> {
        if (failed) throw failed;
        done = true;
        await new Promise<void>((resolve, reject) => {
          out.once("error", reject);
          out.end(() => resolve());
        });
        // Hashed after the write, on a worker thread (md5-thread.ts): the event loop stays free for other requests.
        return { area, path, size, md5: wantMd5 ? await md5OfFile(path) : null };
      },
      async abort() {
        if (!done) {
          done = true;
          await new Promise<void>((resolve) => {
            out.once("close", () => resolve());
            out.destroy();
          });
        }
        await rm(path, { force: true });
      },
    };
  }

  /** Deletes a staged file (idempotent). */
  async discard(staged: StagedFile): Promise<void> {
    await rm(staged.path, { force: true });
  }
}

/** `Storage.put` for any storage: small bytes through stage + commit; nothing is left staged on failure. */
export async function putViaStaging(
  storage: Pick<Storage, "stage" | "commit" | "discard">,
  area: StorageArea,
  key: string,
  bytes: Uint8Array,
): Promise<{ existed: boolean }> {
  const w = await storage.stage(area);
  try {
    await w.write(bytes);
    const staged = await w.finish();
    return await storage.commit(staged, key).catch(async (e) => {
      await storage.discard(staged);
      throw e;
    });
  } catch (e) {
    await w.abort();
    throw e;
  }
}
