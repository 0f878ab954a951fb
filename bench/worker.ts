/**
 * Worker overhead benchmark: how much time `annopage work` spends per job around the processor
 * (lease answer → done answer, minus the processor's own run time), against the real server
 * running as a child process (`annopage serve`) on a real PostgreSQL.
 *
 * N jobs × K images (small PNGs) are queued first; then W in-process workers (the real loop,
 * long-poll leasing, heartbeats, log streaming) drain the queue with a trivial processor
 * (`/bin/sh` writing one ALTO file per image; its time is excluded). Prints per-job overhead
 * p50/p95/max/mean, processor time, and jobs/s.
 *
 * Settings (env): BENCH_JOBS=200 BENCH_IMAGES=2 BENCH_WORKERS=1 BENCH_TIME_LIMIT_S=180
 *   TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres
 * Exit code 1 when a job did not end `done` or the run timed out.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { strToU8, zipSync } from "fflate";
import { ApiClient } from "../src/client/api.ts";
import { startWorker } from "../src/worker/loop.ts";
import type { JobReport, Logger } from "../src/worker/job-runner.ts";
import { DEFAULTS } from "../src/worker/options.ts";
import { createTestDatabase } from "../tests/helpers/db.ts";
import { BENCH_ADMIN_KEY as ADMIN_KEY, envNumber as env, freePort, startBenchServer } from "./lib.ts";

const N = env("BENCH_JOBS", 200);
const K = env("BENCH_IMAGES", 2);
const W = env("BENCH_WORKERS", 1);
const TIME_LIMIT_MS = env("BENCH_TIME_LIMIT_S", 180) * 1000;

/** Trivial processor: one ALTO file per input image, nothing else. */
const TRIVIAL = `
out=""; img=""
while [ $# -gt 0 ]; do case "$1" in --output-alto-path) out="$2"; shift 2;; --input-image-path) img="$2"; shift 2;; --embeddings-jsonlines) shift;; *) shift 2;; esac; done
mkdir -p "$out"; n=0; for f in "$img"/*; do n=$((n+1)); b=$(basename "$f"); echo "<alto/>" > "$out/\${b%.*}.xml"; echo "DONE $n/${K} (0 %) [id: \${b%.*}] Time:0.00" >&2; done
`;

const quiet: Logger = {
  debug() {},
  info: (m) => process.env.BENCH_VERBOSE && console.error(m),
  warn: (m) => process.env.BENCH_VERBOSE && console.error(m),
  error: (m) => console.error(m),
};
const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), "bench-worker-"));
  const db = await createTestDatabase("benchwork");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let failed = false;
  let server: Awaited<ReturnType<typeof startBenchServer>> | undefined;
  try {
    server = await startBenchServer({ dbUrl: db.url, baseDir: join(work, "server"), port, stderr: "inherit" });
    const admin = new ApiClient({ apiUrl: url, apiKey: ADMIN_KEY });
    const user = new ApiClient({ apiUrl: url, apiKey: (await admin.createKey("bench-user", "user")).secret });
    const workerKey = (await admin.createKey("bench-worker", "worker")).secret;
    await admin.createEngine({ name: "bench", version: "1", description: "bench", definition: {}, default: true, active: true });
    const engineZip = join(work, "engine.zip");
    writeFileSync(engineZip, zipSync({ "config.ini": strToU8("[PAGE_PARSER]\n") }));
    await admin.uploadEngineFiles("bench", "1", engineZip);

    const c = createCanvas(200, 280);
    const g = c.getContext("2d");
    g.fillStyle = "#fff";
    g.fillRect(0, 0, 200, 280);
    g.fillStyle = "#000";
    g.fillRect(20, 20, 160, 60);
    const imgPath = join(work, "page.png");
    writeFileSync(imgPath, c.toBuffer("image/png"));

    const tq = performance.now();
    for (let j = 0; j < N; j++) {
      const job = await user.createJob({
        images: Array.from({ length: K }, (_, i) => ({ name: `p${i}.png`, order: i })),
        engine_settings: { outputs: { alto: true } },
      });
      for (let i = 0; i < K; i++) await user.uploadImage(job.id, `p${i}.png`, imgPath);
    }
    console.log(
      `annopage worker benchmark — ${N} jobs × ${K} image(s) queued in ${((performance.now() - tq) / 1000).toFixed(1)} s; ${W} worker(s), trivial /bin/sh processor`,
    );

    const scriptPath = join(work, "trivial.sh");
    writeFileSync(scriptPath, TRIVIAL);
    const reports: JobReport[] = [];
    const t0 = performance.now();
    const workers = Array.from({ length: W }, (_, i) =>
      startWorker(
        {
          apiUrl: url,
          apiKey: workerKey,
          waitSeconds: 1,
          jobsDir: join(work, `w${i}`, "jobs"),
          enginesDir: join(work, `w${i}`, "engines"),
          cleanupJobDir: true,
          cleanupOldEngines: false,
          once: false,
          processor: ["/bin/sh", scriptPath],
          device: "cpu",
          loggingLevel: "INFO",
          graceSeconds: 5,
          heartbeatMs: DEFAULTS.heartbeatMs,
          logFlushMs: DEFAULTS.logFlushMs,
          maxLogBytes: DEFAULTS.maxLogBytes,
          processorTimeoutMs: 0,
        },
        quiet,
      ),
    );
    const deadline = Date.now() + TIME_LIMIT_MS;
    let doneCount = 0;
    while (doneCount < N && Date.now() < deadline) {
      await Bun.sleep(200);
      doneCount = (await admin.listJobs({ state: "done" })).length;
      if (process.env.BENCH_VERBOSE) console.error("done count", doneCount, JSON.stringify((await admin.listJobs()).map((j) => j.state)));
    }
    const seconds = (performance.now() - t0) / 1000;
    for (const w of workers) w.stop(true);
    for (const w of workers) reports.push(...(await w.done));
    if (doneCount < N) {
      failed = true;
      console.error(`only ${doneCount}/${N} jobs done within ${TIME_LIMIT_MS / 1000} s`);
    }
    const notDone = reports.filter((r) => r.outcome !== "done");
    if (notDone.length) {
      failed = true;
      console.error(
        `${notDone.length} job(s) not done: ${notDone
          .slice(0, 3)
          .map((r) => `${r.outcome}: ${r.reason}`)
          .join("; ")}`,
      );
    }
    const ok = reports.filter((r) => r.outcome === "done");
    const overhead = ok.map((r) => r.totalMs - r.processorMs).sort((a, b) => a - b);
    const proc = ok.map((r) => r.processorMs).sort((a, b) => a - b);
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / Math.max(1, a.length);
    console.log(`\n${ok.length} jobs done in ${seconds.toFixed(2)} s = ${(ok.length / seconds).toFixed(1)} jobs/s with ${W} worker(s)`);
    console.log(`worker overhead per job (lease answer → done answer, processor excluded), ${K} image(s)/job:`);
    console.log(
      `  p50 ${pct(overhead, 0.5).toFixed(1)} ms   p95 ${pct(overhead, 0.95).toFixed(1)} ms   max ${overhead.at(-1)!.toFixed(1)} ms   mean ${mean(overhead).toFixed(1)} ms`,
    );
    console.log(`processor time per job (spawn → exit, /bin/sh): p50 ${pct(proc, 0.5).toFixed(1)} ms   mean ${mean(proc).toFixed(1)} ms`);
  } catch (e) {
    failed = true;
    console.error(`benchmark failed: ${(e as Error).stack ?? e}`);
  } finally {
    await server?.stop();
    await db.drop();
    rmSync(work, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}

process.exit(await main());
