/**
 * Where the job's result goes: `--output FILE.zip` (the ZIP itself) or `--output DIR` (unpacked
 * there, as the reference client does). The ZIP is downloaded to a temporary name and renamed
 * when whole (connector); unpacked files are written the same way. Entry names come from the
 * server, so each one is checked to be a plain relative path before it becomes a file name.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { unzipSync } from "fflate";
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

/** A ZIP entry name as a safe relative path, or undefined (absolute, `..`, drive letters, control characters). */
export function safeEntryPath(name: string): string[] | undefined {
  // eslint-disable-next-line no-control-regex
  if (!name || /[\u0000-\u001f\\]/.test(name) || name.startsWith("/") || /^[A-Za-z]:/.test(name)) return undefined;
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length === 0 || parts.some((p) => p === "..")) return undefined;
  return parts;
}

/** Unpacks a ZIP into `dir`; returns the relative paths written. Refuses unsafe entry names. */
export function unpackZip(zipPath: string, dir: string): string[] {
  const entries = unzipSync(readFileSync(zipPath));
  const plan: [string[], Uint8Array][] = [];
  const bad: string[] = [];
  for (const [name, data] of Object.entries(entries)) {
    if (name.endsWith("/")) continue; // directory entry
    const parts = safeEntryPath(name);
    if (!parts) bad.push(name);
    else plan.push([parts, data]);
  }
  if (bad.length) throw new Error(`the result ZIP has unsafe entry names: ${bad.map((b) => JSON.stringify(b)).join(", ")}`);
  const written: string[] = [];
  for (const [parts, data] of plan) {
    const target = join(dir, ...parts);
    if (!resolve(target).startsWith(resolve(dir) + sep)) throw new Error(`unsafe entry ${parts.join("/")}`);
    mkdirSync(dirname(target), { recursive: true });
    const tmp = join(dirname(target), `.${parts[parts.length - 1]}.${randomUUID().slice(0, 8)}.part`);
    try {
      writeFileSync(tmp, data);
      renameSync(tmp, target);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    written.push(parts.join("/"));
  }
  return written;
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
    const files = unpackZip(zip, target.path);
    return { path: target.path, bytes, files };
  } finally {
    rmSync(zip, { force: true });
  }
}
