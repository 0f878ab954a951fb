/**
 * Local-disk storage: the layout of docs/protocol.md §6.1. Staged files live in `{areaDir}/.staging/`
 * (same file system as their final place, so the commit is an atomic rename).
 */
import { renameSync, rmSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, normalize, sep } from "node:path";
import { StagedStorage } from "./staging.ts";
import type { StagedFile, StorageArea, StoredFile } from "./storage.ts";

export interface LocalStorageDirs {
  jobs: string;
  results: string;
  artifacts: string;
  engines: string;
}

const STAGING_DIR = ".staging";

function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false; // ENOTDIR and the like: nothing is stored there
  }
}

export class LocalStorage extends StagedStorage {
  constructor(private readonly dirs: LocalStorageDirs) {
    super((area) => join(dirs[area], STAGING_DIR)); // staged writes go to `{areaDir}/.staging/`
  }

  /** Final path of a key; keys are built by the server from UUIDs, never from client names. */
  pathOf(area: StorageArea, key: string): string {
    const root = this.dirs[area];
    const p = normalize(join(root, key));
    if (!p.startsWith(root + sep) || key.split(/[\\/]/).some((s) => s === ".." || s === "" || s.startsWith("."))) {
      throw new Error(`invalid storage key ${JSON.stringify(key)}`);
    }
    return p;
  }

  /**
   * A new directory waits for the file system's journal: made on the thread pool, not on the event loop. The check
   * for an existing file and the rename stay together in one synchronous step (concurrent commits of one key).
   */
  async commit(staged: StagedFile, key: string): Promise<{ existed: boolean }> {
    const target = this.pathOf(staged.area, key);
    await mkdir(dirname(target), { recursive: true });
    const existed = isFile(target);
    renameSync(staged.path, target);
    this.settled(staged);
    return { existed };
  }

  async exists(area: StorageArea, key: string): Promise<boolean> {
    return isFile(this.pathOf(area, key));
  }

  async remove(area: StorageArea, key: string): Promise<void> {
    rmSync(this.pathOf(area, key), { force: true });
  }

  async open(area: StorageArea, key: string): Promise<StoredFile | null> {
    const path = this.pathOf(area, key);
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path, { throwIfNoEntry: false });
    } catch {
      return null;
    }
    if (!st?.isFile()) return null;
    return { body: Bun.file(path), size: st.size, mtimeMs: st.mtimeMs };
  }
}
