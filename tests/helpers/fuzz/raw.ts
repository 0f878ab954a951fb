/**
 * Hand-framed HTTP requests that no fetch client sends, each over its own TCP connection: HTTP/1.0 without Host,
 * raw NUL and non-ASCII bytes in the request target and in header values, malformed chunked bodies, Content-Length
 * together with Transfer-Encoding, and uploads cut off by a client that goes away (the staged file must go too).
 */
import fc from "fast-check";
import { connect } from "node:net";
import type { Fixture, KeyName } from "./fixture.ts";
import type { FuzzRequest } from "./requests.ts";

const enc = new TextEncoder();
const cat = (...parts: (Uint8Array | string)[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? enc.encode(p) : p)));

const KINDS = ["http10", "pathBytes", "headerBytes", "chunked", "clte", "abortUpload", "abortJson"] as const;

export function rawRequestArb(fx: Fixture, file: fc.Arbitrary<Uint8Array>): fc.Arbitrary<FuzzRequest> {
  const jobId = fc.constantFrom(...fx.jobs);
  return fc
    .record({
      kind: fc.constantFrom(...KINDS),
      key: fc.constantFrom<KeyName>("admin", "userA", "userB", "readonly", "workerA", "workerB", "none"),
      jobId,
      target: fc.constantFrom("/healthz", "/v1/me", "/v1/jobs", "/v1/jobs/lease", "/v1/engines"),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
      // NARROWED: a raw space or C0 control byte (NUL included) in the request-line path is answered 505 by Bun's HTTP
      // parser before the application sees the request (docs/deployment.md, "Malformed requests"); not fixable in
      // the server, so the path bytes here are 0x21–0xFF. Header values still get every byte.
      pathBytes: fc.uint8Array({ minLength: 1, maxLength: 12, min: 0x21, max: 0xff }),
      file,
      cut: fc.nat(),
      chunk: fc.constantFrom(
        "zz\r\nabc\r\n0\r\n\r\n",
        "5\r\nab\r\n0\r\n\r\n",
        "ffffffffffffffffff\r\nabc\r\n",
        "3;ext=\u00ff\r\nabc\r\n0\r\n\r\n",
        "-1\r\nx\r\n0\r\n\r\n",
        "3\r\nabc",
        "0\r\n",
        "3\nabc\n0\n\n",
        "2\r\n{}\r\n0\r\nX-Trailer: \u0000\r\n\r\n",
      ),
    })
    .map((g): FuzzRequest => {
      const key = fx.keys[g.key];
      const keyLine = key ? `x-api-key: ${key}\r\n` : "";
      const base = { op: `raw ${g.kind}`, key: g.key, headers: {} };
      switch (g.kind) {
        case "http10":
          return {
            ...base,
            method: "GET",
            target: g.target,
            raw: { bytes: cat(`GET ${g.target} HTTP/1.0\r\n${keyLine}\r\n`), mayClose: false },
          };
        case "pathBytes":
          return {
            ...base,
            method: "GET",
            target: `/v1/jobs/<bytes>`,
            raw: {
              bytes: cat("GET /v1/jobs/", g.pathBytes, ` HTTP/1.1\r\nhost: x\r\n${keyLine}connection: close\r\n\r\n`),
              mayClose: true,
            },
          };
        case "headerBytes":
          return {
            ...base,
            method: "GET",
            target: `/v1/jobs/${g.jobId}`,
            jobId: g.jobId,
            raw: {
              bytes: cat(
                `GET /v1/jobs/${g.jobId} HTTP/1.1\r\nhost: x\r\n${keyLine}x-lease-token: `,
                g.bytes,
                "\r\nidempotency-key: ",
                g.bytes,
                "\r\nconnection: close\r\n\r\n",
              ),
              mayClose: true,
            },
          };
        case "chunked":
          return {
            ...base,
            method: "POST",
            target: "/v1/jobs",
            raw: {
              bytes: cat(
                `POST /v1/jobs HTTP/1.1\r\nhost: x\r\n${keyLine}content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n`,
                g.chunk,
              ),
              mayClose: true,
              halfClose: true,
            },
          };
        case "clte":
          return {
            ...base,
            method: "PATCH",
            target: `/v1/jobs/${g.jobId}`,
            jobId: g.jobId,
            raw: {
              bytes: cat(
                `PATCH /v1/jobs/${g.jobId} HTTP/1.1\r\nhost: x\r\n${keyLine}content-type: application/json\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n`,
                '15\r\n{"state":"cancelled"}\r\n0\r\n\r\n',
              ),
              mayClose: true,
              halfClose: true,
            },
          };
        case "abortUpload": {
          const body = cat('--B\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n', g.file, g.file, "\r\n--B--\r\n");
          const head = `PUT /v1/jobs/${g.jobId}/images/a.png/files/image HTTP/1.1\r\nhost: x\r\n${keyLine}content-type: multipart/form-data; boundary=B\r\ncontent-length: ${body.length + 1000}\r\n\r\n`;
          const bytes = cat(head, body);
          return {
            ...base,
            method: "PUT",
            target: `/v1/jobs/${g.jobId}/images/a.png/files/image`,
            jobId: g.jobId,
            raw: { bytes, mayClose: true, abortAfter: head.length + (g.cut % (body.length + 1)) },
          };
        }
        default: {
          const head = `POST /v1/jobs HTTP/1.1\r\nhost: x\r\n${keyLine}content-type: application/json\r\ncontent-length: 100000\r\n\r\n`;
          return {
            ...base,
            method: "POST",
            target: "/v1/jobs",
            raw: { bytes: cat(head, '{"images":[{"name":"'), mayClose: true, abortAfter: head.length + 15 },
          };
        }
      }
    });
}

/**
 * Sends a raw request on a new connection; answers the status of the response: 0 when the server closed without
 * one (or the request was cut off on purpose), -1 when nothing came back within `timeoutMs`.
 */
export function sendRaw(url: string, raw: NonNullable<FuzzRequest["raw"]>, timeoutMs: number): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const sock = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (timedOut = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : timedOut ? -1 : 0, text });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    sock.on("connect", () => {
      if (raw.abortAfter !== undefined) sock.write(raw.bytes.subarray(0, raw.abortAfter), () => setTimeout(() => finish(), 20));
      else if (raw.halfClose)
        sock.end(raw.bytes); // a body it declared but did not send can never come
      else sock.write(raw.bytes);
    });
    sock.on("data", (d: Buffer) => {
      chunks.push(d);
      // One response is all we wait for.
      const text = Buffer.concat(chunks).toString("latin1");
      const head = text.indexOf("\r\n\r\n");
      if (head >= 0) {
        const len = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, head));
        if (len && text.length - head - 4 >= Number(len[1])) finish();
      }
    });
    sock.on("end", () => finish());
    sock.on("close", () => finish());
    sock.on("error", () => finish());
  });
}
