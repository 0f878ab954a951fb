/**
 * MD5 of a file computed on a worker thread (shared/thread-call.ts), so hashing an uploaded page (~1 ms per 400 KB)
 * does not hold up the event loop. Its source is inline (a Blob URL), so the compiled binary needs no extra file. If
 * the worker cannot start or dies, the hash is computed on this thread instead: the result is the same either way.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { ThreadCall } from "../shared/thread-call.ts";

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

const thread = new ThreadCall<{ path: string }, { md5?: string; error?: string }>(
  () => new Worker(URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }))),
);

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
  const a = await thread.call({ path });
  // no worker, or the worker could not read the file: a read error repeats here and propagates with its own code
  return a?.md5 ?? md5OnThisThread(path);
}
