/**
 * `GET /metrics` (docs/decisions.md §5) and `GET /` (docs/protocol.md §4.1) over real HTTP against a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { makeKey } from "../helpers/keys.ts";

let s: TestServer;
let locked: TestServer;
const METRICS_KEY = "metrics-secret-0123456789";

beforeAll(async () => {
  s = await startTestServer();
  locked = await startTestServer({ env: { METRICS_KEY } });
});
afterAll(async () => {
  await s?.close();
  await locked?.close();
});

/** Parses the Prometheus text into "name{labels}" → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function insertJobs(states: string[]) {
  const owner = (await s.deps.sql<{ id: string }[]>`SELECT id FROM keys WHERE label = 'admin'`)[0]!.id;
  for (const st of states) {
    await s.deps.sql`
      INSERT INTO jobs (id, owner_key_id, definition, alto_required, page_required, meta_json_required, meta_json_uploaded,
                        state, progress, created_date, last_change)
      VALUES (${crypto.randomUUID()}, ${owner}, ${s.deps.sql.json({ images: [] })}, false, false, false, false,
              ${st.toUpperCase()}::processingstate, 0, now(), now())`;
  }
}

describe("GET /metrics", () => {
  test("Prometheus text with annopage_jobs per state (zeros included) from the database", async () => {
    await insertJobs(["new", "new", "queued", "done", "failed"]);
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const text = await res.text();
    expect(text).toContain("# TYPE annopage_jobs gauge");
    expect(text).toContain("# TYPE annopage_http_requests_total counter");
    const m = parse(text);
    expect(m.get('annopage_jobs{state="new"}')).toBe(2);
    expect(m.get('annopage_jobs{state="queued"}')).toBe(1);
    expect(m.get('annopage_jobs{state="processing"}')).toBe(0);
    expect(m.get('annopage_jobs{state="error"}')).toBe(0);
    expect(m.get('annopage_jobs{state="done"}')).toBe(1);
    expect(m.get('annopage_jobs{state="cancelled"}')).toBe(0);
    expect(m.get('annopage_jobs{state="failed"}')).toBe(1);
  });

  test("annopage_http_requests_total counts by method, route pattern and status (errors and unknown paths too)", async () => {
    const before = parse(await (await fetch(`${s.url}/metrics`)).text());
    const get = (m: Map<string, number>, k: string) => m.get(k) ?? 0;
    for (let i = 0; i < 3; i++) await fetch(`${s.url}/v1/me`, { headers: { "x-api-key": s.adminKey } });
    await fetch(`${s.url}/v1/me`); // 401
    await fetch(`${s.url}/v1/engines/${crypto.randomUUID()}/files`, { headers: { "x-api-key": s.adminKey } }); // 404
    await fetch(`${s.url}/no/such/path`);
    const after = parse(await (await fetch(`${s.url}/metrics`)).text());
    const me200 = 'annopage_http_requests_total{method="GET",route="/v1/me",status="200"}';
    const me401 = 'annopage_http_requests_total{method="GET",route="/v1/me",status="401"}';
    const files404 = 'annopage_http_requests_total{method="GET",route="/v1/engines/:engine_id/files",status="404"}';
    const unmatched = 'annopage_http_requests_total{method="GET",route="unmatched",status="404"}';
    expect(get(after, me200) - get(before, me200)).toBe(3);
    expect(get(after, me401) - get(before, me401)).toBe(1);
    expect(get(after, files404) - get(before, files404)).toBe(1);
    expect(get(after, unmatched) - get(before, unmatched)).toBe(1);
    // The raw path of a request never becomes a label.
    expect([...after.keys()].some((k) => k.includes("/no/such/path"))).toBe(false);
  });

  test("annopage_http_request_duration_seconds: count and total answering time per method and route", async () => {
    const worker = await makeKey(s, "worker");
    await s.deps.sql`UPDATE jobs SET state = 'CANCELLED' WHERE state = 'QUEUED'`; // an empty queue for the lease below
    const before = parse(await (await fetch(`${s.url}/metrics`)).text());
    const get = (m: Map<string, number>, k: string) => m.get(k) ?? 0;
    for (let i = 0; i < 3; i++) await fetch(`${s.url}/v1/me`, { headers: { "x-api-key": s.adminKey } });
    await fetch(`${s.url}/v1/me`); // 401: counted with the route's answers
    // A long-polling lease on an empty queue is answered after its wait (here about a second).
    const t0 = performance.now();
    const lease = await fetch(`${s.url}/v1/jobs/lease?wait=1`, { method: "POST", headers: { "x-api-key": worker.key } });
    expect((await lease.json()).code).toBe("JOB_QUEUE_EMPTY");
    const waited = (performance.now() - t0) / 1000;
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toContain("# TYPE annopage_http_request_duration_seconds summary");
    const after = parse(text);
    const me = 'method="GET",route="/v1/me"';
    const ls = 'method="POST",route="/v1/jobs/lease"';
    expect(
      get(after, `annopage_http_request_duration_seconds_count{${me}}`) -
        get(before, `annopage_http_request_duration_seconds_count{${me}}`),
    ).toBe(4);
    const meSeconds =
      get(after, `annopage_http_request_duration_seconds_sum{${me}}`) - get(before, `annopage_http_request_duration_seconds_sum{${me}}`);
    expect(meSeconds).toBeGreaterThan(0);
    expect(meSeconds).toBeLessThan(1);
    expect(
      get(after, `annopage_http_request_duration_seconds_count{${ls}}`) -
        get(before, `annopage_http_request_duration_seconds_count{${ls}}`),
    ).toBe(1);
    const leaseSeconds =
      get(after, `annopage_http_request_duration_seconds_sum{${ls}}`) - get(before, `annopage_http_request_duration_seconds_sum{${ls}}`);
    expect(leaseSeconds).toBeGreaterThan(0.9);
    expect(leaseSeconds).toBeLessThanOrEqual(waited);
  });

  test("with METRICS_KEY: 401 without or with a wrong key; 200 with Bearer or X-API-Key", async () => {
    const none = await fetch(`${locked.url}/metrics`);
    expect(none.status).toBe(401);
    expect((await none.json()).code).toBe("API_KEY_MISSING");
    const wrong = await fetch(`${locked.url}/metrics`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).code).toBe("API_KEY_INVALID");
    // An admin API key is not the metrics key.
    expect((await fetch(`${locked.url}/metrics`, { headers: { "x-api-key": locked.adminKey } })).status).toBe(401);
    const bearer = await fetch(`${locked.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_KEY}` } });
    expect(bearer.status).toBe(200);
    expect(await bearer.text()).toContain("annopage_jobs{");
    expect((await fetch(`${locked.url}/metrics`, { headers: { "x-api-key": METRICS_KEY } })).status).toBe(200);
  });
});

describe("GET /", () => {
  test("307 to /docs with an empty body, no authentication", async () => {
    const res = await fetch(`${s.url}/`, { redirect: "manual" });
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toBe("/docs");
    expect(await res.text()).toBe("");
    const followed = await fetch(`${s.url}/`);
    expect(followed.status).toBe(200);
    expect(followed.url).toBe(`${s.url}/docs`);
  });
});
