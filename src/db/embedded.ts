/**
 * The embedded PostgreSQL: PGlite persisted under `{BASE_DIR}/pgdata`, served on a private
 * loopback port through PGlite's socket server so that the very same postgres.js layer reaches it.
 *
 * PGlite is single-user: one process owns a data directory. A lock file holding the owner's PID
 * makes a second process fail with a clear message instead of corrupting the data. The socket
 * server runs one transaction at a time across all connections, so code must never wait inside
 * a transaction, and NOTIFY is not delivered to postgres.js listeners (the owner process wakes
 * its waiters in-process instead).
 *
 * The WebAssembly modules and the file-system bundle are imported as files so that
 * `bun build --compile` embeds them and a relocated binary still finds them.
 */
import { mkdirSync, openSync, closeSync, writeSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { CliError } from "../shared/cli-error.ts";
import pgliteWasmPath from "../../node_modules/@electric-sql/pglite/dist/pglite.wasm" with { type: "file" };
import initdbWasmPath from "../../node_modules/@electric-sql/pglite/dist/initdb.wasm" with { type: "file" };
import pgliteDataPath from "../../node_modules/@electric-sql/pglite/dist/pglite.data" with { type: "file" };

/** A CliError (exit code 1), so that the CLI prints it without loading this module (and PGlite) to recognise it. */
class DataDirInUseError extends CliError {
  constructor(dir: string, pid: number) {
    super(`the embedded database in ${dir} is in use by another annopage process (pid ${pid}); stop it or use another --base-dir`, 1);
    this.name = "DataDirInUseError";
  }
}

export interface EmbeddedPostgres {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes `{dir}.lock` for this process, or throws DataDirInUseError. A stale lock is taken over. */
function takeLock(lockFile: string, dataDir: string): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockFile, "wx", 0o600);
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return () => {
        try {
          if (readFileSync(lockFile, "utf8").trim() === String(process.pid)) unlinkSync(lockFile);
        } catch {}
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number.parseInt(readFileSync(lockFile, "utf8").trim(), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) throw new DataDirInUseError(dataDir, pid);
      unlinkSync(lockFile); // stale: its process is gone (e.g. SIGKILL)
    }
  }
  throw new Error(`cannot take the lock ${lockFile}`);
}

let modules: Promise<{ pglite: WebAssembly.Module; initdb: WebAssembly.Module }> | undefined;
function wasmModules() {
  modules ??= (async () => ({
    pglite: await WebAssembly.compile(await Bun.file(pgliteWasmPath).arrayBuffer()),
    initdb: await WebAssembly.compile(await Bun.file(initdbWasmPath).arrayBuffer()),
  }))();
  return modules;
}

export async function startEmbeddedPostgres(baseDir: string, opts: { maxConnections?: number } = {}): Promise<EmbeddedPostgres> {
  mkdirSync(baseDir, { recursive: true });
  const dataDir = join(baseDir, "pgdata");
  const release = takeLock(`${dataDir}.lock`, dataDir);
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    const { pglite, initdb } = await wasmModules();
    db = await PGlite.create({
      dataDir,
      pgliteWasmModule: pglite,
      initdbWasmModule: initdb,
      fsBundle: Bun.file(pgliteDataPath),
    });
    server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: opts.maxConnections ?? 16 });
    await server.start();
    const conn = server.getServerConn(); // "127.0.0.1:PORT"
    const port = Number(conn.split(":").pop());
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const s = server;
    const d = db;
    let stopped = false;
    return {
      url,
      dataDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await s.stop();
        } finally {
          try {
            await d.close();
          } finally {
            release();
          }
        }
      },
    };
  } catch (e) {
    await server?.stop().catch(() => {});
    await db?.close().catch(() => {});
    release();
    throw e;
  }
}
