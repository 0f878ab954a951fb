/**
 * Shared pieces of the benchmarks: numeric settings from the environment, a server child process
 * started and awaited, a latency recorder with percentiles, RSS sampling of a child process, a
 * free-port finder and a streamed multipart body (never buffered whole).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

/** A numeric benchmark setting: the environment variable `k`, else `d`. */
export const envNumber = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);

/** The bootstrap admin key of the servers the benchmarks start. */
export const BENCH_ADMIN_KEY = "doc-api.benchadminkid.benchadminsecret0123456789";

/**
 * Starts `annopage serve` from this checkout as a child process on 127.0.0.1:`port` and waits (30 s at most) until
 * /healthz answers; without `dbUrl` it runs on its embedded PostgreSQL (PGlite) under `baseDir`. It hosts no local
 * workers (the benchmarks bring their own); `repo`: another checkout's server (a before/after comparison); `processes`:
 * server processes on the port (`serve --processes`, default 1; the replicas are awaited too). BENCH_PROFILE=<dir>:
 * the server (the first process) writes a CPU profile (markdown) there when it exits. Its last output is kept for the
 * error when it does not start; `stderr: "inherit"` also passes it on.
 */
export async function startBenchServer(o: {
  dbUrl?: string;
  baseDir: string;
  port: number;
  stderr?: "pipe" | "inherit";
  repo?: string;
  env?: Record<string, string>;
  processes?: number;
}): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof-md", `--cpu-prof-dir=${resolve(process.env.BENCH_PROFILE)}`] : [];
  const cli = join(o.repo ?? join(import.meta.dir, ".."), "src", "cli.ts");
  const child = spawn(
    process.execPath,
    [
      ...profile,
      cli,
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(o.port),
      "--base-dir",
      o.baseDir,
      ...(o.dbUrl ? ["--database-url", o.dbUrl] : []),
      "--workers",
      "0",
    ],
    {
      // One server process unless asked (`serve` runs one per core by default); as APP_PROCESSES, which older checkouts ignore.
      // The allocator setting of the Docker image (docs/deployment.md) unless the caller's environment has its own.
      env: {
        MIMALLOC_PURGE_DELAY: "-1",
        ...process.env,
        DATABASE_URL: "",
        ADMIN_KEY: BENCH_ADMIN_KEY,
        APP_PROCESSES: String(o.processes ?? 1),
        ...o.env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  let replicasUp = 0;
  child.stderr?.on("data", (d) => {
    if (o.stderr === "inherit") process.stderr.write(d);
    replicasUp += String(d).match(/replica \(pid \d+\) listening on/g)?.length ?? 0;
    stderr = (stderr + d).slice(-4000);
  });
  const url = `http://127.0.0.1:${o.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start: ${stderr}`);
    }
    await Bun.sleep(50);
  }
  while (replicasUp < (o.processes ?? 1) - 1) {
    if (child.exitCode !== null || Date.now() > deadline + 60_000) {
      child.kill("SIGKILL");
      throw new Error(`the server's replicas did not start: ${stderr}`);
    }
    await Bun.sleep(50);
  }
  const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once("exit", () => r())));
  return {
    child,
    url,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export class Latencies {
  private readonly samples = new Map<string, number[]>();
  readonly errors: string[] = [];

  add(endpoint: string, ms: number): void {
    let a = this.samples.get(endpoint);
    if (!a) this.samples.set(endpoint, (a = []));
    a.push(ms);
  }

  error(msg: string): void {
    if (this.errors.length < 1000) this.errors.push(msg);
  }

  /** Requests recorded for `endpoint`, or for all endpoints. */
  count(endpoint?: string): number {
    if (endpoint !== undefined) return this.samples.get(endpoint)?.length ?? 0;
    let n = 0;
    for (const v of this.samples.values()) n += v.length;
    return n;
  }

  table(): string {
    const rows = [...this.samples.entries()].sort(([a], [b]) => a.localeCompare(b));
    const pad = Math.max(8, ...rows.map(([k]) => k.length));
    const out = [
      `${"endpoint".padEnd(pad)}  ${"count".padStart(6)}  ${"p50 ms".padStart(8)}  ${"p95 ms".padStart(8)}  ${"p99 ms".padStart(8)}`,
    ];
    for (const [k, v] of rows) {
      const s = [...v].sort((x, y) => x - y);
      const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1);
      out.push(`${k.padEnd(pad)}  ${String(s.length).padStart(6)}  ${q(0.5).padStart(8)}  ${q(0.95).padStart(8)}  ${q(0.99).padStart(8)}`);
    }
    return out.join("\n");
  }
}

/** Resident set size of a process in bytes (Linux /proc), or NaN if unavailable. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

const CLK_TCK = 100;

/** The command name in a /proc `stat` line (it is in parentheses and may hold spaces). */
const statName = (stat: string) => stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));

/** CPU seconds (user + system) in a /proc `stat` line. */
function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CPU seconds (user + system) used so far by a process (Linux /proc), or NaN. */
export function cpuSeconds(pid: number): number {
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds (user + system) used so far by each thread group of a process, keyed by thread name with digits
 * dropped ("HeapHelper", "Bun Pool", "JITWorker"…; the process's own thread is "main"), from /proc/{pid}/task.
 */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = tid === String(pid) ? "main" : statName(stat).replace(/\d+/g, "").trim();
      out.set(name, (out.get(name) ?? 0) + statCpuSeconds(stat));
    } catch {}
  }
  return out;
}

/** `pid` and every process descended from it (the server's replicas), from the parent pids in /proc. */
export function processTree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  return out;
}

/** CPU seconds used so far by `pid` and its descendants (a server with its replicas). */
export function treeCpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + (cpuSeconds(p) || 0), 0);
}

/** CPU seconds used so far by each process (by pid) whose command name is `name` (e.g. the PostgreSQL backends). */
export function cpuSecondsByName(name: string): Map<string, number> {
  const byPid = new Map<string, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      if (statName(stat) === name) byPid.set(d, statCpuSeconds(stat));
    } catch {}
  }
  return byPid;
}

/**
 * CPU seconds the processes of `after` used since `before` (a process new since then counts whole). Processes that
 * ended in between are missing (their CPU is lost, never negative): other programs' backends may come and go.
 */
export function cpuSecondsSince(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [pid, s] of after) total += Math.max(0, s - (before.get(pid) ?? 0));
  return total;
}

/**
 * CPU microseconds (user + system, this process) that creating one empty file costs in a new directory under `dir`:
 * `count` files are created and kept (deleting them would make the next allocations dearer; they go with `dir`).
 * A diagnostic for the server benchmark, whose uploads create one file and one directory per job: on an ext4 without
 * a journal (this VM's disk), the inode allocator skips every free inode deleted in the last 30 s or whose
 * inode-table block is still dirty (fs/ext4/ialloc.c, recently_deleted), so right after many files were deleted — a
 * previous run's clean-up, a test suite — each create can cost hundreds of microseconds of kernel time instead of ~15.
 */
export function fileCreateMicros(dir: string, count = 200): number {
  const sub = join(dir, `create-probe-${process.pid}-${crypto.randomUUID().slice(0, 8)}`);
  mkdirSync(sub, { recursive: true });
  const t0 = process.cpuUsage();
  for (let i = 0; i < count; i++) closeSync(openSync(join(sub, `f${i}`), "wx"));
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / count;
}

/** Samples RSS every `everyMs` until stopped; returns the peak. */
export function sampleRss(pid: number, everyMs = 20): { stop(): number } {
  let peak = rssBytes(pid);
  const t = setInterval(() => {
    const r = rssBytes(pid);
    if (r > peak) peak = r;
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, rssBytes(pid));
    },
  };
}

export { freePort } from "../tests/helpers/ports.ts";

/**
 * A multipart/form-data body with one part `file` whose content streams from `path`; returns
 * the stream, the content type and the exact length (so the request carries content-length).
 */
export function multipartFileStream(path: string, filename: string, size: number) {
  const boundary = `----annopagebench${crypto.randomUUID().replaceAll("-", "")}`;
  const head = new TextEncoder().encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/zip\r\n\r\n`,
  );
  const tail = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
  const reader = Bun.file(path).stream().getReader();
  let stage: "head" | "file" | "done" = "head";
  // Pull-based, so the stream holds at most a chunk or two: backpressure reaches the disk read.
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (stage === "head") {
        stage = "file";
        controller.enqueue(head);
        return;
      }
      if (stage === "file") {
        const { done, value } = await reader.read();
        if (!done) {
          controller.enqueue(value);
          return;
        }
        stage = "done";
        controller.enqueue(tail);
        return;
      }
      controller.close();
    },
  });
  return { body, contentType: `multipart/form-data; boundary=${boundary}`, length: head.length + size + tail.length };
}

/** A small in-memory multipart body with one part `file`. */
export function multipartBytes(bytes: Uint8Array, filename: string, type: string): FormData {
  const fd = new FormData();
  fd.append("file", new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), filename);
  return fd;
}

/**
 * The same body as multipartBytes, encoded once: a load generator that sends the same file many times reuses the bytes
 * instead of encoding a FormData per request (its CPU shares the machine with the server). Spread into fetch's init.
 */
export async function multipartOnce(
  bytes: Uint8Array,
  filename: string,
  type: string,
): Promise<{ body: Uint8Array<ArrayBuffer>; headers: Record<string, string> }> {
  const body = new Uint8Array(await new Response(multipartBytes(bytes, filename, type)).arrayBuffer());
  const firstLine = new TextDecoder().decode(body.subarray(0, body.indexOf(13)));
  return { body, headers: { "content-type": `multipart/form-data; boundary=${firstLine.slice(2)}` } };
}

export const fmtMB = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
