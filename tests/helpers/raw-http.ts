/**
 * Raw HTTP/1.x over TCP (node:net), for requests no HTTP client will send: no Host, a NUL in the request line, a
 * malformed chunked body.
 */
import { connect } from "node:net";

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
