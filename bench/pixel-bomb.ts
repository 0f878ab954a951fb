/**
 * Pixel bombs (docs/hardening.md §3): what four concurrent uploads of a ~190 KB 14000×14000 grey PNG (196 Mpx, under the
 * 200 Mpx limit) cost the server. A server (`annopage serve`, embedded database, no workers) is started; /healthz is
 * called back to back for BENCH_IDLE_S seconds before the uploads ("idle") and all the while the four uploads run
 * ("bombs"); the server's RSS is sampled every 20 ms. Prints the upload answers and times, RSS before / peak /
 * increase, and /healthz p50/p99/max idle vs during the bombs. Bounded: BENCH_ROUNDS rounds (default 2), each with its
 * own job; every request times out after 120 s.
 * Settings (env): BENCH_BOMBS=4 BENCH_SIDE=14000 BENCH_ROUNDS=2 BENCH_IDLE_S=2 BENCH_REPO=<another checkout, to
 * measure its server instead (e.g. the code before a change: `git archive <commit> | tar -x -C dir`, node_modules
 * linked)>.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { greyPng } from "../tests/helpers/png-parts.ts";
import { BENCH_ADMIN_KEY, Latencies, envNumber, fmtMB, freePort, multipartOnce, rssBytes, sampleRss, startBenchServer } from "./lib.ts";

const BOMBS = envNumber("BENCH_BOMBS", 4);
const SIDE = envNumber("BENCH_SIDE", 14000);
const ROUNDS = envNumber("BENCH_ROUNDS", 2);
const IDLE_MS = envNumber("BENCH_IDLE_S", 2) * 1000;
const TIMEOUT = AbortSignal.timeout.bind(AbortSignal, 120_000);

const tmp = mkdtempSync(join(tmpdir(), "annopage-bench-bomb-"));
const bomb = greyPng(SIDE, SIDE);
writeFileSync(join(tmp, "bomb.png"), bomb);
console.log(
  `bomb: ${SIDE}×${SIDE} grey PNG, ${(bomb.length / 1024).toFixed(0)} KB (${((SIDE * SIDE) / 1e6).toFixed(0)} Mpx); ${BOMBS} at once, ${ROUNDS} rounds${process.env.BENCH_REPO ? `; server of ${process.env.BENCH_REPO}` : ""}`,
);

const server = await startBenchServer({ baseDir: join(tmp, "data"), port: await freePort(), repo: process.env.BENCH_REPO });
const pid = server.child.pid!;
const api = async (method: string, path: string, key: string, init: RequestInit = {}) => {
  const r = await fetch(`${server.url}${path}`, {
    method,
    ...init,
    headers: { "x-api-key": key, ...(init.headers as Record<string, string>) },
    signal: TIMEOUT(),
  });
  return { status: r.status, body: (await r.json()) as { code: string; data: { id: string; secret?: string } } };
};

/** The slowest /healthz answer of each label (a stall of the event loop shows here even when rare). */
const slowest = new Map<string, number>();

/** /healthz back to back until `until` settles, each answer's time recorded under `label`. */
async function pollHealth(lat: Latencies, label: string, until: Promise<unknown>): Promise<void> {
  let finished = false;
  void until.finally(() => (finished = true));
  while (!finished) {
    const t0 = performance.now();
    const r = await fetch(`${server.url}/healthz`, { signal: TIMEOUT() });
    await r.arrayBuffer();
    const ms = performance.now() - t0;
    lat.add(label, ms);
    slowest.set(label, Math.max(slowest.get(label) ?? 0, ms));
    if (!r.ok) lat.error(`/healthz ${r.status}`);
  }
}

try {
  const created = await api("POST", "/v1/admin/keys", BENCH_ADMIN_KEY, {
    body: JSON.stringify({ label: "bench-bomb", role: "user" }),
    headers: { "content-type": "application/json" },
  });
  const userKey = created.body.data.secret!;
  const body = await multipartOnce(bomb, "bomb.png", "image/png");
  const lat = new Latencies();
  for (let round = 1; round <= ROUNDS; round++) {
    const names = Array.from({ length: BOMBS }, (_, i) => `bomb${i}.png`);
    const job = await api("POST", "/v1/jobs", userKey, {
      body: JSON.stringify({ images: names.map((name, order) => ({ name, order })) }),
      headers: { "content-type": "application/json" },
    });
    Bun.gc(true);
    await pollHealth(lat, "/healthz idle", Bun.sleep(IDLE_MS));
    const before = rssBytes(pid);
    const rss = sampleRss(pid);
    const t0 = performance.now();
    const uploads = Promise.all(
      names.map(async (name) => {
        const r = await api("PUT", `/v1/jobs/${job.body.data.id}/images/${name}/files/image`, userKey, {
          body: body.body,
          headers: body.headers,
        });
        return `${r.status} ${r.body.code} ${((performance.now() - t0) / 1000).toFixed(1)} s`;
      }),
    );
    await pollHealth(lat, "/healthz bombs", uploads);
    const answers = await uploads;
    const peak = rss.stop();
    console.log(`round ${round}: uploads ${answers.join(", ")}`);
    console.log(`round ${round}: server RSS before ${fmtMB(before)} MB, peak ${fmtMB(peak)} MB, increase ${fmtMB(peak - before)} MB`);
  }
  console.log(lat.table());
  console.log([...slowest].map(([label, ms]) => `${label} max ${ms.toFixed(1)} ms`).join(", "));
  if (lat.errors.length) console.log(`errors: ${lat.errors.slice(0, 5).join("; ")}`);
} finally {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
