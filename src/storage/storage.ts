/**
 * File storage behind a small interface (docs/decisions.md §6). A file is addressed by an area and a key
 * (`jobs` + `{job_id}/{image_id}.jpg`, `results` + `{job_id}.zip`, …, docs/protocol.md §6.1). Writes are
 * always staged: the bytes go to a temporary local file first (so they can be validated: image
 * decoder, XML parser, ZIP check) and are committed to their final name only when whole — a
 * rename on the local disk; an object store would upload the staged file and complete the
 * object. Nothing half-written is ever visible under a final name.
 */
export type StorageArea = "jobs" | "results" | "artifacts" | "engines";
export const STORAGE_AREAS: readonly StorageArea[] = ["jobs", "results", "artifacts", "engines"];

/** What a sweep of leftover staged files removes (staging.ts). */
export interface StagingSweep {
  /** At start: also every file of an instance on this host that is no longer running, however fresh. */
  startup: boolean;
  /** Files not written to for longer than this are removed, whoever wrote them. */
  maxAgeMs: number;
}

/** A staged (temporary, complete) file. `path` is a local file that validators may read. */
export interface StagedFile {
  readonly area: StorageArea;
  readonly path: string;
  readonly size: number;
  /** Lowercase hex MD5 of the bytes; null when the stage was started with `{ md5: false }`. */
  readonly md5: string | null;
  /** The same bytes in memory, when the stage was started with `keepBytes` and the file fit: validators read these. */
  readonly bytes?: Uint8Array;
}

/**
 * Options of a staged write. `md5: false` skips hashing (the caller does not need `StagedFile.md5`); `keepBytes` (an
 * upper bound of the file's size, e.g. from Content-Length) also keeps a copy of the bytes in memory, so that a small
 * upload's checks need not read the file back (`StagedFile.bytes`; absent when the file turned out larger).
 */
export interface StageOptions {
  md5?: boolean;
  keepBytes?: number;
}

/** Streaming writer for one staged file. Call `finish()` once all bytes are written, or `abort()`. */
export interface StagingWriter {
  write(chunk: Uint8Array): Promise<void>;
  finish(): Promise<StagedFile>;
  abort(): Promise<void>;
  /** Bytes written so far. */
  readonly size: number;
}

/** A stored file ready to be sent (a Blob streams without loading the whole file). */
export interface StoredFile {
  body: Blob;
  size: number;
  mtimeMs: number;
}

export interface Storage {
  /** Starts a staged write in `area` (StageOptions). */
  stage(area: StorageArea, opts?: StageOptions): Promise<StagingWriter>;
  /** Moves a staged file to its final key. `existed` tells whether a file was there before. */
  commit(staged: StagedFile, key: string): Promise<{ existed: boolean }>;
  /** Deletes a staged file (idempotent). */
  discard(staged: StagedFile): Promise<void>;
  /** Writes small bytes through staging + commit. */
  put(area: StorageArea, key: string, bytes: Uint8Array): Promise<{ existed: boolean }>;
  exists(area: StorageArea, key: string): Promise<boolean>;
  /** Deletes a stored file (idempotent). */
  remove(area: StorageArea, key: string): Promise<void>;
  /** The stored file, or null when it does not exist (e.g. deleted by an operator → 410). */
  open(area: StorageArea, key: string): Promise<StoredFile | null>;
  /** Removes staged files left by crashed processes (staging.ts); returns how many. */
  sweepStaging(opts: StagingSweep): Promise<number>;
  /** Checked once at start-up: throws a clear error when the storage cannot be used (e.g. a missing bucket). */
  ready?(): Promise<void>;
}
