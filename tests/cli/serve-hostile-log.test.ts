/**
 * A malformed chunked request body (docs/hardening.md §1) is the client's fault: Bun answers 400 and closes; the request handler,
 * whose body read then fails, logs one WARNING line with the reason — never an ERROR line — in the server log of a
 * real `annopage serve` process.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { parseRawAnswer, rawExchange } from "../helpers/raw-socket.ts";
import { startCli } from "../helpers/cli.ts";

const ADMIN = "doc-api.hostilelogkid.hostilelogsecret";
const base = mkdtempSync(join(tmpdir(), "annopage-hostile-log-"));
let db: TestDatabase | undefined;
afterAll(async () => {
  await db?.drop();
  rmSync(base, { recursive: true, force: true });
});

const LINE = /^\S+ \S+ : annopage : \S+ : (DEBUG|INFO|WARNING|ERROR) : (.*)$/;

test("a bad chunk size on a JSON and on a multipart route: 400, one WARNING line each with the reason, no ERROR", async () => {
  db = await createTestDatabase("hostilelog");
  const child = startCli(["serve", "--host", "127.0.0.1", "--port", "0", "--base-dir", base, "--workers", "0", "--database-url", db.url], {
    env: { ADMIN_KEY: ADMIN, LOGGING_FILE_LEVEL: "INFO" },
  });
  try {
    const [, url] = await child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
    const port = Number(new URL(url!).port);
    const job = await fetch(`${url}/v1/jobs`, {
      method: "POST",
      headers: { "x-api-key": ADMIN, "content-type": "application/json" },
      body: JSON.stringify({ images: [{ name: "a.png", order: 0 }] }),
    });
    const jobId = ((await job.json()) as { data: { id: string } }).data.id;

    const chunked = (head: string) => `${head}\r\nHost: x\r\nX-API-Key: ${ADMIN}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n`;
    const json = await rawExchange(port, `${chunked("POST /v1/jobs HTTP/1.1")}Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`);
    expect(parseRawAnswer(json).status).toBe(400);
    const upload = await rawExchange(
      port,
      `${chunked(`PUT /v1/jobs/${jobId}/images/a.png/files/image HTTP/1.1`)}Content-Type: multipart/form-data; boundary=b\r\n\r\n5\r\n--b\r\n\r\nnot-hex\r\n0\r\n\r\n`,
    );
    expect(parseRawAnswer(upload).status).toBe(400);

    const log = join(base, "logs", "server.log");
    const warnings = () =>
      (existsSync(log) ? readFileSync(log, "utf8") : "")
        .split("\n")
        .map((l) => LINE.exec(l))
        .filter((m) => m?.[1] === "WARNING")
        .map((m) => m![2]!);
    for (let i = 0; i < 200 && warnings().length < 2; i++) await Bun.sleep(50);
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);

    const lines = readFileSync(log, "utf8").trim().split("\n");
    expect(lines.filter((l) => LINE.exec(l)?.[1] === "ERROR")).toEqual([]);
    const reason = /: 400, the request body could not be read \(malformed chunked encoding or the client closed the connection\): \S/;
    expect(warnings()).toEqual([
      expect.stringMatching(new RegExp(`^POST /v1/jobs${reason.source}`)),
      expect.stringMatching(new RegExp(`^PUT /v1/jobs/${jobId}/images/a\\.png/files/image${reason.source}`)),
    ]);
  } finally {
    child.kill("SIGKILL");
    await child.exited;
  }
}, 120_000);
