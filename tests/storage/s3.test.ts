/**
 * S3Storage (STORAGE=s3) against a real S3-compatible server: moto (`python3 -m moto.server`) started
 * here as a child process on 127.0.0.1 and stopped afterwards. Without moto these tests fail (they
 * never skip): install it with `pip install 'moto[server]'`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { S3Storage } from "../../src/storage/s3.ts";
import type { StorageArea } from "../../src/storage/storage.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { freePort } from "../helpers/ports.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { ConfigError, loadServerConfig } from "../../src/config.ts";
import { startServer } from "../../src/cli/serve.ts";
import { client } from "../helpers/http.ts";
import { makeKey } from "../helpers/keys.ts";
import { pngBytes, zipBytes } from "../helpers/files.ts";

const CREDS = { accessKeyId: "testing", secretAccessKey: "testing-secret", region: "us-east-1" };
let moto: Subprocess<"ignore", "pipe", "pipe"> | undefined;
let endpoint = "";
let tmp = "";

/** Starts moto on a free port and waits until it answers; a missing moto is a clear failure. */
async function startMoto(): Promise<void> {
  const port = await freePort();
  try {
    moto = Bun.spawn(["python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch (e) {
    throw new Error(
      `moto is needed for the S3 storage tests: python3 could not be started (${(e as Error).message}); install Python 3 and: pip install 'moto[server]'`,
    );
  }
  const proc = moto;
  let output = "";
  const dec = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) output += dec.decode(c, { stream: true });
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await Bun.sleep(100); // the rest of its output
      throw new Error(
        `moto is needed for the S3 storage tests: \`python3 -m moto.server\` ${proc.exitCode !== null ? `exited with ${proc.exitCode}` : "did not answer in 30 s"}` +
          ` (install it with: pip install 'moto[server]'). Its output:\n${output}`,
      );
    }
    const ok = await fetch(`${endpoint}/`).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(100);
  }
}

/** Creates a bucket (moto takes an unsigned CreateBucket). */
async function createBucket(name: string): Promise<void> {
  const r = await fetch(`${endpoint}/${name}`, { method: "PUT" });
  if (r.status !== 200) throw new Error(`CreateBucket ${name}: ${r.status} ${await r.text()}`);
}

function bucketClient(bucket: string): Bun.S3Client {
  return new Bun.S3Client({ bucket, endpoint, ...CREDS });
}

async function listKeys(bucket: string): Promise<string[]> {
  const res = await bucketClient(bucket).list({ maxKeys: 1000 });
  return (res.contents ?? []).map((o) => o.key).sort();
}

async function bytesOf(body: Blob): Promise<Uint8Array> {
  return new Uint8Array(await new Response(body).arrayBuffer());
}

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let k = 0; k < n; k += 65_536) crypto.getRandomValues(b.subarray(k, Math.min(n, k + 65_536)));
  return b;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "storage-s3-"));
  await startMoto();
});

afterAll(async () => {
  if (moto) {
    moto.kill();
    await moto.exited;
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("S3Storage against moto", () => {
  let storage: S3Storage;
  const BUCKET = "unit";
  const stagingDir = () => join(tmp, "staging");
  const stagedFiles = (area: StorageArea) => (existsSync(join(stagingDir(), area)) ? readdirSync(join(stagingDir(), area)) : []);

  beforeAll(async () => {
    await createBucket(BUCKET);
    storage = new S3Storage({ bucket: BUCKET, endpoint, ...CREDS, prefix: "pre/", stagingDir: stagingDir() });
  });

  test("stage + commit + open: bytes and MD5 round-trip (12 MiB: a multipart upload); staged file gone after commit", async () => {
    const data = randomBytes(12 * 1024 * 1024 + 123);
    const w = await storage.stage("jobs");
    for (let off = 0; off < data.length; off += 1 << 20) await w.write(data.subarray(off, Math.min(data.length, off + (1 << 20))));
    const staged = await w.finish();
    expect(staged.size).toBe(data.length);
    expect(staged.md5).toBe(createHash("md5").update(data).digest("hex"));
    expect(staged.path.startsWith(join(stagingDir(), "jobs"))).toBe(true);
    expect(await storage.exists("jobs", "job1/img.png")).toBe(false);
    const before = Date.now();
    expect(await storage.commit(staged, "job1/img.png")).toEqual({ existed: false });
    expect(existsSync(staged.path)).toBe(false);
    expect(await storage.exists("jobs", "job1/img.png")).toBe(true);
    expect(await listKeys(BUCKET)).toContain("pre/jobs/job1/img.png");
    // A multipart upload's ETag is "<md5 of the part md5s>-<parts>".
    expect((await bucketClient(BUCKET).stat("pre/jobs/job1/img.png")).etag).toMatch(/-\d+"?$/);

    const opened = await storage.open("jobs", "job1/img.png");
    expect(opened).not.toBeNull();
    expect(opened!.size).toBe(data.length);
    expect(Math.abs(opened!.mtimeMs - before)).toBeLessThan(60_000);
    const got = await bytesOf(opened!.body);
    expect(got.length).toBe(data.length);
    expect(createHash("md5").update(got).digest("hex")).toBe(staged.md5!);

    // md5: false skips the hash; an empty file round-trips.
    const e = await storage.stage("results", { md5: false });
    const emptyStaged = await e.finish();
    expect(emptyStaged.md5).toBeNull();
    await storage.commit(emptyStaged, "empty.zip");
    const empty = await storage.open("results", "empty.zip");
    expect(empty!.size).toBe(0);
    expect((await bytesOf(empty!.body)).length).toBe(0);
    expect(stagedFiles("jobs")).toEqual([]);
    expect(stagedFiles("results")).toEqual([]);
  });

  test("existed flag on overwrite (commit and put); the new bytes win", async () => {
    expect(await storage.put("results", "r1.zip", new Uint8Array([1, 2, 3]))).toEqual({ existed: false });
    expect(await storage.put("results", "r1.zip", new Uint8Array([4, 5]))).toEqual({ existed: true });
    expect(await bytesOf((await storage.open("results", "r1.zip"))!.body)).toEqual(new Uint8Array([4, 5]));
    const w = await storage.stage("results");
    await w.write(new TextEncoder().encode("third"));
    expect(await storage.commit(await w.finish(), "r1.zip")).toEqual({ existed: true });
    const r = await storage.open("results", "r1.zip");
    expect(r!.size).toBe(5);
    expect(new TextDecoder().decode(await bytesOf(r!.body))).toBe("third");
    expect(stagedFiles("results")).toEqual([]);
  });

  test("remove is idempotent; open of a missing key is null", async () => {
    await storage.put("artifacts", "a1.zip", new Uint8Array([9]));
    expect(await storage.exists("artifacts", "a1.zip")).toBe(true);
    await storage.remove("artifacts", "a1.zip");
    expect(await storage.exists("artifacts", "a1.zip")).toBe(false);
    await storage.remove("artifacts", "a1.zip");
    await storage.remove("artifacts", "never/there.zip");
    expect(await storage.open("artifacts", "a1.zip")).toBeNull();
    expect(await storage.open("engines", "nope.zip")).toBeNull();
    expect(await listKeys(BUCKET)).not.toContain("pre/artifacts/a1.zip");
  });

  test("open serves a local copy (a Bun.file, so responses get content-length); copies are deleted after the TTL and swept on start", async () => {
    const dir = join(tmp, "ttl-staging");
    const short = new S3Storage({ bucket: BUCKET, endpoint, ...CREDS, prefix: "pre/", stagingDir: dir, downloadTtlMs: 300 });
    const data = randomBytes(300_000);
    await short.put("artifacts", "ttl.zip", data);
    const opened = await short.open("artifacts", "ttl.zip");
    expect(opened!.body).toBeInstanceOf(Blob);
    expect(opened!.size).toBe(data.length);
    expect((opened!.body as Blob).size).toBe(data.length);
    const res = new Response(opened!.body);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(data));
    expect(readdirSync(short.downloadDir).length).toBe(1);
    await Bun.sleep(600);
    expect(readdirSync(short.downloadDir)).toEqual([]);
    // A copy left by an earlier process (older than the TTL) is removed when the storage is built; a fresh one stays.
    const old = join(short.downloadDir, "left-over.get");
    const fresh = join(short.downloadDir, "fresh.get");
    await Bun.write(old, "x");
    await Bun.write(fresh, "y");
    utimesSync(old, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    new S3Storage({ bucket: BUCKET, endpoint, ...CREDS, stagingDir: dir, downloadTtlMs: 5_000 });
    expect(readdirSync(short.downloadDir)).toEqual(["fresh.get"]);
    await short.remove("artifacts", "ttl.zip");
  });

  test("a discarded or aborted staged file never appears; keys outside the server's shape are refused", async () => {
    const w = await storage.stage("jobs");
    await w.write(randomBytes(50_000));
    const staged = await w.finish();
    await storage.discard(staged);
    await storage.discard(staged); // idempotent
    const a = await storage.stage("jobs");
    await a.write(randomBytes(1000));
    await a.abort();
    expect(stagedFiles("jobs")).toEqual([]);
    // Nothing but the committed objects of the earlier tests is in the bucket.
    expect(await listKeys(BUCKET)).toEqual(["pre/jobs/job1/img.png", "pre/results/empty.zip", "pre/results/r1.zip"]);
    for (const bad of ["../x", "a/../../x", ".staging/x", "/etc/passwd", "", "a//b"]) {
      expect(() => storage.objectKey("jobs", bad)).toThrow();
    }
  });
});

describe("the server with STORAGE=s3", () => {
  let s: TestServer;
  const BUCKET = "server";

  beforeAll(async () => {
    await createBucket(BUCKET);
    s = await startTestServer({
      env: {
        STORAGE: "s3",
        S3_BUCKET: BUCKET,
        S3_ENDPOINT: endpoint,
        S3_REGION: CREDS.region,
        S3_ACCESS_KEY_ID: CREDS.accessKeyId,
        S3_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
        S3_PREFIX: "annopage/",
      },
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  test("a job's life over HTTP: image up, lease, image down, result zip up, done, result down — all through the bucket", async () => {
    expect(s.deps.storage).toBeInstanceOf(S3Storage);
    const user = (await makeKey(s, "user")).key;
    const worker = (await makeKey(s, "worker")).key;
    const u = client(s, user);
    const w = client(s, worker);

    const created = await u("POST", "/v1/jobs", { json: { images: [{ name: "page.png", order: 0 }] } });
    expect(created.status).toBe(201);
    const id = created.body.data.id as string;
    const png = pngBytes(40, 30);
    expect((await u("PUT", `/v1/jobs/${id}/images/page.png/files/image`, { file: png })).body.code).toBe("IMAGE_UPLOADED");

    const lease = await w("POST", "/v1/jobs/lease");
    expect(lease.body.code).toBe("JOB_LEASED");
    expect(lease.body.data.id).toBe(id);
    const job = (await w("GET", `/v1/jobs/${id}`)).body.data;
    const imageId = job.images[0].id as string;

    const down = await fetch(`${s.url}/v1/jobs/${id}/images/${imageId}/files/image`, {
      headers: { "x-api-key": worker },
      redirect: "manual",
    });
    expect(down.status).toBe(200); // streamed by the server, not a redirect to the bucket
    expect(down.headers.get("content-type")).toBe("image/png");
    expect(down.headers.get("content-length")).toBe(String(png.length));
    expect(new Uint8Array(await down.arrayBuffer())).toEqual(new Uint8Array(png));
    const rows = await s.deps.sql`SELECT imagehash FROM images WHERE id = ${imageId}`;
    expect(rows[0]!.imagehash).toBe(createHash("md5").update(png).digest("hex"));

    const zip = zipBytes({ "page.xml": "<PcGts/>", "page.alto.xml": "<alto/>" });
    expect((await w("POST", `/v1/jobs/${id}/result`, { file: zip })).body.code).toBe("JOB_RESULT_UPLOADED");
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "done" } })).body.code).toBe("JOB_COMPLETED");

    const result = await fetch(`${s.url}/v1/jobs/${id}/result`, { headers: { "x-api-key": user }, redirect: "manual" });
    expect(result.status).toBe(200);
    expect(result.headers.get("content-type")).toBe("application/zip");
    expect(result.headers.get("content-length")).toBe(String(zip.length));
    expect(new Uint8Array(await result.arrayBuffer())).toEqual(new Uint8Array(zip));

    // The objects are in the bucket under the prefix; nothing is stored in the local directories or left staged.
    const keys = await listKeys(BUCKET);
    expect(keys).toContain(`annopage/jobs/${id}/${imageId}.png`);
    expect(keys).toContain(`annopage/results/${id}.zip`);
    expect(keys.some((k) => /^annopage\/engines\/[0-9a-f-]+\.zip$/.test(k))).toBe(true); // the built-in engine's files
    const bucket = bucketClient(BUCKET);
    expect(new Uint8Array(await bucket.file(`annopage/results/${id}.zip`).arrayBuffer())).toEqual(new Uint8Array(zip));
    expect(new Uint8Array(await bucket.file(`annopage/jobs/${id}/${imageId}.png`).arrayBuffer())).toEqual(new Uint8Array(png));
    expect(existsSync(join(s.config.jobsDir, id))).toBe(false);
    expect(existsSync(join(s.config.resultsDir, `${id}.zip`))).toBe(false);
    for (const area of ["jobs", "results"]) {
      const d = join(s.config.baseDir, "staging", area);
      expect(existsSync(d) ? readdirSync(d) : []).toEqual([]);
    }

    // An object deleted from the bucket by an operator → 410, as a file deleted on disk.
    await bucket.delete(`annopage/results/${id}.zip`);
    expect((await u("GET", `/v1/jobs/${id}/result`)).body.code).toBe("JOB_RESULT_GONE");
  });
});

describe("start-up with STORAGE=s3", () => {
  test("a bucket that does not exist stops `serve` at once with an error naming S3_BUCKET (not at the first upload)", async () => {
    const db = await createTestDatabase("s3start");
    const baseDir = mkdtempSync(join(tmpdir(), "s3start-"));
    try {
      const config = loadServerConfig({
        APP_HOST: "127.0.0.1",
        APP_PORT: "0",
        BASE_DIR: baseDir,
        DATABASE_URL: db.url,
        STORAGE: "s3",
        S3_BUCKET: "no-such-bucket",
        S3_ENDPOINT: endpoint,
        S3_REGION: CREDS.region,
        S3_ACCESS_KEY_ID: CREDS.accessKeyId,
        S3_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
      });
      const err = await startServer(config).then(
        async (s) => {
          await s.stop();
          return null;
        },
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect(err!.message).toContain("S3_BUCKET: the bucket 'no-such-bucket' cannot be used");
      expect(err!.message).not.toContain(CREDS.secretAccessKey);
    } finally {
      rmSync(baseDir, { recursive: true, force: true });
      await db.drop();
    }
  });
});
