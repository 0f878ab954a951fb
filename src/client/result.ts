/**
 * Where the job's result goes: `--output FILE.zip` (the ZIP itself) or `--output DIR` (unpacked
 * there, as the reference client does). The ZIP is downloaded to a temporary name and renamed
 * when whole (connector); unpacked files are written the same way, entry by entry as a stream.
 * Entry names come from the server, so each one is checked to be a plain relative path before
 * it becomes a file name.
 */
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { zipEntryNames } from "../shared/zip/central-directory.ts";
import { isTopDirEntry, safeEntryPath } from "../shared/zip/entry-name.ts";
import { unzipSafe } from "../shared/zip/extract.ts";
import type { ApiClient } from "./api.ts";

export interface OutputTarget {
  kind: "zip" | "dir";
  path: string;
}

/** `.zip` names a file unless a directory of that name exists; anything else is a directory. */
export function resolveOutput(output: string | undefined, problems: string[]): OutputTarget | undefined {
  if (!output) {
    problems.push("--output FILE.zip or DIR is required");
    return undefined;
  }
  const path = resolve(output);
  const isDir = existsSync(path) && statSync(path).isDirectory();
  if (!isDir && output.toLowerCase().endsWith(".zip")) {
    const parent = dirname(path);
    if (!existsSync(parent) || !statSync(parent).isDirectory()) {
      problems.push(`the directory for --output ${output} does not exist (${parent})`);
      return undefined;
    }
    return { kind: "zip", path };
  }
  if (existsSync(path) && !isDir) {
    problems.push(`--output ${output} exists and is not a directory (name a .zip file or a directory)`);
    return undefined;
  }
  return { kind: "dir", path };
}

/**
 * Unpacks a ZIP into `dir` as a stream (bounded memory, however large the entries); returns the relative paths
 * written. Every entry name is checked (src/shared/zip/entry-name.ts) before anything is written: an archive with an
 * unsafe name writes nothing.
 */
export async function unpackZip(zipPath: string, dir: string): Promise<string[]> {
  const bad = (await zipEntryNames(zipPath)).filter((name) => !safeEntryPath(name) && !isTopDirEntry(name));
  if (bad.length) throw new Error(`the result ZIP has unsafe entry names: ${bad.map((b) => JSON.stringify(b)).join(", ")}`);
  // No size limits: the result is the user's own, as large as the server made it.
  return unzipSafe(zipPath, dir, { maxBytes: Number.POSITIVE_INFINITY, maxEntries: Number.POSITIVE_INFINITY });
}

/** Downloads the result of a done job to the target; returns the path and the ZIP size. */
export async function saveResult(
  api: ApiClient,
  jobId: string,
  target: OutputTarget,
): Promise<{ path: string; bytes: number; files?: string[] }> {
  if (target.kind === "zip") {
    const bytes = await api.downloadResult(jobId, target.path);
    return { path: target.path, bytes };
  }
  mkdirSync(target.path, { recursive: true });
  const zip = join(target.path, `.${jobId}.result.zip`);
  try {
    const bytes = await api.downloadResult(jobId, zip);
    const files = await unpackZip(zip, target.path);
    return { path: target.path, bytes, files };
  } finally {
    rmSync(zip, { force: true });
  }
}
