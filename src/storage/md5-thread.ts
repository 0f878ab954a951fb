/**
 * MD5 of a file computed on a worker thread, so hashing an uploaded page (~1 ms per 400 KB) does not hold up the
 * event loop. One lazily started worker, unref'd (it never keeps the process alive); its source is inline (a Blob
 * URL), so the compiled binary needs no extra file. If the worker cannot start or dies, the hash is computed on
 * this thread instead: the result is the same either way.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

const WORKER_SOURCE = `
const { createHash } = require("node:crypto");
const { openSync, readSync, closeSync } = require("node:fs");
const buf = Buffer.allocUnsafe(1 << 20);
self.onmessage = (e) => {
  const { id, path } = e.data;
  let fd;
  try {
    fd = openSync(path, "r");
    const h = createHash("md5");
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
    postMessage({ id, md5: h.digest("hex") });
  } catch (err) {
    postMessage({ id, error: String((err && err.message) || err) });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
};`;

type Pending = { resolve: (md5: string) => void; reject: (e: Error) => void };

let worker: Worker | undefined;
let workerBroken = false;
let nextId = 0;
const pending = new Map<number, Pending>();

function failAll(e: Error): void {
  for (const p of pending.values()) p.reject(e);
  pending.clear();
}

function getWorker(): Worker | undefined {
  if (worker || workerBroken) return worker;
  try {
    const w = new Worker(URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" })));
    (w as Worker & { unref(): void }).unref(); // Bun: the idle worker does not keep the process alive
    w.onmessage = (e: MessageEvent<{ id: number; md5?: string; error?: string }>) => {
      const p = pending.get(e.data.id);
      if (!p) return;
      pending.delete(e.data.id);
      if (e.data.md5 !== undefined) p.resolve(e.data.md5);
      else p.reject(new Error(e.data.error ?? "md5 worker failed"));
    };
    w.onerror = (e) => {
      worker = undefined;
      failAll(new Error(`md5 worker failed: ${e.message}`));
    };
    worker = w;
  } catch {
    workerBroken = true;
  }
  return worker;
}

async function md5OnThisThread(path: string): Promise<string> {
  const h = createHash("md5");
  const file = await open(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return h.digest("hex");
}

/** Lowercase hex MD5 of the file at `path` (read whole; the file must not change meanwhile). */
export async function md5OfFile(path: string): Promise<string> {
  const w = getWorker();
  if (!w) return md5OnThisThread(path);
  const id = nextId++;
  try {
    return await new Promise<string>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      w.postMessage({ id, path });
    });
  } catch {
    return md5OnThisThread(path); // a read error repeats here and propagates with its own code
  }
}
