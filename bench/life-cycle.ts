/**
 * The load of bench/server.ts: the whole job life cycle over real HTTP. C clients each create a job, upload its
 * images and poll it every P ms until done, then download the result; W workers lease (long-poll), get the job,
 * download its images, upload a small result zip and mark it done. Any unexpected answer is an error.
 *
 * Two kinds of clients:
 *   "prepared" — bodies encoded once (the multipart uploads reused byte for byte) and Bun's pooled keep-alive
 *                connections: the least client work, so the server's share of the machine is largest;
 *   "fetch"    — plain `fetch` as an ordinary HTTP client program uses it: every JSON and multipart (FormData) body
 *                encoded per request, and (keepAlive false, the default of BENCH_FETCH_KEEPALIVE=0) a new connection
 *                per request, as a client that makes one-off requests (Python `requests.get`, curl) does — the
 *                connection churn an independent load generator brings.
 */
import { zipSync } from "fflate";
import { type Latencies, multipartBytes, multipartOnce } from "./lib.ts";

export type ClientMode = "prepared" | "fetch";

export interface Load {
  base: string;
  lat: Latencies;
  mode: ClientMode;
  /** fetch mode: reuse connections (true) or open one per request (false). */
  keepAlive: boolean;
  images: number;
  clients: number;
  workers: number;
  pollMs: number;
  timeLimitMs: number;
  /** Keys of the admin (to explain a failed job), the user and the worker. */
  adminKey: string;
  userKey: string;
  workerKey: string;
  image: Uint8Array;
}

export const jsonInit = (v: unknown): RequestInit => ({ body: JSON.stringify(v), headers: { "content-type": "application/json" } });

/** One timed request; `endpoint` names the route for the latency table. */
export async function call(
  load: Pick<Load, "base" | "lat" | "mode" | "keepAlive">,
  endpoint: string,
  key: string,
  path: string,
  init: RequestInit = {},
  expect: number[] = [200],
) {
  const t0 = performance.now();
  const keepalive = load.mode === "prepared" || load.keepAlive;
  const res = await fetch(load.base + path, { ...init, keepalive, headers: { "x-api-key": key, ...(init.headers ?? {}) } });
  const body = res.headers.get("content-type")?.startsWith("application/json") ? await res.json() : new Uint8Array(await res.arrayBuffer());
  load.lat.add(endpoint, performance.now() - t0);
  if (!expect.includes(res.status)) {
    const code = (body as { code?: string }).code ?? "";
    load.lat.error(`${endpoint}: HTTP ${res.status} ${code}`);
    throw new Error(`${endpoint}: HTTP ${res.status} ${code}`);
  }
  return { status: res.status, body: body as any };
}

export async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: Timer | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)),
  );
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
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
  return steps
    .slice(1)
    .map((s, i) => `→ ${s} ${(sums[i] / Math.max(1, n)).toFixed(1)}`)
    .join(", ");
}

/** A multipart body with one part `file`: the prepared bytes, or a FormData built now (fetch mode). */
type Multipart = () => Promise<RequestInit>;

async function multipart(mode: ClientMode, bytes: Uint8Array, filename: string, type: string): Promise<Multipart> {
  if (mode === "fetch") return async () => ({ body: multipartBytes(bytes, filename, type) });
  const once = await multipartOnce(bytes, filename, type);
  return async () => once;
}

/** Runs `n` jobs through their life cycle; the phase lasts until the last job's result is downloaded. */
export async function lifeCycle(
  load: Load,
  n: number,
): Promise<{ seconds: number; uploadBytes: number; uploadMs: number; timeline: string; e2e: number[] }> {
  const { userKey, workerKey, image } = load;
  const times = new Map<string, JobTimes>();
  const resultZip = zipSync({ "result.xml": new TextEncoder().encode("<alto/>".repeat(200)) });
  let created = 0;
  let finished = 0;
  const resultBody = await multipart(load.mode, resultZip, "result.zip", "application/zip");
  const uploadBodies = new Map<string, Multipart>();
  for (let i = 0; i < load.images; i++) uploadBodies.set(`page_${i}.jpg`, await multipart(load.mode, image, `page_${i}.jpg`, "image/jpeg"));
  let lastDone: number | undefined;
  let stop = false;
  let uploadBytes = 0;
  let uploadMs = 0;
  const e2e: number[] = [];
  const req = (endpoint: string, key: string, path: string, init?: RequestInit, expect?: number[]) =>
    call(load, endpoint, key, path, init, expect);

  const client = async () => {
    while (!stop && created < n) {
      created++;
      const images = Array.from({ length: load.images }, (_, i) => ({ name: `page_${i}.jpg`, order: i }));
      const start = performance.now();
      const job = (await req("POST /v1/jobs", userKey, "/v1/jobs", { method: "POST", ...jsonInit({ images }) }, [201])).body.data;
      const t: JobTimes = { created: performance.now() };
      times.set(job.id, t);
      for (const im of images) {
        const t0 = performance.now();
        await req(
          "PUT .../files/image",
          userKey,
          `/v1/jobs/${job.id}/images/${im.name}/files/image`,
          { method: "PUT", ...(await uploadBodies.get(im.name)!()) },
          [201],
        );
        uploadMs += performance.now() - t0;
        uploadBytes += image.length;
      }
      t.uploaded = performance.now();
      for (;;) {
        if (stop) return;
        await Bun.sleep(load.pollMs);
        const view = (await req("GET /v1/jobs/{id}", userKey, `/v1/jobs/${job.id}`)).body.data;
        if (view.state === "done") break;
        if (view.state === "failed" || view.state === "cancelled" || view.state === "new") {
          const full = (await req("GET /v1/jobs/{id} (admin)", load.adminKey, `/v1/jobs/${job.id}`)).body.data;
          throw new Error(`job ${job.id} ended ${view.state}: ${JSON.stringify(full)}`);
        }
      }
      t.seen = performance.now();
      const res = await req("GET .../result", userKey, `/v1/jobs/${job.id}/result`);
      t.downloaded = performance.now();
      e2e.push(t.downloaded - start);
      if ((res.body as Uint8Array).length !== resultZip.length) throw new Error("result zip differs");
      if (++finished === n) lastDone = performance.now();
    }
  };

  const worker = async () => {
    while (!stop && finished < n) {
      const lease = await req("POST /v1/jobs/lease", workerKey, "/v1/jobs/lease?wait=1", { method: "POST" });
      if (lease.body.code !== "JOB_LEASED") continue;
      const id = lease.body.data.id as string;
      const t = times.get(id) ?? {};
      t.leased = performance.now();
      const job = (await req("GET /v1/jobs/{id} (worker)", workerKey, `/v1/jobs/${id}`)).body.data;
      for (const im of job.images) {
        const got = await req("GET .../files/image (worker)", workerKey, `/v1/jobs/${id}/images/${im.id}/files/image`);
        if ((got.body as Uint8Array).length !== image.length) throw new Error("downloaded image differs");
      }
      await req("POST .../result", workerKey, `/v1/jobs/${id}/result`, { method: "POST", ...(await resultBody()) }, [201, 200]);
      await req("PATCH /v1/jobs/{id} done", workerKey, `/v1/jobs/${id}`, { method: "PATCH", ...jsonInit({ state: "done" }) });
      t.done = performance.now();
    }
  };

  const t0 = performance.now();
  const all = Promise.all([...Array.from({ length: load.clients }, client), ...Array.from({ length: load.workers }, worker)]);
  try {
    await withDeadline(all, load.timeLimitMs, "life-cycle phase");
  } finally {
    stop = true;
  }
  // Workers still in a long-poll when the last result is downloaded are not waited for.
  return { seconds: ((lastDone ?? performance.now()) - t0) / 1000, uploadBytes, uploadMs, timeline: timeline(times.values()), e2e };
}
