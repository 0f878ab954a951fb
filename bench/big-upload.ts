/**
 * Phase 2 of bench/server.ts — one big upload: a B MiB engine-files zip (streamed multipart, content-length set) vs
 * `dd` of the same bytes to the same disk, with the server's peak RSS increase; then the same zip downloaded again.
 */
import { closeSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { call, withDeadline } from "./life-cycle.ts";
import { type Latencies, multipartFileStream, rssBytes, sampleRss } from "./lib.ts";

/** Writes a stored (uncompressed) zip with one entry of `mb` MiB of incompressible bytes. */
function writeBigZip(path: string, mb: number): number {
  const chunk = new Uint8Array(16 << 20);
  for (let i = 0; i < chunk.length; i += 65536) crypto.getRandomValues(chunk.subarray(i, i + 65536));
  const size = mb << 20;
  let crc = 0;
  for (let done = 0; done < size; done += chunk.length) crc = Bun.hash.crc32(chunk.subarray(0, Math.min(chunk.length, size - done)), crc);
  const name = new TextEncoder().encode("engine.bin");
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc >>> 0, 14);
  local.writeUInt32LE(size, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc >>> 0, 16);
  central.writeUInt32LE(size, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(name.length, 28);
  const cdOffset = 30 + name.length + size;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(46 + name.length, 12);
  eocd.writeUInt32LE(cdOffset, 16);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, local);
    writeSync(fd, name);
    for (let done = 0; done < size; done += chunk.length) writeSync(fd, chunk.subarray(0, Math.min(chunk.length, size - done)));
    writeSync(fd, central);
    writeSync(fd, name);
    writeSync(fd, eocd);
  } finally {
    closeSync(fd);
  }
  return statSync(path).size;
}

/** Seconds `dd` takes to copy `src` to `dst` (same disk as the server's data), without fsync — as the server writes. */
function ddSeconds(src: string, dst: string): number {
  Bun.spawnSync(["sync"]);
  const t0 = performance.now();
  const r = Bun.spawnSync(["dd", `if=${src}`, `of=${dst}`, "bs=4M"], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`dd failed: ${r.stderr.toString()}`);
  const s = (performance.now() - t0) / 1000;
  rmSync(dst, { force: true });
  return s;
}

/** Uploads a BENCH_UPLOAD_MB engine zip (streamed) and downloads it again, with the server's RSS; `dd` of the same bytes for comparison. */
export async function bigUpload(
  load: { base: string; lat: Latencies },
  mb: number,
  timeLimitMs: number,
  adminKey: string,
  serverPid: number,
  work: string,
) {
  const zipPath = join(work, "big-engine.zip");
  const size = writeBigZip(zipPath, mb);
  const dd = ddSeconds(zipPath, join(work, "data", "dd-test.bin"));
  Bun.spawnSync(["sync"]); // neither run inherits the other's dirty pages
  await Bun.sleep(500);
  const rss0 = rssBytes(serverPid);
  const sampler = sampleRss(serverPid);
  const { body, contentType, length } = multipartFileStream(zipPath, "engine.zip", size);
  const t0 = performance.now();
  const res = await withDeadline(
    fetch(`${load.base}/v1/admin/engines/bench/1/files`, {
      method: "PUT",
      body,
      headers: { "x-api-key": adminKey, "content-type": contentType, "content-length": String(length) },
      // @ts-expect-error Bun: stream the request body
      duplex: "half",
    }),
    timeLimitMs,
    "big upload",
  );
  await res.arrayBuffer();
  const upSeconds = (performance.now() - t0) / 1000;
  const rssPeak = sampler.stop();
  if (res.status !== 200 && res.status !== 201) load.lat.error(`big upload: HTTP ${res.status}`);

  // Download it back, streamed, counting bytes.
  const engines = (
    await call({ ...load, mode: "prepared", keepAlive: true }, "GET /v1/engines", adminKey, "/v1/engines?name=bench&version=1")
  ).body.data;
  const sampler2 = sampleRss(serverPid);
  const t1 = performance.now();
  const dl = await fetch(`${load.base}/v1/engines/${engines[0].id}/files`, { headers: { "x-api-key": adminKey } });
  let got = 0;
  for await (const c of dl.body as unknown as AsyncIterable<Uint8Array>) got += c.length;
  const downSeconds = (performance.now() - t1) / 1000;
  const rssPeak2 = sampler2.stop();
  if (dl.status !== 200 || got !== size) load.lat.error(`big download: HTTP ${dl.status}, ${got} of ${size} bytes`);
  rmSync(zipPath, { force: true });
  return { size, dd, upSeconds, rss0, rssPeak, downSeconds, rssPeak2 };
}
