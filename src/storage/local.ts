/**
 * Local-disk storage: the layout of protocol §6.1. Staged files live in `{areaDir}/.staging/`
 * (same file system as their final place, so the commit is an atomic rename).
 */
import { randomUUID } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, normalize, sep } from "node:path";
import { md5OfFile } from "./md5-thread.ts";
import type { StagedFile, StagingWriter, Storage, StorageArea, StoredFile } from "./storage.ts";

export interface LocalStorageDirs {
  jobs: string;
  results: string;
  artifacts: string;
  engines: string;
}

export const STAGING_DIR = ".staging";

/** A long staged write asks for a (non-blocking) garbage collection after every this many bytes. */
const GC_EVERY_BYTES = 64 << 20;

export class LocalStorage implements Storage {
  /** Areas whose staging directory this instance has created (spares a mkdir per upload). */
  private readonly stagingReady = new Set<StorageArea>();

  constructor(private readonly dirs: LocalStorageDirs) {}

  /** Final path of a key; keys are built by the server from UUIDs, never from client names. */
  pathOf(area: StorageArea, key: string): string {
    const root = this.dirs[area];
    const p = normalize(join(root, key));
    if (!p.startsWith(root + sep) || key.split(/[\\/]/).some((s) => s === ".." || s === "" || s.startsWith("."))) {
      throw new Error(`invalid storage key ${JSON.stringify(key)}`);
    }
    return p;
  }

  stagingDir(area: StorageArea): string {
    return join(this.dirs[area], STAGING_DIR);
  }

  /** Opens a new staging file for writing; creates the staging directory once (again if it was removed meanwhile). */
  private async openStagingFile(area: StorageArea): Promise<{ path: string; out: WriteStream }> {
    const dir = this.stagingDir(area);
    for (let attempt = 0; ; attempt++) {
      if (!this.stagingReady.has(area)) {
        await mkdir(dir, { recursive: true });
        this.stagingReady.add(area);
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
        this.stagingReady.delete(area);
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

  async commit(staged: StagedFile, key: string): Promise<{ existed: boolean }> {
    const target = this.pathOf(staged.area, key);
    await mkdir(dirname(target), { recursive: true });
    const existed = await this.exists(staged.area, key);
    await rename(staged.path, target);
    return { existed };
  }

  async discard(staged: StagedFile): Promise<void> {
    await rm(staged.path, { force: true });
  }

  async put(area: StorageArea, key: string, bytes: Uint8Array): Promise<{ existed: boolean }> {
    const w = await this.stage(area);
    try {
      await w.write(bytes);
      const staged = await w.finish();
      return await this.commit(staged, key).catch(async (e) => {
        await this.discard(staged);
        throw e;
      });
    } catch (e) {
      await w.abort();
      throw e;
    }
  }

  async exists(area: StorageArea, key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(area, key))).isFile();
    } catch {
      return false;
    }
  }

  async remove(area: StorageArea, key: string): Promise<void> {
    await rm(this.pathOf(area, key), { force: true });
  }

  async open(area: StorageArea, key: string): Promise<StoredFile | null> {
    const path = this.pathOf(area, key);
    try {
      const st = await stat(path);
      if (!st.isFile()) return null;
      return { body: Bun.file(path), size: st.size, mtimeMs: st.mtimeMs };
    } catch {
      return null;
    }
  }
}
