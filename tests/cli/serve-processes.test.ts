/**
 * `annopage serve --processes N` (server/ops/replicas.ts): real server processes on one port of 127.0.0.1 sharing a real
 * PostgreSQL. Two processes serve one job's whole life cycle, its requests sent alternately on a connection that the
 * primary accepted and one that the replica accepted (the owner of each connection is read from /proc), including a
 * long-polling lease on the replica woken by an upload to the primary (LISTEN/NOTIFY). A replica killed with SIGKILL
 * leaves the port answering and is restarted; the primary killed with SIGKILL takes its replicas with it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { poolShare, processCount } from "../../src/server/ops/replicas.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { HttpConnection } from "../helpers/raw-socket.ts";
import { pngBytes, zipBytes } from "../helpers/files.ts";
import { startCli, type CliChild } from "../helpers/cli.ts";
import { freePort } from "../helpers/ports.ts";
import { ADMIN_KEY } from "../helpers/server.ts";

let db: TestDatabase;
let baseDir: string;
let port: number;
let primary: CliChild;
let replicaPid: number;
const open: HttpConnection[] = [];

/** The process exists and is not a zombie (an orphan's exit is reaped by whoever adopted it, maybe late). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

beforeAll(async () => {
  db = await createTestDatabase("serve_processes");
  baseDir = mkdtempSync(join(tmpdir(), "annopage-processes-"));
  port = await freePort();
  primary = startCli(
    [
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--base-dir",
      baseDir,
      "--database-url",
      db.url,
      "--workers",
      "0",
      "--processes",
      "2",
    ],
    {
      env: { ADMIN_KEY },
    },
  );
  await primary.waitFor(/serving with 2 processes on port \d+ \(this one and 1 replica\)/, 90_000);
  replicaPid = Number((await primary.waitFor(/replica \(pid (\d+)\) listening on/, 90_000))[1]);
}, 120_000);

afterAll(async () => {
  for (const c of open) c.close();
  primary?.kill("SIGKILL");
  await primary?.exited;
  for (let i = 0; i < 100 && alive(replicaPid); i++) await Bun.sleep(100);
  await db?.drop();
  rmSync(baseDir, { recursive: true, force: true });
});

/** A kept-alive connection accepted by process `pid` (new connections are opened until the kernel gives one). */
async function connectionTo(pid: number, pids: number[]): Promise<HttpConnection> {
  for (let i = 0; i < 200; i++) {
    const c = await HttpConnection.open(port);
    expect((await c.request("GET", "/healthz")).status).toBe(200); // accepted and answered
    if (c.ownerAmong(pids) === pid) {
      open.push(c);
      return c;
    }
    c.close();
  }
  throw new Error(`no connection reached pid ${pid} in 200 tries`);
}

function multipart(bytes: Uint8Array, filename: string, type: string) {
  const boundary = "----annopageprocesses";
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`),
    Buffer.from(bytes),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

const jsonBody = (key: string, v: unknown) => ({
  body: JSON.stringify(v),
  headers: { "x-api-key": key, "content-type": "application/json" },
});

test("the process count: --processes, else APP_PROCESSES, else the CPU count; the embedded database runs one and says so when asked for more", () => {
  expect(processCount("3", {}, false)).toEqual({ count: 3 });
  expect(processCount(undefined, { APP_PROCESSES: "2" }, false)).toEqual({ count: 2 });
  expect(processCount(undefined, {}, false).count).toBe(navigator.hardwareConcurrency);
  expect(processCount(undefined, {}, true)).toEqual({ count: 1, notice: undefined });
  expect(processCount("4", {}, true).count).toBe(1);
  expect(processCount("4", {}, true).notice).toContain("--processes 4: the embedded database belongs to one process");
  expect(() => processCount("0", {}, false)).toThrow(/--processes must be a whole number from 1 to 64, got "0"/);
  // the processes share DATABASE_POOL_SIZE
  expect(poolShare(8, 2)).toBe(4);
  expect(poolShare(10, 4)).toBe(3);
  expect(poolShare(4, 8)).toBe(2);
});

test("two processes on one port serve one job's life cycle, each step alternating between the primary and the replica", async () => {
  const pids = [primary.proc.pid, replicaPid];
  const A = await connectionTo(primary.proc.pid, pids);
  const B = await connectionTo(replicaPid, pids);
  const mk = async (c: HttpConnection, role: string) => {
    const r = await c.request("POST", "/v1/admin/keys", jsonBody(ADMIN_KEY, { label: `p-${role}`, role }));
    expect(r.status).toBe(201);
    return r.json().data.secret as string;
  };
  const user = await mk(A, "user");
  const worker = await mk(B, "worker");

  const created = await A.request("POST", "/v1/jobs", jsonBody(user, { images: [{ name: "p.png", order: 0 }] }));
  expect(created.status).toBe(201);
  const id = created.json().data.id as string;

  // The replica's long-poll waits for a job; the upload to the primary queues it and wakes the replica (NOTIFY).
  const C = await connectionTo(replicaPid, pids);
  const leasing = C.request("POST", "/v1/jobs/lease?wait=30", { headers: { "x-api-key": worker } });
  await Bun.sleep(300);
  const image = pngBytes(20, 10);
  const upload = multipart(image, "p.png", "image/png");
  const up = await A.request("PUT", `/v1/jobs/${id}/images/p.png/files/image`, {
    body: upload.body,
    headers: { ...upload.headers, "x-api-key": user },
  });
  expect(up.status).toBe(201);
  const lease = await leasing;
  expect(lease.json().code).toBe("JOB_LEASED");
  expect(lease.json().data.id).toBe(id);

  const view = await A.request("GET", `/v1/jobs/${id}`, { headers: { "x-api-key": worker } });
  expect(view.json().data.state).toBe("processing");
  const imageId = view.json().data.images[0].id as string;
  const got = await B.request("GET", `/v1/jobs/${id}/images/${imageId}/files/image`, { headers: { "x-api-key": worker } });
  expect(got.status).toBe(200);
  expect(got.body.equals(image)).toBe(true);

  const zip = zipBytes({ "result.xml": "<alto/>" });
  const mp = multipart(zip, "result.zip", "application/zip");
  const result = await A.request("POST", `/v1/jobs/${id}/result`, { body: mp.body, headers: { ...mp.headers, "x-api-key": worker } });
  expect([200, 201]).toContain(result.status);
  const done = await B.request("PATCH", `/v1/jobs/${id}`, jsonBody(worker, { state: "done" }));
  expect(done.json().code).toBe("JOB_COMPLETED");

  expect((await A.request("GET", `/v1/jobs/${id}`, { headers: { "x-api-key": user } })).json().data.state).toBe("done");
  const back = await B.request("GET", `/v1/jobs/${id}/result`, { headers: { "x-api-key": user } });
  expect(back.status).toBe(200);
  expect(back.body.equals(zip)).toBe(true);
}, 120_000);

test("a replica killed with SIGKILL leaves the port answering, and the primary starts a new one", async () => {
  expect(alive(replicaPid)).toBe(true);
  process.kill(replicaPid, "SIGKILL");
  // Connections waiting in the killed process's accept queue are reset by the kernel (SO_REUSEPORT gives each process
  // its own queue); once it is gone (and a moment later: connections were still reset right after its exit), every new
  // connection reaches the primary.
  for (let i = 0; i < 100 && alive(replicaPid); i++) await Bun.sleep(50);
  await Bun.sleep(500);
  for (let i = 0; i < 30; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/healthz`, { keepalive: false });
    expect(r.status).toBe(200);
  }
  const restarted = await primary.waitFor(
    new RegExp(`replica 1 \\(pid ${replicaPid}\\) ended \\(SIGKILL\\); restarting it in [\\d.]+ s`),
    30_000,
  );
  expect(restarted[0]).toBeTruthy();
  const lines = [...primary.output().matchAll(/replica \(pid (\d+)\) listening on/g)];
  for (let i = 0; i < 600 && lines.length < 2; i++) {
    await Bun.sleep(100);
    lines.splice(0, lines.length, ...primary.output().matchAll(/replica \(pid (\d+)\) listening on/g));
  }
  const newPid = Number(lines[1]![1]);
  expect(newPid).not.toBe(replicaPid);
  expect(alive(newPid)).toBe(true);
  replicaPid = newPid;
}, 120_000);

test("the primary killed with SIGKILL takes its replica with it", async () => {
  expect(alive(replicaPid)).toBe(true);
  primary.kill("SIGKILL");
  await primary.exited;
  let gone = false;
  for (let i = 0; i < 200 && !gone; i++) {
    gone = !alive(replicaPid);
    if (!gone) await Bun.sleep(100);
  }
  expect(gone).toBe(true);
  await expect(fetch(`http://127.0.0.1:${port}/healthz`, { keepalive: false })).rejects.toThrow();
}, 60_000);

test("SIGTERM on the primary stops its replicas too, and both end cleanly", async () => {
  const p = startCli(
    [
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--base-dir",
      baseDir,
      "--database-url",
      db.url,
      "--workers",
      "0",
      "--processes",
      "2",
    ],
    {
      env: { ADMIN_KEY },
    },
  );
  try {
    const pid = Number((await p.waitFor(/replica \(pid (\d+)\) listening on/, 90_000))[1]);
    expect(alive(pid)).toBe(true);
    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(alive(pid)).toBe(false);
  } finally {
    p.kill("SIGKILL");
  }
}, 120_000);
