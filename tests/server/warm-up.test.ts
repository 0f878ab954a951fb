/**
 * The server's self warm-up before it listens (server/ops/warm-up.ts): a real server on a real PostgreSQL sends itself
 * its rounds of requests (job GETs, a job definition, PATCH, image and result uploads, a result download) and leaves
 * no trace: no key, job or image row, no staged file, no count in GET /metrics; the start-up line says it ran.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadServerConfig } from "../../src/config.ts";
import { connect } from "../../src/db/client.ts";
import { startServer } from "../../src/cli/serve.ts";
import { listeningLine, type RunningServer } from "../../src/server/serve.ts";
import { warmUpRounds } from "../../src/server/ops/warm-up.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { ADMIN_KEY } from "../helpers/server.ts";

let db: TestDatabase;
let baseDir: string;
let server: RunningServer;

beforeAll(async () => {
  db = await createTestDatabase("warm_up");
  baseDir = mkdtempSync(join(tmpdir(), "annopage-warm-up-"));
  const config = loadServerConfig({ APP_HOST: "127.0.0.1", APP_PORT: "0", BASE_DIR: baseDir, ADMIN_KEY, DATABASE_URL: db.url });
  server = await startServer(config, { warmUpRounds: 10 });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
  rmSync(baseDir, { recursive: true, force: true });
});

test("WARMUP_ROUNDS: off unless set", () => {
  expect(warmUpRounds({})).toBe(0);
  expect(warmUpRounds({ WARMUP_ROUNDS: "40" })).toBe(40);
  expect(warmUpRounds({ WARMUP_ROUNDS: "x" })).toBe(0);
});

test("the warm-up sends its 10 rounds of 8 requests before listening and leaves nothing behind", async () => {
  expect(server.warmUp.requests).toBe(80);
  expect(listeningLine(server)).toMatch(/of them warming up with 80 requests\)$/);
  const sql = connect(db.url, { max: 1 });
  try {
    const keys = await sql<{ label: string }[]>`SELECT label FROM keys ORDER BY label`;
    expect(keys.map((k) => k.label)).not.toContain("warm-up-user");
    expect(keys.map((k) => k.label)).not.toContain("warm-up-worker");
    expect((await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs`)[0]!.n).toBe(0);
    expect((await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM images`)[0]!.n).toBe(0);
  } finally {
    await sql.end({ timeout: 1 });
  }
  for (const area of ["jobs", "results"]) {
    const staging = join(baseDir, area, ".staging");
    expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
  }
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toContain("annopage_http_requests_total");
  expect(metrics).not.toMatch(/annopage_http_requests_total\{[^}]*status="(404|422)"/);
  // the warm-up's keys lived in the key cache only: they do not open the API now
  const probe = await fetch(`${server.url}/v1/jobs`, { headers: { "x-api-key": "doc-api.nosuchkid.nosuchsecret" } });
  expect(probe.status).toBe(401);
});
