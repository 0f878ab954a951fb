/**
 * Staged writes to local temporary files, shared by every Storage implementation: the bytes stream
 * to `{dir}/{owner}_{uuid}.part` (one directory per area, given by the caller) and are hashed with MD5 on a
 * worker thread once whole (md5-thread.ts), so validators can read `StagedFile.path` before the commit.
 * LocalStorage stages next to the final place (atomic rename); S3Storage stages under the base dir
 * and uploads the file on commit.
 *
 * A process killed mid-upload (SIGKILL, OOM, power loss) leaves its `.part` files behind; `sweep` removes them
 * (staging-owner.ts says whose a file is): at start every file of a dead instance on this host, and periodically
 * every file not written to for longer than the age bound (STAGING_MAX_AGE_SECONDS), whoever wrote it — never the
 * files this instance is still writing or checking.
 */
import { randomUUID } from "node:crypto";
import { closeSync, open, rmSync, writeSync } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { giveBack, takeBuffer } from "./keep-buffers.ts";
import { md5OfFile } from "./md5-thread.ts";
import { newStagingOwner, ownerIsDeadHere, parseStagingName } from "./staging-owner.ts";
import {
  STORAGE_AREAS,
  type StagedFile,
  type StageOptions,
  type StagingSweep,
  type StagingWriter,
  type Storage,
  type StorageArea,
  type StoredFile,
} from "./storage.ts";

/** A new file for writing (must not exist yet), opened on the thread pool; a plain descriptor for writeSync/closeSync. */
const openForWriting = (path: string) =>
  new Promise<number>((resolve, reject) => open(path, "wx", (e, fd) => (e ? reject(e) : resolve(fd))));

/** A long staged write runs a (synchronous) garbage collection after every this many bytes. */
const GC_EVERY_BYTES = 64 << 20;

class Stager {
  /** Areas whose staging directory this instance has created (spares a mkdir per upload). */
  private readonly ready = new Set<StorageArea>();
  /** Staged files of this instance not yet committed or discarded: a sweep never touches them. */
  private readonly live = new Set<string>();
  /** The in-memory copies (StageOptions.keepBytes) of live staged files, by path: given back when the file settles. */
  private readonly kept = new Map<string, Uint8Array>();
  /** `{host}_{pid}_{token}`: the first part of this instance's staged file names. */
  private readonly owner = newStagingOwner();

  constructor(private readonly dirOf: (area: StorageArea) => string) {}

  dir(area: StorageArea): string {
    return this.dirOf(area);
  }

  /**
   * Opens a new staging file for writing; creates the staging directory once (again if it was removed meanwhile).
   * Unlike the writes, the create is asynchronous: it waits for the file system's journal, which on a busy disk took
   * 0.2–1.3 ms of wall time per upload, the event loop standing still meanwhile (server benchmark, CPU profile).
   */
  private async openStagingFile(area: StorageArea): Promise<{ path: string; fd: number }> {
    const dir = this.dirOf(area);
    for (let attempt = 0; ; attempt++) {
      if (!this.ready.has(area)) {
        await mkdir(dir, { recursive: true });
        this.ready.add(area);
      }
      const path = join(dir, `${this.owner}_${randomUUID()}.part`);
      this.live.add(path); // before it exists: a sweep never takes it
      try {
        return { path, fd: await openForWriting(path) };
      } catch (e) {
        this.live.delete(path);
        if ((e as NodeJS.ErrnoException).code !== "ENOENT" || attempt > 0) throw e;
        this.ready.delete(area);
      }
    }
  }

  /**
   * Staged writes use the synchronous file calls on purpose: on a local disk they return in microseconds from the
   * page cache, while each asynchronous call is a round trip through Bun's two-thread pool — the pool that also
   * decodes uploaded PNG and WebP images, so under load a 64 KiB write could wait behind a decode (server benchmark). A 1 GB
   * upload measured no slower this way (bench/server.ts phase 2). On a network file system each call is a round
   * trip to the file server instead (docs/deployment.md recommends STORAGE=s3 for several machines). The MD5 is
   * computed after the write on a worker thread (md5-thread.ts), never on the event loop that every request shares: a
   * 340 KB page costs ~0.6 ms to hash here, a fifth of its upload's event-loop time (bench/server.ts, 4 alternating
   * pairs of runs: main thread 6.0–8.5 vs 6.7–9.3 ms/job, 96 vs 92 jobs/s on average, as the bytes were hashed as
   * they arrived).
   */
  async stage(area: StorageArea, opts: StageOptions = {}): Promise<StagingWriter> {
    const { path, fd } = await this.openStagingFile(area);
    const wantMd5 = opts.md5 !== false;
    let kept = opts.keepBytes ? takeBuffer(opts.keepBytes) : undefined;
    if (kept) this.kept.set(path, kept);
    const dropKept = () => {
      kept = undefined; // larger than announced: the checks read the file
      this.giveBackKept(path);
    };
    let size = 0;
    let sinceGc = 0;
    let closed = false;
    const close = () => {
      if (!closed) {
        closed = true;
        closeSync(fd);
      }
    };
    return {
      get size() {
        return size;
      },
      async write(chunk: Uint8Array) {
        if (closed) throw new Error("staged file already finished");
        size += chunk.byteLength;
        for (let off = 0; off < chunk.byteLength; ) off += writeSync(fd, chunk, off);
        if (kept) {
          if (size <= opts.keepBytes!) kept.set(chunk, size - chunk.byteLength);
          else dropKept();
        }
        sinceGc += chunk.byteLength;
        if (sinceGc >= GC_EVERY_BYTES) {
          sinceGc = 0;
          // A large upload's request chunks are garbage at once: collect them as we go, synchronously (a ~10 ms pause
          // per 64 MiB, large uploads only). bench/server.ts, 1 GiB upload: RSS +35–54 MiB over 8 runs (limit 64);
          // with an asynchronous GC request +46–82 MiB over 7 runs, at ~800 instead of ~650 MiB/s.
          Bun.gc(true);
        }
      },
      async finish(): Promise<StagedFile> {
        close();
        const md5 = wantMd5 ? await md5OfFile(path) : null;
        return { area, path, size, md5, ...(kept && { bytes: kept.subarray(0, size) }) };
      },
      abort: async () => {
        close();
        rmSync(path, { force: true });
        this.live.delete(path);
        this.giveBackKept(path);
      },
    };
  }

  private giveBackKept(path: string): void {
    const buffer = this.kept.get(path);
    if (!buffer) return;
    this.kept.delete(path);
    giveBack(buffer);
  }

  /**
   * Deletes a staged file (idempotent). A file that is no longer live was committed (moved away) or discarded
   * already: nothing to delete, which spares every successful upload a failing unlink.
   */
  async discard(staged: StagedFile): Promise<void> {
    if (!this.live.has(staged.path)) return;
    rmSync(staged.path, { force: true });
    this.live.delete(staged.path);
    this.giveBackKept(staged.path);
  }

  /** The staged file has been moved to its final place (LocalStorage's rename): nothing is left to sweep or discard. */
  settled(staged: StagedFile): void {
    this.live.delete(staged.path);
    this.giveBackKept(staged.path);
  }

  /** See the module comment; returns how many files were removed. Never throws (a file gone meanwhile is skipped). */
  async sweep(opts: StagingSweep): Promise<number> {
    const cutoff = Date.now() - opts.maxAgeMs;
    let removed = 0;
    for (const dir of new Set(STORAGE_AREAS.map((a) => this.dirOf(a)))) {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (!name.endsWith(".part")) continue;
        const path = join(dir, name);
        if (this.live.has(path)) continue;
        const owner = parseStagingName(name);
        let stale = opts.startup && owner !== null && ownerIsDeadHere(owner);
        if (!stale) {
          const st = await stat(path).catch(() => null);
          stale = st !== null && st.mtimeMs < cutoff;
        }
        if (stale && !this.live.has(path)) {
          await rm(path, { force: true }).catch(() => {});
          removed++;
        }
      }
    }
    return removed;
  }
}

/**
 * What every Storage does the same way: staging (a Stager over the directories `dirOf` gives), discarding a staged
 * file, and `put` of small bytes through stage + commit with nothing left staged on failure. Subclasses add where
 * committed files live (commit, exists, remove, open).
 */
export abstract class StagedStorage implements Storage {
  private readonly stager: Stager;

  constructor(dirOf: (area: StorageArea) => string) {
    this.stager = new Stager(dirOf);
  }

  abstract commit(staged: StagedFile, key: string): Promise<{ existed: boolean }>;
  abstract exists(area: StorageArea, key: string): Promise<boolean>;
  abstract remove(area: StorageArea, key: string): Promise<void>;
  abstract open(area: StorageArea, key: string): Promise<StoredFile | null>;

  stagingDir(area: StorageArea): string {
    return this.stager.dir(area);
  }

  stage(area: StorageArea, opts: StageOptions = {}): Promise<StagingWriter> {
    return this.stager.stage(area, opts);
  }

  async discard(staged: StagedFile): Promise<void> {
    await this.stager.discard(staged);
  }

  /** For subclasses: `staged` was moved into place by the commit (nothing left to sweep). */
  protected settled(staged: StagedFile): void {
    this.stager.settled(staged);
  }

  sweepStaging(opts: StagingSweep): Promise<number> {
    return this.stager.sweep(opts);
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
}
