/**
 * Server CPU per request, one endpoint at a time (diagnostic for bench/server.ts): starts `annopage serve` as a
 * child process on a fresh database, prepares one job with an uploaded image, then sends BENCH_REQUESTS requests
 * of each kind with BENCH_CONCURRENCY in flight and prints the server's CPU milliseconds per request (all threads, and the
 * main thread alone: the event loop every request shares). The worker's
 * requests (lease, job, image, result, done) then run on the jobs the uploads queued, and the user fetches the results.
 * BENCH_PROFILE=<dir>: the server writes a markdown CPU profile there (bench/lib.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { createTestDatabase } from "../tests/helpers/db.ts";
import { BENCH_ADMIN_KEY as ADMIN_KEY, cpuSeconds, freePort, multipartBytes, startBenchServer, threadCpuSeconds } from "./lib.ts";
import { SHARED } from "../tests/helpers/shared.ts";

const N = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONC = Number(process.env.BENCH_CONCURRENCY ?? 16);
/** BENCH_ONLY="PUT,GET /v1/jobs": only the kinds whose name starts with one of these (the worker's kinds need the uploads). */
const ONLY = (process.env.BENCH_ONLY ?? "").split(",").filter(Boolean);
const image = new Uint8Array(await Bun.file(process.env.BENCH_IMAGE ?? `${SHARED}/fixtures/pages/images/dev_003.jpg`).arrayBuffer());

const work = mkdtempSync(join(tmpdir(), "annopage-micro-"));
const db = await createTestDatabase("micro");
const port = await freePort();
const server = await startBenchServer({ dbUrl: db.url, baseDir: join(work, "data"), port, stderr: "inherit" });
const child = server.child;
const base = server.url;
async function req(key: string, path: string, init: RequestInit = {}, expect = [200]) {
  const res = await fetch(base + path, { ...init, headers: { "x-api-key": key, ...(init.headers ?? {}) } });
  const body = res.headers.get("content-type")?.startsWith("application/json") ? await res.json() : await res.arrayBuffer();
  if (!expect.includes(res.status)) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body as any;
}
const json = (v: unknown): RequestInit => ({ body: JSON.stringify(v), headers: { "content-type": "application/json" } });
try {
  const mk = async (role: string) =>
    (await req(ADMIN_KEY, "/v1/admin/keys", { method: "POST", ...json({ label: `m-${role}`, role }) }, [201])).data.secret as string;
  const user = await mk("user");
  const workerKey = await mk("worker");
  await req(
    ADMIN_KEY,
    "/v1/admin/engines",
    { method: "POST", ...json({ name: "m", version: "1", description: "m", definition: {}, default: true }) },
    [201],
  );
  const newJob = async () =>
    (await req(user, "/v1/jobs", { method: "POST", ...json({ images: [{ name: "p.jpg", order: 0 }] }) }, [201])).data.id as string;
  const id = await newJob();
  const jobsForUpload: string[] = [];
  const leased: string[] = [];
  const imageIds: string[] = [];
  const resultZip = zipSync({ "result.xml": new TextEncoder().encode("<alto/>".repeat(200)) });
  for (let i = 0; i < N; i++) jobsForUpload.push(await newJob());
  const kinds: [string, (i: number) => Promise<unknown>][] = [
    ["GET /healthz (no auth)", () => fetch(`${base}/healthz`).then((r) => r.arrayBuffer())],
    ["GET /v1/jobs/{id}", () => req(user, `/v1/jobs/${id}`)],
    ["POST /v1/jobs", () => newJob()],
    [
      "PUT .../files/image",
      (i) =>
        req(
          user,
          `/v1/jobs/${jobsForUpload[i]}/images/p.jpg/files/image`,
          { method: "PUT", body: multipartBytes(image, "p.jpg", "image/jpeg") },
          [201],
        ),
    ],
    // the worker's side of the life cycle, on the jobs just uploaded (each queued once its image arrived)
    [
      "POST /v1/jobs/lease",
      async () => {
        const lease = await req(workerKey, "/v1/jobs/lease", { method: "POST" });
        if (lease.code !== "JOB_LEASED") throw new Error(`lease: ${lease.code}`);
        leased.push(lease.data.id);
      },
    ],
    ["GET /v1/jobs/{id} (worker)", (i) => req(workerKey, `/v1/jobs/${leased[i]}`).then((b) => (imageIds[i] = b.data.images[0].id))],
    ["GET .../files/image", (i) => req(workerKey, `/v1/jobs/${leased[i]}/images/${imageIds[i]}/files/image`)],
    // a user polling a job whose technical log (never shown to users) has grown to 1 MiB
    [
      "GET /v1/jobs/{id}, 1 MiB log",
      async (i) => {
        if (i === 0)
          await req(workerKey, `/v1/jobs/${leased[0]}`, {
            method: "PATCH",
            ...json({ progress: 0.5, log: "worker log line\n".repeat(65_536) }),
          });
        await req(user, `/v1/jobs/${leased[0]}`);
      },
    ],
    [
      "POST .../result",
      (i) =>
        req(
          workerKey,
          `/v1/jobs/${leased[i]}/result`,
          { method: "POST", body: multipartBytes(resultZip, "result.zip", "application/zip") },
          [201],
        ),
    ],
    ["PATCH /v1/jobs/{id} done", (i) => req(workerKey, `/v1/jobs/${leased[i]}`, { method: "PATCH", ...json({ state: "done" }) })],
    ["GET .../result", (i) => req(user, `/v1/jobs/${leased[i]}/result`)],
  ];
  for (const [name, f] of kinds) {
    if (ONLY.length && !ONLY.some((o) => name.startsWith(o))) continue;
    const cpu0 = cpuSeconds(child.pid!);
    const main0 = threadCpuSeconds(child.pid!).get("main") ?? 0;
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONC }, async () => {
        while (next < N) await f(next++);
      }),
    );
    const s = (performance.now() - t0) / 1000;
    const main = ((threadCpuSeconds(child.pid!).get("main") ?? 0) - main0) / N;
    console.log(
      `${name.padEnd(26)} ${(((cpuSeconds(child.pid!) - cpu0) / N) * 1000).toFixed(2)} ms server CPU/request (main thread ${(main * 1000).toFixed(2)}), ${(N / s).toFixed(0)} requests/s`,
    );
  }
} finally {
  await server.stop();
  await db.drop();
  rmSync(work, { recursive: true, force: true });
}
