/**
 * The HTTP connector's transport rules against a real HTTP server on 127.0.0.1 that can be told
 * to fail: path prefix, encoded path values, retries with backoff for idempotent requests only,
 * streamed multipart uploads with Content-Length, atomic downloads, ApiError fields, lease token
 * and long-poll parameters. (The endpoints themselves are exercised against the real API server
 * in tests/worker/work.test.ts.)
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { ApiClient, ApiError, REFUSED_RETRY } from "../../src/client/api.ts";

interface Seen {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  bodyBytes?: number;
  fileSize?: number;
  fileName?: string;
}
let seen: Seen[] = [];
let script: ((req: Request, url: URL) => Response | Promise<Response> | undefined) | undefined;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const s: Seen = { method: req.method, path: url.pathname, search: url.search, headers: Object.fromEntries(req.headers) };
    seen.push(s);
    const scripted = await script?.(req, url);
    if (scripted) return scripted;
    if (req.headers.get("content-type")?.startsWith("multipart/")) {
      const form = await req.formData();
      const f = form.get("file") as File;
      s.fileSize = f.size;
      s.fileName = f.name;
      return Response.json({ status: 201, code: "JOB_RESULT_UPLOADED", detail: "ok", data: null }, { status: 201 });
    }
    return Response.json({ status: 200, code: "JOB_RETRIEVED", detail: "ok", data: null });
  },
});
const dir = mkdtempSync(join(tmpdir(), "connector-"));
afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  seen = [];
  script = undefined;
});

const client = (prefix = "", extra: Partial<ConstructorParameters<typeof ApiClient>[0]> = {}) =>
  new ApiClient({
    apiUrl: `http://127.0.0.1:${server.port}${prefix}`,
    apiKey: "doc-api.kid.secret",
    retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    ...extra,
  });

describe("URLs", () => {
  test("a path prefix without trailing slash is kept; path values are one encoded segment", async () => {
    script = () => Response.json({ status: 404, code: "JOB_NOT_FOUND", detail: "Job does not exist." }, { status: 404 });
    await client("/docapi")
      .uploadMetadata("j1", { a: 1 })
      .catch(() => {});
    await client("/docapi/")
      .cancelJob("j1")
      .catch(() => {});
    await client("")
      .getJob("a b#?/x")
      .catch(() => {});
    expect(seen.map((s) => s.path)).toEqual(["/docapi/v1/jobs/j1/files/metadata", "/docapi/v1/jobs/j1", "/v1/jobs/a%20b%23%3F%2Fx"]);
    expect(seen[0]!.headers["x-api-key"]).toBe("doc-api.kid.secret");
  });
});

describe("errors and retries", () => {
  test("a 4xx is an ApiError with status, code, detail and details, not retried", async () => {
    script = () =>
      Response.json({ status: 409, code: "JOB_NOT_IN_PROCESSING", detail: "nope", details: { state: "cancelled" } }, { status: 409 });
    const err = (await client()
      .extendLease("j")
      .catch((e) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect([err.status, err.code, err.detail, err.details]).toEqual([409, "JOB_NOT_IN_PROCESSING", "nope", { state: "cancelled" }]);
    expect(seen.length).toBe(1);
  });

  test("5xx on an idempotent request is retried until it succeeds", async () => {
    let fails = 2;
    script = () => (fails-- > 0 ? new Response("upstream down", { status: 503 }) : undefined);
    const retries: number[] = [];
    await client("", { onRetry: (i) => retries.push(i.attempt) }).finishJob("j");
    expect(seen.length).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  test("retries stop after the configured attempts; the last error is thrown", async () => {
    script = () => new Response("<html>bad gateway</html>", { status: 502 });
    const err = (await client()
      .getJob("j")
      .catch((e) => e)) as ApiError;
    expect(seen.length).toBe(4);
    expect([err.status, err.code]).toEqual([502, "HTTP_ERROR"]);
    expect(err.detail).toContain("bad gateway");
  });

  test("POST /v1/jobs/lease is sent once even on 5xx (a lost answer must not lease twice)", async () => {
    script = () => new Response("boom", { status: 500 });
    await client()
      .leaseJob()
      .catch(() => {});
    expect(seen.length).toBe(1);
  });

  test("a progress PATCH with log text is sent once; a pure progress PATCH is retried", async () => {
    script = () => new Response("boom", { status: 500 });
    await client()
      .updateProgress("j", { log: "line" })
      .catch(() => {});
    expect(seen.length).toBe(1);
    seen = [];
    await client()
      .updateProgress("j", { progress: 0.5 })
      .catch(() => {});
    expect(seen.length).toBe(4);
  });

  test("a reset connection is retried (reported to onRetry) and ends as NETWORK_ERROR", async () => {
    // A TCP server that drops every connection at once: the request reached a server but got no answer.
    const dropper = createServer((sock) => sock.destroy());
    await new Promise<void>((r) => dropper.listen(0, "127.0.0.1", r));
    let connections = 0;
    dropper.on("connection", () => connections++);
    const tries: number[] = [];
    const flaky = new ApiClient({
      apiUrl: `http://127.0.0.1:${(dropper.address() as { port: number }).port}`,
      apiKey: "a.b.c",
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      onRetry: (i) => tries.push(i.attempt),
    });
    const err = (await flaky.me().catch((e) => e)) as ApiError;
    await new Promise((r) => dropper.close(r));
    expect([err.code, err.status, err.attempts]).toEqual(["NETWORK_ERROR", 0, 3]);
    expect(tries).toEqual([1, 2]);
    expect(connections).toBe(3);
  });

  test("connection refused before any answer: one quick quiet round (REFUSED_RETRY), even for a request sent once otherwise", async () => {
    const tries: number[] = [];
    const dead = new ApiClient({
      apiUrl: "http://127.0.0.1:1/a/long/prefix",
      apiKey: "a.b.c",
      retry: { attempts: 10, baseDelayMs: 1, maxDelayMs: 2 },
      onRetry: (i) => tries.push(i.attempt),
    });
    for (const call of [() => dead.me(), () => dead.leaseJob()]) {
      const err = (await call().catch((e) => e)) as ApiError;
      expect([err.code, err.status, err.refused, err.attempts]).toEqual(["NETWORK_ERROR", 0, true, REFUSED_RETRY.attempts]);
      expect(err.detail).toBe("connection refused");
    }
    expect(tries).toEqual([]);
  });

  test("connection refused after the server has answered (a restart): the full policy, reported", async () => {
    const gone = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => Response.json({ status: 200, code: "JOB_RETRIEVED", detail: "ok", data: null }),
    });
    const tries: number[] = [];
    const api = new ApiClient({
      apiUrl: `http://127.0.0.1:${gone.port}`,
      apiKey: "a.b.c",
      retry: { attempts: 5, baseDelayMs: 1, maxDelayMs: 2 },
      onRetry: (i) => tries.push(i.attempt),
    });
    await api.cancelJob("j");
    await gone.stop(true);
    const err = (await api.leaseJob().catch((e) => e)) as ApiError;
    expect([err.refused, err.attempts]).toEqual([true, 5]);
    expect(tries).toEqual([1, 2, 3, 4]);
  });

  test("a 503 with Retry-After waits at least that long (within maxDelayMs) before the retry", async () => {
    let fails = 1;
    script = () =>
      fails-- > 0
        ? Response.json({ status: 503, code: "DATABASE_UNAVAILABLE", detail: "down" }, { status: 503, headers: { "retry-after": "1" } })
        : undefined;
    const delays: number[] = [];
    await client("", { retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 5000 }, onRetry: (i) => delays.push(i.delayMs) }).finishJob("j");
    expect(seen.length).toBe(2);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(1000);
  });
});

describe("worker extensions", () => {
  test("long-poll asks with ?wait=S; the lease token goes out as X-Lease-Token; no token → no header", async () => {
    script = (req, url) =>
      url.pathname.endsWith("/lease") && req.method === "POST"
        ? Response.json({
            status: 200,
            code: "JOB_LEASED",
            detail: "ok",
            data: {
              id: "7e0576ea-7684-4c23-a9bd-c44d66a8e65b",
              lease_expire_at: "2026-01-01T00:05:00.000000Z",
              server_time: "2026-01-01T00:00:00.000000Z",
              lease_token: "tok-1",
            },
          })
        : undefined;
    const lease = await client().leaseJob({ wait: 7 });
    expect(lease?.lease_token).toBe("tok-1");
    await client().updateProgress("j", { progress: 0.1 }, { leaseToken: lease!.lease_token });
    await client().updateProgress("j", { progress: 0.2 }, { leaseToken: null });
    expect(seen[0]!.search).toBe("?wait=7");
    expect(seen[1]!.headers["x-lease-token"]).toBe("tok-1");
    expect(seen[2]!.headers["x-lease-token"]).toBeUndefined();
  });

  test("JOB_QUEUE_EMPTY → null", async () => {
    script = () => Response.json({ status: 200, code: "JOB_QUEUE_EMPTY", detail: "empty", data: null });
    expect(await client().leaseJob()).toBeNull();
    expect(seen[0]!.search).toBe("");
  });
});

describe("files", () => {
  test("uploads stream from disk as part `file` with a Content-Length (not chunked)", async () => {
    const f = join(dir, "big.zip");
    writeFileSync(f, Buffer.alloc(5 * 1024 * 1024 + 3, 7));
    await client().uploadResult("j", f, { leaseToken: "t" });
    expect(seen[0]!.fileSize).toBe(5 * 1024 * 1024 + 3);
    expect(seen[0]!.fileName).toBe("result.zip");
    expect(Number(seen[0]!.headers["content-length"])).toBeGreaterThan(5 * 1024 * 1024);
    expect(seen[0]!.headers["transfer-encoding"]).toBeUndefined();
  });

  test("a retried upload sends the whole file again", async () => {
    let fails = 1;
    script = () => (fails-- > 0 ? new Response("x", { status: 503 }) : undefined);
    const f = join(dir, "small.zip");
    writeFileSync(f, "PK-ish bytes");
    await client().uploadResult("j", f);
    expect(seen.length).toBe(2);
    expect(seen[1]!.fileSize).toBe(12);
  });

  test("downloads land atomically: a failed download leaves no file and no temp file", async () => {
    const out = join(dir, "dl");
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    script = () => new Response("IMAGEBYTES", { headers: { "content-type": "image/jpeg" } });
    expect(await client().downloadImage("j", "i", join(out, "a.jpg"))).toBe(10);
    expect(readFileSync(join(out, "a.jpg"), "utf8")).toBe("IMAGEBYTES");
    script = () => Response.json({ status: 410, code: "IMAGE_GONE", detail: "gone" }, { status: 410 });
    const err = (await client()
      .downloadImage("j", "i", join(out, "b.jpg"))
      .catch((e) => e)) as ApiError;
    expect(err.code).toBe("IMAGE_GONE");
    expect(existsSync(join(out, "b.jpg"))).toBe(false);
    expect(readdirSync(out)).toEqual(["a.jpg"]);
  });
});
