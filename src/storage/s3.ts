/**
 * S3-compatible object storage (STORAGE=s3), so API replicas on several machines share their files.
 * Objects are named `{prefix}{area}/{key}`. Staging stays local (staging.ts, under the server's base
 * dir) so validators read `StagedFile.path` as with LocalStorage; `commit` uploads the staged file
 * (Bun's S3 client streams a Bun.file source and switches to a multipart upload for big files) and
 * deletes it. An S3 object becomes visible only once its upload is complete, so nothing half-written
 * is ever seen under a final key.
 *
 * Bun's built-in client (Bun.S3Client): no dependency, and it reads and writes Blobs as streams.
 *
 * Downloads go through this server, never as a redirect to a presigned URL (workers and clients need
 * not reach the object store). `open` first copies the object to a local file (streamed, bounded
 * memory) and returns it as a Bun.file: Bun 1.4 drops a handler's `content-length` on a streamed
 * body (oven-sh/bun#10507, sends it chunked), and docs/protocol.md §2.6 wants `content-length`; an S3File
 * itself as a Response body answers 302 to a presigned URL. The copy is deleted DOWNLOAD_TTL_MS
 * later (the response has opened it long before; an unlinked file stays readable while open), and
 * leftovers of an earlier process are swept on start. Cost: the first byte waits for the whole
 * object (about a second per 100 MB on a LAN), and the local disk briefly holds a copy.
 */
import { readdirSync, rmSync, statSync } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { ConfigError } from "../shared/config-error.ts";
import { StagedStorage } from "./staging.ts";
import type { StagedFile, StorageArea, StoredFile } from "./storage.ts";

export interface S3StorageOptions {
  bucket: string;
  /** e.g. `https://s3.eu-central-1.amazonaws.com` or `http://minio:9000`; unset → AWS S3 of `region`. */
  endpoint?: string;
  region?: string;
  /** Unset → Bun's defaults (S3_ACCESS_KEY_ID / AWS_ACCESS_KEY_ID, …). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Prepended to every object name as is (`annopage/` → `annopage/jobs/…`); default "". */
  prefix?: string;
  /** Local directory for staged files (one subdirectory per area) and downloaded copies (`downloads/`). */
  stagingDir: string;
  /** How long a downloaded copy is kept for its response; default DOWNLOAD_TTL_MS. */
  downloadTtlMs?: number;
}

/** Object names are built by the server from UUIDs; this refuses anything else, as LocalStorage.pathOf does. */
function checkKey(key: string): void {
  if (key.startsWith("/") || key.split(/[\\/]/).some((s) => s === "" || s === ".." || s.startsWith("."))) {
    throw new Error(`invalid storage key ${JSON.stringify(key)}`);
  }
}

/** How long a downloaded copy is kept for its response (which opens it at once). */
const DOWNLOAD_TTL_MS = 60_000;

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === "NoSuchKey" || code === "NotFound" || code === "ERR_S3_FILE_NOT_FOUND";
}

export class S3Storage extends StagedStorage {
  readonly client: Bun.S3Client;
  readonly prefix: string;
  readonly downloadDir: string;
  private downloadDirReady = false;
  private readonly downloadTtlMs: number;

  private readonly bucket: string;
  private readonly endpoint: string | undefined;

  constructor(opts: S3StorageOptions) {
    super((area) => join(opts.stagingDir, area));
    this.bucket = opts.bucket;
    this.endpoint = opts.endpoint;
    this.client = new Bun.S3Client({
      bucket: opts.bucket,
      endpoint: opts.endpoint,
      region: opts.region,
      accessKeyId: opts.accessKeyId,
      secretAccessKey: opts.secretAccessKey,
    });
    this.prefix = opts.prefix ?? "";
    this.downloadDir = join(opts.stagingDir, "downloads");
    this.downloadTtlMs = opts.downloadTtlMs ?? DOWNLOAD_TTL_MS;
    sweepOld(this.downloadDir, this.downloadTtlMs);
  }

  /** One listing at start-up, so a wrong bucket, endpoint or key fails `serve` at once instead of the first upload. */
  async ready(): Promise<void> {
    try {
      await this.client.list({ maxKeys: 1, prefix: this.prefix || undefined });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      throw new ConfigError(
        "S3_BUCKET",
        `the bucket '${this.bucket}' cannot be used${this.endpoint ? ` at ${this.endpoint}` : ""}: ${err.code ?? err.message ?? String(e)}`,
      );
    }
  }

  /** The object name of a key. */
  objectKey(area: StorageArea, key: string): string {
    checkKey(key);
    return `${this.prefix}${area}/${key}`;
  }

  /** Uploads the staged file (HEAD first, for `existed`), then deletes it; on failure it stays staged for the caller's discard. */
  async commit(staged: StagedFile, key: string): Promise<{ existed: boolean }> {
    const name = this.objectKey(staged.area, key);
    const existed = await this.client.exists(name);
    await this.client.write(name, Bun.file(staged.path), { type: "application/octet-stream" });
    await this.discard(staged);
    return { existed };
  }

  async exists(area: StorageArea, key: string): Promise<boolean> {
    return this.client.exists(this.objectKey(area, key));
  }

  /** Idempotent: S3 answers a delete of a missing object with success. */
  async remove(area: StorageArea, key: string): Promise<void> {
    await this.client.delete(this.objectKey(area, key));
  }

  /**
   * The object as a local copy (see the module comment); missing → null. Other errors (credentials,
   * network) are thrown. `mtimeMs` is the object's Last-Modified (whole seconds).
   */
  async open(area: StorageArea, key: string): Promise<StoredFile | null> {
    const name = this.objectKey(area, key);
    let st: Bun.S3Stats;
    try {
      st = await this.client.stat(name);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    if (!this.downloadDirReady) {
      await mkdir(this.downloadDir, { recursive: true });
      this.downloadDirReady = true;
    }
    const path = join(this.downloadDir, `${randomUUID()}.get`);
    try {
      await Bun.write(path, this.client.file(name));
    } catch (e) {
      await rm(path, { force: true });
      if (isNotFound(e)) return null; // deleted between HEAD and GET
      throw e;
    }
    setTimeout(() => void rm(path, { force: true }).catch(() => {}), this.downloadTtlMs).unref();
    const size = (await stat(path)).size;
    return { body: Bun.file(path), size, mtimeMs: st.lastModified.getTime() };
  }
}

/** Deletes files in `dir` older than `ms` (copies left by an earlier process); never throws. */
function sweepOld(dir: string, ms: number): void {
  try {
    const cutoff = Date.now() - ms;
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      try {
        if (statSync(p).mtimeMs < cutoff) rmSync(p, { force: true });
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // the directory is created again on the first download
  }
}
