/**
 * `bun bench/ui.ts`: the web dashboard's first load with a list of BENCH_UI_JOBS (default 1,000) jobs — the bytes the
 * browser fetches (page, script, style sheet, /v1/me, the job list) and the time from navigation until the first page
 * of the list is on screen, in Debian's Chromium (headless, cold profile each run) against `annopage serve` on
 * PostgreSQL. Prints the median of BENCH_UI_RUNS (default 3) runs.
 */
import { gzipSync } from "node:zlib";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchBrowser } from "../tests/helpers/browser.ts";
import { createTestDatabase } from "../tests/helpers/db.ts";
import { BENCH_ADMIN_KEY, envNumber, freePort, startBenchServer } from "./lib.ts";

const JOBS = envNumber("BENCH_UI_JOBS", 1000);
const RUNS = envNumber("BENCH_UI_RUNS", 3);
const work = mkdtempSync(join(tmpdir(), "annopage-bench-ui-"));
const db = await createTestDatabase("benchui");
const server = await startBenchServer({ dbUrl: db.url, baseDir: join(work, "data"), port: await freePort() });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const call = async (key: string, method: string, path: string, json?: unknown) => {
    const r = await fetch(server.url + path, {
      method,
      headers: { "X-API-Key": key, "content-type": "application/json" },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return ((await r.json()) as { data: any }).data; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const userKey = (await call(BENCH_ADMIN_KEY, "POST", "/v1/admin/keys", { label: "bench-ui", role: "user" })).secret as string;
  const t0 = performance.now();
  for (let i = 0; i < JOBS; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, JOBS - i) }, (_, k) =>
        call(userKey, "POST", "/v1/jobs", {
          images: [
            { name: `page-${i + k}.jpg`, order: 1 },
            { name: `page-${i + k}b.jpg`, order: 2 },
          ],
        }),
      ),
    );
  }
  console.log(`${JOBS} jobs created in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const runs: { ms: number; bytes: number; parts: Record<string, number> }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const browser = await launchBrowser();
    try {
      const { page } = browser;
      await page.addInitScript((key) => sessionStorage.setItem("annopage.apiKey", key), userKey);
      const start = Date.now();
      await page.goto(`${server.url}/ui#/jobs`);
      await page.locator("tr[data-job]").nth(49).waitFor({ timeout: 60_000 });
      await page.getByText(`${JOBS} jobs`).waitFor();
      const ms = Date.now() - start;
      const parts = await page.evaluate(() => {
        const out: Record<string, number> = {};
        for (const e of performance.getEntriesByType("navigation") as PerformanceResourceTiming[]) out.page = e.transferSize;
        for (const e of performance.getEntriesByType("resource") as PerformanceResourceTiming[]) {
          const name = new URL(e.name).pathname;
          out[name] = (out[name] ?? 0) + e.transferSize;
        }
        return out;
      });
      runs.push({ ms, bytes: Object.values(parts).reduce((a, b) => a + b, 0), parts });
    } finally {
      await browser.close();
    }
  }
  const last = runs[runs.length - 1]!;
  const script = await (await fetch(`${server.url}/ui/app.js`)).arrayBuffer();
  console.log(
    `first load, ${JOBS} jobs: transferred ${(median(runs.map((r) => r.bytes)) / 1024).toFixed(1)} KiB; ` +
      `list on screen after ${median(runs.map((r) => r.ms))} ms (median of ${RUNS}: ${runs.map((r) => r.ms).join(", ")} ms)`,
  );
  console.log(
    `  by request (bytes incl. headers): ${Object.entries(last.parts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  console.log(
    `  dashboard script: ${(script.byteLength / 1024).toFixed(1)} KiB (${(gzipSync(new Uint8Array(script)).byteLength / 1024).toFixed(1)} KiB gzipped)`,
  );
} finally {
  await server.stop();
  await db.drop();
  rmSync(work, { recursive: true, force: true });
}
