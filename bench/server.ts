/**
 * Server benchmark: the whole job life cycle over real HTTP against a real PostgreSQL, with the
 * server running as a child process (`annopage serve`) so that its RSS can be measured.
 *
 * Phase 1 — life cycle: N jobs × K images, C clients (each creates a job, uploads its images and
 * polls it every P ms until done, then downloads the result), W workers (lease with long-poll, get
 * job, download images, upload a small result zip, mark done). Prints jobs/s, image upload MB/s,
 * and p50/p95/p99 per endpoint; any unexpected answer is an error.
 * Phase 2 — one big upload: a B MiB engine-files zip (streamed multipart, content-length set) vs
 * `dd` of the same bytes to the same disk, with the server's peak RSS increase; then the same zip
 * downloaded again (streamed).
 *
 * Everything is bounded in count and time (BENCH_TIME_LIMIT_S). Settings (env):
 *   BENCH_JOBS=400 BENCH_IMAGES=1 BENCH_CLIENTS=64 BENCH_WORKERS=8 BENCH_POLL_MS=100
 *   BENCH_WARMUP_JOBS=2000 (run through the same life cycle first; its rate is printed but is not the measurement: a
 *   server runs warm for days, while a fresh process spends its first thousands of requests in JIT compilation.
 *   JavaScriptCore's optimising tiers were still compiling after 500 jobs — JIT threads 1.5–1.7 ms/job, main thread
 *   7.1–8.8 ms/job, 76/90 jobs/s — and had settled after 2000: 0.3–0.4, 5.7–6.1, 105/109 jobs/s, two alternating pairs)
 *   BENCH_IMAGE=<path> (default: a fixture page re-encoded to ≈ 340 KB) BENCH_UPLOAD_MB=1024 (0 skips phase 2;
 *   BENCH_JOBS=0 skips phase 1)
 *   BENCH_TIME_LIMIT_S=180 TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres
 *   BENCH_DB=embedded (the server on its embedded PGlite instead: the single-machine default; its database work
 *   is then part of the server's CPU)
 *   BENCH_PROFILE=<dir> (the server writes a markdown CPU profile there on exit)
 * Exit code 1 when a request failed or a phase ran out of time; targets are reported, not enforced.
 */
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { createTestDatabase } from "../tests/helpers/db.ts";
import { BENCH_ADMIN_KEY as ADMIN_KEY, Latencies, cpuSeconds, fileCreateMicros, cpuSecondsByName, threadCpuSeconds, envNumber as env, fmtMB, freePort, multipartFileStream, multipartOnce, rssBytes, sampleRss, startBenchServer } from "./lib.ts";
import { SHARED } from "../tests/helpers/shared.ts";
import { decodeImage, encodeJpeg } from "../src/media/index.ts";

const N = env("BENCH_JOBS", 400);
const WARMUP = env("BENCH_WARMUP_JOBS", 2000);
const K = env("BENCH_IMAGES", 1);
const C = env("BENCH_CLIENTS", 64);
const W = env("BENCH_WORKERS", 8);
const POLL_MS = env("BENCH_POLL_MS", 100);
const UPLOAD_MB = env("BENCH_UPLOAD_MB", 1024);
const TIME_LIMIT_MS = env("BENCH_TIME_LIMIT_S", 180) * 1000;

/**
 * The page to upload: BENCH_IMAGE, else a dev-set page re-encoded as a JPEG of ≈ 340 KB (issue 3's load: "≈340 KB
 * JPEG"; no fixture page has that size — the nearest is 441 KB). The quality is searched for the size nearest 340 KB.
 */
async function pickImage(): Promise<{ bytes: Uint8Array; label: string }> {
  if (process.env.BENCH_IMAGE) return { bytes: new Uint8Array(await Bun.file(process.env.BENCH_IMAGE).arrayBuffer()), label: process.env.BENCH_IMAGE };
  const source = `${SHARED}/fixtures/pages/images/dev_003.jpg`;
  const page = await decodeImage(source);
  let best: Uint8Array | undefined;
  let bestQ = 0;
  for (let q = 95; q >= 50; q -= 5) {
    const b = new Uint8Array(encodeJpeg(page, q));
    if (!best || Math.abs(b.length - 340_000) < Math.abs(best.length - 340_000)) [best, bestQ] = [b, q];
    if (b.length < 340_000) break;
  }
  return { bytes: best!, label: `${source} re-encoded at quality ${bestQ}` };
}

let lat = new Latencies();
/** Target verdicts, printed together at the end. */
const verdicts: string[] = [];
const verdict = (ok: boolean, what: string) => verdicts.push(`${ok ? "met   " : "MISSED"}  ${what}`);
let base = "";

/** One timed request; `endpoint` names the route for the latency table. */
async function call(endpoint: string, key: string, path: string, init: RequestInit = {}, expect: number[] = [200]) {
  const t0 = performance.now();
  const res = await fetch(base + path, { ...init, headers: { "x-api-key": key, ...(init.headers ?? {}) } });
  const body = res.headers.get("content-type")?.startsWith("application/json") ? await res.json() : new Uint8Array(await res.arrayBuffer());
  lat.add(endpoint, performance.now() - t0);
  if (!expect.includes(res.status)) {
    const code = (body as { code?: string }).code ?? "";
    lat.error(`${endpoint}: HTTP ${res.status} ${code}`);
    throw new Error(`${endpoint}: HTTP ${res.status} ${code}`);
  }
  return { status: res.status, body: body as any };
}

const json = (v: unknown): RequestInit => ({ body: JSON.stringify(v), headers: { "content-type": "application/json" } });

async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

/** Transactions committed so far in the benchmark database (each statement outside a transaction counts one). */
async function pgTransactions(url: string): Promise<number> {
  const sql = (await import("../src/db/client.ts")).connect(url, { max: 1 });
  try {
    const rows = await sql<{ n: string }[]>`SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = current_database()`;
    return Number(rows[0]!.n);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Per (method route): the server's total answering seconds and request count, from GET /metrics. */
async function serverTimes(): Promise<Map<string, { s: number; n: number }>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const out = new Map<string, { s: number; n: number }>();
  for (const m of text.matchAll(/^annopage_http_request_duration_seconds_(sum|count)\{method="([^"]+)",route="([^"]+)"\} (\S+)$/gm)) {
    const k = `${m[2]} ${m[3]}`;
    const e = out.get(k) ?? { s: 0, n: 0 };
    if (m[1] === "sum") e.s = Number(m[4]);
    else e.n = Number(m[4]);
    out.set(k, e);
  }
  return out;
}

/** Per job: when (performance.now()) each step of its life ended, for the timeline printed after the phase. */
interface JobTimes {
  created?: number;
  uploaded?: number;
  leased?: number;
  done?: number;
  seen?: number;
  downloaded?: number;
}

/** Mean milliseconds between the steps of the jobs' lives. */
function timeline(jobs: Iterable<JobTimes>): string {
  const steps = ["created", "uploaded", "leased", "done", "seen", "downloaded"] as const;
  const sums = new Array(steps.length - 1).fill(0);
  let n = 0;
  for (const t of jobs) {
    if (steps.some((s) => t[s] === undefined)) continue;
    n++;
    for (let i = 1; i < steps.length; i++) sums[i - 1] += t[steps[i]!]! - t[steps[i - 1]!]!;
  }
  return steps.slice(1).map((s, i) => `→ ${s} ${(sums[i] / Math.max(1, n)).toFixed(1)}`).join(", ");
}

async function lifeCycle(n: number, userKey: string, workerKey: string, image: Uint8Array): Promise<{ seconds: number; uploadBytes: number; uploadMs: number; timeline: string }> {
  const times = new Map<string, JobTimes>();
  const resultZip = zipSync({ "result.xml": new TextEncoder().encode("<alto/>".repeat(200)) });
  let created = 0;
  let finished = 0;
  const resultBody = await multipartOnce(resultZip, "result.zip", "application/zip");
  const uploadBodies = new Map<string, { body: Uint8Array<ArrayBuffer>; headers: Record<string, string> }>();
  for (let i = 0; i < K; i++) uploadBodies.set(`page_${i}.jpg`, await multipartOnce(image, `page_${i}.jpg`, "image/jpeg"));
  let lastDone: number | undefined;
  let stop = false;
  let uploadBytes = 0;
  let uploadMs = 0;

  const client = async () => {
    while (!stop && created < n) {
      created++;
      const images = Array.from({ length: K }, (_, i) => ({ name: `page_${i}.jpg`, order: i }));
      const job = (await call("POST /v1/jobs", userKey, "/v1/jobs", { method: "POST", ...json({ images }) }, [201])).body.data;
      const t: JobTimes = { created: performance.now() };
      times.set(job.id, t);
      for (const im of images) {
        const t0 = performance.now();
        await call("PUT .../files/image", userKey, `/v1/jobs/${job.id}/images/${im.name}/files/image`, {
          method: "PUT",
          ...uploadBodies.get(im.name)!,
        }, [201]);
        uploadMs += performance.now() - t0;
        uploadBytes += image.length;
      }
      t.uploaded = performance.now();
      for (;;) {
        if (stop) return;
        await Bun.sleep(POLL_MS);
        const view = (await call("GET /v1/jobs/{id}", userKey, `/v1/jobs/${job.id}`)).body.data;
        if (view.state === "done") break;
        if (view.state === "failed" || view.state === "cancelled" || view.state === "new") {
          const full = (await call("GET /v1/jobs/{id} (admin)", ADMIN_KEY, `/v1/jobs/${job.id}`)).body.data;
          throw new Error(`job ${job.id} ended ${view.state}: ${JSON.stringify(full)}`);
        }
      }
      t.seen = performance.now();
      const res = await call("GET .../result", userKey, `/v1/jobs/${job.id}/result`);
      t.downloaded = performance.now();
      if ((res.body as Uint8Array).length !== resultZip.length) throw new Error("result zip differs");
      if (++finished === n) lastDone = performance.now();
    }
  };

  const worker = async () => {
    while (!stop && finished < n) {
      const lease = await call("POST /v1/jobs/lease", workerKey, "/v1/jobs/lease?wait=1", { method: "POST" });
      if (lease.body.code !== "JOB_LEASED") continue;
      const id = lease.body.data.id as string;
      const t = times.get(id) ?? {};
      t.leased = performance.now();
      const job = (await call("GET /v1/jobs/{id} (worker)", workerKey, `/v1/jobs/${id}`)).body.data;
      for (const im of job.images) {
        const got = await call("GET .../files/image (worker)", workerKey, `/v1/jobs/${id}/images/${im.id}/files/image`);
        if ((got.body as Uint8Array).length !== image.length) throw new Error("downloaded image differs");
      }
      await call("POST .../result", workerKey, `/v1/jobs/${id}/result`, { method: "POST", ...resultBody }, [201, 200]);
      await call("PATCH /v1/jobs/{id} done", workerKey, `/v1/jobs/${id}`, { method: "PATCH", ...json({ state: "done" }) });
      t.done = performance.now();
    }
  };

  const t0 = performance.now();
  const all = Promise.all([...Array.from({ length: C }, client), ...Array.from({ length: W }, worker)]);
  try {
    await withDeadline(all, TIME_LIMIT_MS, "life-cycle phase");
  } finally {
    stop = true;
  }
  // The phase lasts until the last job's result is downloaded; workers still in a long-poll then are not waited for.
  return { seconds: ((lastDone ?? performance.now()) - t0) / 1000, uploadBytes, uploadMs, timeline: timeline(times.values()) };
}

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

async function bigUpload(adminKey: string, serverPid: number, work: string) {
  const zipPath = join(work, "big-engine.zip");
  const size = writeBigZip(zipPath, UPLOAD_MB);
  const dd = ddSeconds(zipPath, join(work, "data", "dd-test.bin"));
  Bun.spawnSync(["sync"]); // neither run inherits the other's dirty pages
  await Bun.sleep(500);
  const rss0 = rssBytes(serverPid);
  const sampler = sampleRss(serverPid);
  const { body, contentType, length } = multipartFileStream(zipPath, "engine.zip", size);
  const t0 = performance.now();
  const res = await withDeadline(
    fetch(`${base}/v1/admin/engines/bench/1/files`, {
      method: "PUT",
      body,
      headers: { "x-api-key": adminKey, "content-type": contentType, "content-length": String(length) },
      // @ts-expect-error Bun: stream the request body
      duplex: "half",
    }),
    TIME_LIMIT_MS,
    "big upload",
  );
  await res.arrayBuffer();
  const upSeconds = (performance.now() - t0) / 1000;
  const rssPeak = sampler.stop();
  if (res.status !== 200 && res.status !== 201) lat.error(`big upload: HTTP ${res.status}`);

  // Download it back, streamed, counting bytes.
  const engines = (await call("GET /v1/engines", adminKey, "/v1/engines?name=bench&version=1")).body.data;
  const sampler2 = sampleRss(serverPid);
  const t1 = performance.now();
  const dl = await fetch(`${base}/v1/engines/${engines[0].id}/files`, { headers: { "x-api-key": adminKey } });
  let got = 0;
  for await (const c of dl.body as unknown as AsyncIterable<Uint8Array>) got += c.length;
  const downSeconds = (performance.now() - t1) / 1000;
  const rssPeak2 = sampler2.stop();
  if (dl.status !== 200 || got !== size) lat.error(`big download: HTTP ${dl.status}, ${got} of ${size} bytes`);
  rmSync(zipPath, { force: true });
  return { size, dd, upSeconds, rss0, rssPeak, downSeconds, rssPeak2 };
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), "annopage-bench-"));
  const embedded = process.env.BENCH_DB === "embedded";
  const db = embedded ? undefined : await createTestDatabase("bench");
  const port = await freePort();
  const server = await startBenchServer({ dbUrl: db?.url, baseDir: join(work, "data"), port });
  base = server.url;
  let failed = false;
  try {
    const { bytes: image, label: imagePath } = await pickImage();
    const mk = async (label: string, role: string) =>
      (await call("POST /v1/admin/keys", ADMIN_KEY, "/v1/admin/keys", { method: "POST", ...json({ label, role }) }, [201])).body.data.secret as string;
    const userKey = await mk("bench-user", "user");
    const workerKey = await mk("bench-worker", "worker");
    await call("POST /v1/admin/engines", ADMIN_KEY, "/v1/admin/engines", {
      method: "POST",
      ...json({ name: "bench", version: "1", description: "benchmark engine", definition: { bench: true }, default: true }),
    }, [201]);

    if (N > 0) {
      console.log(`annopage server benchmark — ${N} jobs (after ${WARMUP} warm-up jobs) × ${K} image(s) of ${fmtMB(image.length)} MiB (${imagePath}), ${C} clients polling every ${POLL_MS} ms, ${W} workers, ${db ? "PostgreSQL" : "embedded PGlite"}`);
      if (WARMUP > 0) {
        const w = await lifeCycle(WARMUP, userKey, workerKey, image);
        console.log(`warm-up: ${WARMUP} jobs in ${w.seconds.toFixed(2)} s = ${(WARMUP / w.seconds).toFixed(1)} jobs/s (a fresh process; not the measurement)`);
        if (lat.errors.length) throw new Error(`warm-up: ${lat.errors.slice(0, 5).join("; ")}`);
        lat = new Latencies();
        await Bun.sleep(1500); // let the last empty long-polls of the warm-up end
      }
      // The disk's file-creation cost is part of every upload (one file and one directory per job) and varies a lot
      // between runs on this VM's disk (bench/lib.ts fileCreateMicros): printed so that runs can be compared.
      const createUs = fileCreateMicros(join(work, "data"));
      const rssStart = rssBytes(server.child.pid!);
      const tx0 = db ? await pgTransactions(db.url) : 0;
      const threads0 = threadCpuSeconds(server.child.pid!);
      const cpu0 = { server: cpuSeconds(server.child.pid!), bench: process.cpuUsage(), pg: cpuSecondsByName("postgres") };
      const m0 = await serverTimes();
      const lc = await lifeCycle(N, userKey, workerKey, image);
      const m1 = await serverTimes();
      const benchCpu = process.cpuUsage(cpu0.bench);
      const threads1 = threadCpuSeconds(server.child.pid!);
      const cpu = {
        server: cpuSeconds(server.child.pid!) - cpu0.server,
        bench: (benchCpu.user + benchCpu.system) / 1e6,
        pg: cpuSecondsByName("postgres") - cpu0.pg,
      };
      // pg_stat_database is updated asynchronously by the backends: give it a moment.
      if (db) await Bun.sleep(1000);
      const txPerJob = db ? ((await pgTransactions(db.url)) - tx0) / N : 0;
      console.log(`\nlife cycle: ${N} jobs in ${lc.seconds.toFixed(2)} s = ${(N / lc.seconds).toFixed(1)} jobs/s (target ≥ 150)`);
      verdict(N / lc.seconds >= 150, `life cycle ≥ 150 jobs/s: ${(N / lc.seconds).toFixed(1)}`);
      console.log(
        `image uploads: ${fmtMB(lc.uploadBytes)} MiB, aggregate ${(lc.uploadBytes / 1048576 / lc.seconds).toFixed(1)} MiB/s over the phase, ` +
          `${(lc.uploadBytes / 1048576 / (lc.uploadMs / 1000)).toFixed(1)} MiB/s per single upload request (mean)`,
      );
      console.log(`job timeline (mean ms from the previous step): created ${lc.timeline}`);
      console.log(`file creation on the data disk just before the phase: ${createUs.toFixed(0)} µs CPU each (200 empty files)`);
      console.log(`server RSS: ${fmtMB(rssStart)} MiB before, ${fmtMB(rssBytes(server.child.pid!))} MiB after`);
      const perJob = (x: number) => ((x / N) * 1000).toFixed(1);
      console.log(
        `CPU over the phase (${navigator.hardwareConcurrency} cores): server ${cpu.server.toFixed(1)} s (${perJob(cpu.server)} ms/job), ` +
          (db ? `PostgreSQL ${cpu.pg.toFixed(1)} s (${perJob(cpu.pg)} ms/job, ${txPerJob.toFixed(0)} transactions/job), ` : "database: inside the server, ") +
          `load generator ${cpu.bench.toFixed(1)} s (${perJob(cpu.bench)} ms/job)`,
      );
      // Threads that ended during the phase are missing here, so the parts may add up to less than the total.
      const parts = [...threads1].map(([name, s]) => [name, s - (threads0.get(name) ?? 0)] as const).filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1]);
      console.log(`server CPU by thread (ms/job): ${parts.map(([name, s]) => `${name} ${perJob(s)}`).join(", ")}\n`);
      console.log(lat.table());
      console.log("\nserver side (GET /metrics: arrival → handler's response; mean ms)");
      for (const [k, v] of [...m1].sort()) {
        const n = v.n - (m0.get(k)?.n ?? 0);
        if (n > 0) console.log(`  ${k.padEnd(52)} ${String(n).padStart(6)} ${(((v.s - (m0.get(k)?.s ?? 0)) / n) * 1000).toFixed(1).padStart(8)}`);
      }
    }

    if (UPLOAD_MB > 0) {
      const b = await bigUpload(ADMIN_KEY, server.child.pid!, work);
      const ddRate = b.size / 1048576 / b.dd;
      const upRate = b.size / 1048576 / b.upSeconds;
      console.log(`\nbig upload (engine files, ${fmtMB(b.size)} MiB): ${upRate.toFixed(0)} MiB/s; dd to the same disk ${ddRate.toFixed(0)} MiB/s ` +
        `→ ${((upRate / ddRate) * 100).toFixed(0)} % (target ≥ 50 %)`);
      console.log(`  server RSS ${fmtMB(b.rss0)} MiB → peak ${fmtMB(b.rssPeak)} MiB: +${fmtMB(b.rssPeak - b.rss0)} MiB (target ≤ 64)`);
      verdict(upRate >= ddRate / 2, `big upload ≥ 50 % of dd: ${((upRate / ddRate) * 100).toFixed(0)} %`);
      verdict(b.rssPeak - b.rss0 <= 64 * 1048576, `big upload RSS increase ≤ 64 MiB: +${fmtMB(b.rssPeak - b.rss0)} MiB`);
      console.log(`big download (streamed): ${(b.size / 1048576 / b.downSeconds).toFixed(0)} MiB/s, server RSS peak +${fmtMB(b.rssPeak2 - b.rss0)} MiB`);
    }
  } catch (e) {
    failed = true;
    console.error(`\nbenchmark failed: ${(e as Error).message}`);
  } finally {
    if (lat.errors.length) {
      failed = true;
      console.error(`\n${lat.errors.length} request error(s), first: ${lat.errors.slice(0, 5).join("; ")}`);
    } else {
      console.log("\nerrors: 0");
    }
    if (verdicts.length) console.log(`\ntargets (reported, not enforced):\n  ${verdicts.join("\n  ")}`);
    await server.stop();
    await db?.drop();
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

await main();
