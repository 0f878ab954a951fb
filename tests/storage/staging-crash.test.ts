/**
 * Staged uploads after a crash (storage/staging.ts, staging-owner.ts): a real `annopage serve` process killed
 * (SIGKILL) in the middle of a slow streamed upload leaves its `.part`; the next start removes it, keeps the fresh
 * file of another instance (an upload in flight on a live replica), and the periodic sweep removes that file once it
 * has not been written to for longer than STAGING_MAX_AGE_SECONDS.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { ApiClient } from "../../src/client/api.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { freePort } from "../helpers/ports.ts";
import { ADMIN_KEY } from "../helpers/server.ts";
import { startCli, type CliChild } from "../helpers/cli.ts";

let db: TestDatabase;
let baseDir: string;
let port: number;
const children: CliChild[] = [];

beforeAll(async () => {
  db = await createTestDatabase("staging_crash");
  baseDir = mkdtempSync(join(tmpdir(), "annopage-staging-crash-"));
  port = await freePort();
});

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(children.map((c) => c.exited));
  await db?.drop();
  rmSync(baseDir, { recursive: true, force: true });
});

async function serve(env: Record<string, string>): Promise<CliChild> {
  const c = startCli(
    ["serve", "--host", "127.0.0.1", "--port", String(port), "--base-dir", baseDir, "--database-url", db.url, "--workers", "0"],
    {
      env: { ADMIN_KEY, ...env },
    },
  );
  children.push(c);
  await c.waitFor(/listening on/, 60_000);
  return c;
}

const stagingDir = () => join(baseDir, "jobs", ".staging");
const staged = () =>
  existsSync(stagingDir())
    ? readdirSync(stagingDir())
        .filter((n) => n.endsWith(".part"))
        .sort()
    : [];

/** Starts a multipart upload of `declared` bytes and sends only the first `sent` of them; the socket stays open. */
function slowUpload(path: string, apiKey: string, sent: number, declared: number): Promise<Socket> {
  const boundary = "----slowboundary";
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1", () => {
      sock.write(
        `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-API-Key: ${apiKey}\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${Buffer.byteLength(head) + declared}\r\n\r\n${head}`,
      );
      sock.write(new Uint8Array(sent), () => resolve(sock));
    });
    sock.on("error", reject);
  });
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await Bun.sleep(50);
}

test("a .part left by a SIGKILL mid-upload is removed at the next start; a live replica's is kept until it goes idle", async () => {
  const first = await serve({});
  const url = `http://127.0.0.1:${port}`;
  const admin = new ApiClient({ apiUrl: url, apiKey: ADMIN_KEY });
  const user = (await admin.createKey("user-staging-crash", "user")).secret;
  const job = await new ApiClient({ apiUrl: url, apiKey: user }).createJob({ images: [{ name: "p.png", order: 0 }] });

  const sock = await slowUpload(`/v1/jobs/${job.id}/images/p.png/files/image`, user, 256 * 1024, 50 * 1024 * 1024);
  await until(() => staged().length === 1, 30_000);
  const orphans = staged();
  expect(orphans).toHaveLength(1);
  expect(orphans[0]!.startsWith(`${hostname()}_${first.proc.pid}_`)).toBe(true); // named after its instance
  first.kill("SIGKILL");
  await first.exited;
  sock.destroy();
  expect(staged()).toEqual(orphans); // the crash left it behind

  // The orphan gets a modification time in the future, so only "its process is gone" can remove it at the start.
  const future = new Date(Date.now() + 3_600_000);
  utimesSync(join(stagingDir(), orphans[0]!), future, future);
  // An upload in flight on another replica (another host), and one in a live process on this host (this test),
  // both kept fresh as their writers would; an upload of another instance idle for two hours.
  const otherHost = `otherhost_4242_${Date.now().toString(36)}abc123_${crypto.randomUUID()}.part`;
  const liveHere = `${hostname()}_${process.pid}_${Date.now().toString(36)}def456_${crypto.randomUUID()}.part`;
  const longIdle = `otherhost_4243_${Date.now().toString(36)}aaa111_${crypto.randomUUID()}.part`;
  for (const n of [otherHost, liveHere, longIdle]) writeFileSync(join(stagingDir(), n), "partial upload");
  const twoHoursAgo = new Date(Date.now() - 7_200_000);
  utimesSync(join(stagingDir(), longIdle), twoHoursAgo, twoHoursAgo);
  let writing = [otherHost, liveHere];
  const writer = setInterval(() => {
    for (const n of writing) {
      const now = new Date();
      utimesSync(join(stagingDir(), n), now, now);
    }
  }, 200);
  try {
    await serve({ STAGING_MAX_AGE_SECONDS: "2" });
    expect(staged()).toEqual([liveHere, otherHost].sort()); // orphan and long-idle file gone at the start
    // Several periodic sweeps (every second with a 2 s bound) leave the files that are being written to alone.
    await Bun.sleep(3_500);
    expect(staged()).toEqual([liveHere, otherHost].sort());
    // The other replica stops writing (it died): its file goes once idle for longer than the bound.
    writing = [liveHere];
    await until(() => !staged().includes(otherHost), 20_000);
    expect(staged()).toEqual([liveHere]);
  } finally {
    clearInterval(writer);
  }
}, 180_000);
