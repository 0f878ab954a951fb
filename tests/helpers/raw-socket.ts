/**
 * HTTP/1.x over a TCP socket of its own (node:net), for what no HTTP client does: requests no client will send (no
 * Host, a NUL in the request line, a malformed chunked body: rawExchange), and one kept-alive connection whose every
 * request goes to the same server process (HttpConnection). Everything else: tests/helpers/http.ts.
 *
 * HttpConnection: one kept-alive HTTP/1.1 connection (node:net) to a server on 127.0.0.1, and which process accepted it: with several
 * server processes on one port (SO_REUSEPORT) the kernel picks one per connection, and every request sent on the
 * connection is answered by that process. The owner is found in /proc (Linux): the server side of the connection in
 * /proc/net/tcp gives the socket's inode, and the process holding `socket:[inode]` among its file descriptors owns it.
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { connect, type Socket } from "node:net";

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

export class HttpConnection {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private closed = false;

  private constructor(
    private readonly sock: Socket,
    readonly port: number,
  ) {
    sock.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    sock.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
    sock.on("error", () => {});
  }

  static open(port: number): Promise<HttpConnection> {
    return new Promise((resolve, reject) => {
      const sock = connect(port, "127.0.0.1", () => resolve(new HttpConnection(sock, port)));
      sock.once("error", reject);
    });
  }

  /** Sends one request and reads its answer (content-length or chunked). */
  async request(method: string, path: string, o: { headers?: Record<string, string>; body?: Uint8Array | string } = {}): Promise<Answer> {
    const body = o.body === undefined ? undefined : typeof o.body === "string" ? Buffer.from(o.body) : Buffer.from(o.body);
    const headers = { host: `127.0.0.1:${this.port}`, ...o.headers, ...(body ? { "content-length": String(body.length) } : {}) };
    this.sock.write(
      `${method} ${path} HTTP/1.1\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("")}\r\n`,
    );
    if (body) this.sock.write(body);
    const headEnd = await this.until(() => this.buf.indexOf("\r\n\r\n"));
    const [statusLine, ...lines] = this.buf.subarray(0, headEnd).toString("latin1").split("\r\n");
    const h = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
    this.buf = this.buf.subarray(headEnd + 4);
    let out: Buffer;
    if (h["transfer-encoding"]?.includes("chunked")) {
      const parts: Buffer[] = [];
      for (;;) {
        const eol = await this.until(() => this.buf.indexOf("\r\n"));
        const size = parseInt(this.buf.subarray(0, eol).toString("latin1"), 16);
        await this.until(() => (this.buf.length >= eol + 2 + size + 2 ? 0 : -1));
        parts.push(Buffer.from(this.buf.subarray(eol + 2, eol + 2 + size)));
        this.buf = this.buf.subarray(eol + 2 + size + 2);
        if (size === 0) break;
      }
      out = Buffer.concat(parts);
    } else {
      const n = Number(h["content-length"] ?? 0);
      await this.until(() => (this.buf.length >= n ? 0 : -1));
      out = Buffer.from(this.buf.subarray(0, n));
      this.buf = this.buf.subarray(n);
    }
    return { status: Number(statusLine!.split(" ")[1]), headers: h, body: out, json: () => JSON.parse(out.toString("utf8")) };
  }

  /** Waits until `found()` is ≥ 0 (re-checked on every chunk) and returns it. */
  private async until(found: () => number): Promise<number> {
    for (;;) {
      const at = found();
      if (at >= 0) return at;
      if (this.closed) throw new Error("the server closed the connection");
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  /** The pid among `pids` whose process accepted this connection (undefined: none of them). */
  ownerAmong(pids: number[]): number | undefined {
    const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
    const local = `0100007F:${hex(this.port)}`;
    const remote = `0100007F:${hex(this.sock.localPort!)}`;
    const row = readFileSync("/proc/net/tcp", "utf8")
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .find((f) => f[1] === local && f[2] === remote);
    if (!row) return undefined;
    const target = `socket:[${row[9]}]`;
    for (const pid of pids) {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return pid;
        } catch {}
      }
    }
    return undefined;
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Sends `request` as given and returns everything the server answers until it closes the connection. */
export function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let out = "";
    sock.setEncoding("latin1");
    sock.on("data", (d) => (out += d));
    sock.on("close", () => resolve(out));
    sock.on("error", reject);
    sock.on("connect", () => sock.write(request));
    sock.setTimeout(20_000, () => sock.destroy(new Error(`no answer to ${JSON.stringify(request.slice(0, 40))}`)));
  });
}

/** Status, headers (lower-case names) and body of one raw answer. */
export function parseRawAnswer(answer: string): { status: number; headers: Record<string, string>; body: string } {
  const [head, body = ""] = answer.split("\r\n\r\n", 2);
  const [statusLine, ...headerLines] = head!.split("\r\n");
  const headers = Object.fromEntries(
    headerLines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
  );
  return { status: Number(statusLine!.split(" ")[1]), headers, body };
}
