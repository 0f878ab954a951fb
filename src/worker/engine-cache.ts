/**
 * Engine files cache (docs/protocol.md §7.4, docs/processor.md §7.1): one directory per (engine id,
 * files_updated), `<enginesDir>/<files_updated>.<engine id>/`, downloaded and unpacked once.
 * The archive is fetched and extracted into a private temporary directory and renamed into place
 * only when complete, so a crash or a concurrent worker never sees a half-unpacked engine.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import type { ApiClient, Job } from "../client/api.ts";
import { isUuid, timestampForName } from "./paths.ts";
import { unzipSafe } from "../shared/zip/extract.ts";

export interface EngineCacheResult {
  dir: string;
  /** True when the files were downloaded for this job (false: reused from the cache). */
  downloaded: boolean;
}

/**
 * The engine directory for a job, downloading it if needed; null when the job has no engine or
 * its engine has no files.
 */
export async function ensureEngine(
  api: ApiClient,
  job: Pick<Job, "engine_id" | "engine_files_updated">,
  enginesDir: string,
  opts: { cleanupOld?: boolean } = {},
): Promise<EngineCacheResult | null> {
  const engineId = job.engine_id;
  const updated = job.engine_files_updated;
  if (!engineId || !updated) return null;
  if (!isUuid(engineId)) throw new Error(`engine id ${JSON.stringify(engineId)} is not a UUID`);
  const name = `${timestampForName(updated)}.${engineId.toLowerCase()}`;
  const dir = join(enginesDir, name);
  if (existsSync(dir)) return { dir, downloaded: false };

  await mkdir(enginesDir, { recursive: true });
  if (opts.cleanupOld) await removeOtherVersions(enginesDir, engineId.toLowerCase(), name);

  const tmp = join(enginesDir, `.tmp-${randomUUID()}`);
  try {
    await mkdir(tmp);
    const zip = join(tmp, "engine.zip");
    await api.downloadEngineFiles(engineId, zip);
    const files = join(tmp, "files");
    await unzipSafe(zip, files);
    try {
      await rename(files, dir);
    } catch (e) {
      // Another worker sharing this cache finished first: use its copy.
      if (!existsSync(dir)) throw e;
    }
    return { dir, downloaded: true };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function removeOtherVersions(enginesDir: string, engineId: string, keep: string): Promise<void> {
  for (const entry of await readdir(enginesDir)) {
    if (entry !== keep && entry.endsWith(`.${engineId}`) && !entry.startsWith(".")) {
      await rm(join(enginesDir, entry), { recursive: true, force: true });
    }
  }
}
