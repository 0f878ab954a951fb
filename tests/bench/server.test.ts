/**
 * Smoke test of the server benchmark (bench/server.ts): a tiny run drives the whole life cycle (cold start, then both client variants) and a
 * small big-upload through a child-process server on a real PostgreSQL and must finish without
 * request errors, printing every figure. Speed itself is not asserted here (that is the bench's job).
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { BUN, REPO, runCli } from "../helpers/cli.ts";

test("bench/server.ts completes a small run with no request errors and prints every figure", async () => {
  const {
    code,
    stdout: out,
    stderr: err,
  } = await runCli([], {
    command: [BUN, join(REPO, "bench", "server.ts")],
    env: {
      BENCH_JOBS: "6",
      BENCH_WARMUP_JOBS: "2",
      BENCH_CLIENTS: "3",
      BENCH_WORKERS: "2",
      BENCH_POLL_MS: "50",
      BENCH_UPLOAD_MB: "4",
      BENCH_TIME_LIMIT_S: "60",
    },
  });
  expect(err).not.toContain("benchmark failed");
  expect(code).toBe(0);
  // both client variants, each with its jobs/s and the server's CPU per job (and per request: polls per job vary)
  expect(out).toMatch(
    /life cycle \(prepared clients\): 6 jobs in [\d.]+ s = [\d.]+ jobs\/s, e2e p50 [\d.]+ s p95 [\d.]+ s; server CPU [\d.]+ ms\/job \(1 process; [\d.]+ requests\/job, [\d.]+ of them polls; [\d.]+ ms\/request\)/,
  );
  expect(out).toMatch(
    /life cycle \(fetch clients, a new connection per request\): 6 jobs in [\d.]+ s = [\d.]+ jobs\/s, e2e p50 [\d.]+ s p95 [\d.]+ s; server CPU [\d.]+ ms\/job/,
  );
  expect(out.match(/CPU over the phase \(\d+ cores\): server [\d.]+ s \([\d.]+ ms\/job\), PostgreSQL [\d.]+ s/g)).toHaveLength(2);
  expect(out).toMatch(
    /cold start: the first 2 jobs of a fresh server \(fetch clients, a new connection per request\): 2 jobs in [\d.]+ s = [\d.]+ jobs\/s/,
  );
  expect(out).toMatch(
    /job timeline \(mean ms from the previous step\): created → uploaded [\d.]+, → leased [\d.]+, → done [\d.]+, → seen [\d.]+, → downloaded [\d.]+/,
  );
  expect(out).toMatch(/server CPU by thread \(ms\/job\): main [\d.]+/);
  expect(out).toMatch(/file creation on the data disk just before the phase: \d+ µs CPU each/);
  for (const endpoint of [
    "POST /v1/jobs ",
    "PUT .../files/image",
    "GET /v1/jobs/{id} ",
    "POST /v1/jobs/lease",
    "POST .../result",
    "PATCH /v1/jobs/{id} done",
    "GET .../result",
  ]) {
    expect(out).toContain(endpoint);
  }
  expect(out).toMatch(/big upload \(engine files, 4\.0 MiB\): \d+ MiB\/s; dd to the same disk \d+ MiB\/s/);
  expect(out).toMatch(/big download \(streamed\): \d+ MiB\/s/);
  expect(out).toContain("errors: 0");
}, 120_000);
