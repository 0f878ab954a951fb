/**
 * Internal error mails (docs/protocol.md §2.5, §8; src/server/ops/error-mail.ts) against a real SMTP server
 * (tests/helpers/smtp-server.ts: a small one over node:net that keeps every message it accepts) and real servers on
 * PostgreSQL. A 500 is provoked as in tests/server/auth.test.ts: the `images` table is renamed away, so
 * GET /v1/jobs/{id} fails inside the database.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server, type Socket } from "node:net";
import { consola, type ConsolaReporter, type LogObject } from "consola";
import { loadServerConfig } from "../../src/config.ts";
import { createErrorMailer, FLOOD_WINDOW_MS } from "../../src/server/ops/error-mail.ts";
import { startSmtpServer, type SmtpServer } from "../helpers/smtp-server.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { makeKey } from "../helpers/keys.ts";

const SUBJECT = "test-node-7 - INTERNAL SERVER ERROR";

// ---- the SMTP server -------------------------------------------------------------------------

interface Mail {
  /** The envelope's recipients (RCPT TO). */
  rcpt: string[];
  headers: Record<string, string>;
  /** Body after undoing the transfer encoding. */
  body: string;
  /** The message as it came over the wire (headers and encoded body). */
  raw: string;
}

let smtp: SmtpServer;

function mails(): Mail[] {
  return smtp.received.map((m) => ({ rcpt: m.to, ...parseMail(m.data.replace(/\r\n/g, "\n")) }));
}

function parseMail(raw: string): Omit<Mail, "rcpt"> {
  const split = raw.indexOf("\n\n");
  const head = raw.slice(0, split).replace(/\n[ \t]+/g, " "); // unfold
  const headers: Record<string, string> = {};
  for (const line of head.split("\n")) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.slice(split + 2);
  const cte = (headers["content-transfer-encoding"] ?? "7bit").toLowerCase();
  if (cte === "quoted-printable") {
    const bytes = body.replace(/=\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    body = new TextDecoder().decode(Uint8Array.from(bytes, (ch) => ch.charCodeAt(0)));
  } else if (cte === "base64") {
    body = Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  }
  return { headers, body, raw };
}

async function waitForMails(n: number, ms = 15_000): Promise<Mail[]> {
  const until = Date.now() + ms;
  for (;;) {
    const all = mails();
    if (all.length >= n) return all;
    if (Date.now() > until) throw new Error(`expected ${n} mails, got ${all.length}; SMTP commands:\n${smtp.transcript.join("\n")}`);
    await Bun.sleep(50);
  }
}

// ---- consola warnings ------------------------------------------------------------------------

const logs: LogObject[] = [];
const consolaLevel = consola.level;
const capture: ConsolaReporter = { log: (o) => void logs.push(o) };
const warnings = () => logs.filter((o) => o.type === "warn").map((o) => o.args.map(String).join(" "));
const allLogText = () =>
  logs.map((o) => o.args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : String(a))).join(" ")).join("\n");

// ---- servers ---------------------------------------------------------------------------------

let s: TestServer; // mails on, flood level 2
let user: { key: string };
let jobId: string;

const mailEnv = (): Record<string, string> => ({
  INTERNAL_MAIL_SERVER: "127.0.0.1",
  INTERNAL_MAIL_PORT: String(smtp.port),
  INTERNAL_MAIL_SENDER_MAIL: "annopage@example.org",
  INTERNAL_MAIL_RECEIVER_MAILS: " ops@example.org ,dev@example.org ",
  INTERNAL_MAIL_FLOOD_LEVEL: "2",
  ADMIN_SERVER_NAME: "test-node-7",
});

/** Runs `fn` while GET /v1/jobs/{id} fails inside the database (the images table is away). */
async function whileBroken<T>(server: TestServer, fn: () => Promise<T>): Promise<T> {
  await server.deps.sql`ALTER TABLE images RENAME TO images_away`;
  try {
    return await fn();
  } finally {
    await server.deps.sql`ALTER TABLE images_away RENAME TO images`;
  }
}

async function failingGet(server: TestServer, id: string, init: { query?: string; key: string }): Promise<Response> {
  const r = await fetch(`${server.url}/v1/jobs/${id}${init.query ?? ""}`, { headers: init.query ? {} : { "x-api-key": init.key } });
  expect(r.status).toBe(500);
  expect((await r.json()).code).toBe("INTERNAL_ERROR");
  return r;
}

beforeAll(async () => {
  consola.addReporter(capture);
  if (consola.level < 1) consola.level = 1; // warnings are what these tests look at
  smtp = await startSmtpServer();
  s = await startTestServer({ env: mailEnv() });
  user = await makeKey(s, "user");
  const r = await fetch(`${s.url}/v1/jobs`, {
    method: "POST",
    headers: { "x-api-key": user.key, "content-type": "application/json" },
    body: JSON.stringify({ images: [] }),
  });
  expect(r.status).toBe(201);
  jobId = (await r.json()).data.id;
}, 60_000);

afterAll(async () => {
  consola.removeReporter(capture);
  consola.level = consolaLevel;
  await s?.close();
  await smtp?.close();
});

describe("configuration", () => {
  test("INTERNAL_MAIL_* defaults (§8); unset server ⇒ no mailer", () => {
    expect(loadServerConfig({}).internalMail).toBeUndefined();
    expect(createErrorMailer(undefined)).toBeUndefined();
    expect(loadServerConfig({ INTERNAL_MAIL_SERVER: "smtp.example.org" }).internalMail).toEqual({
      host: "smtp.example.org",
      port: 25,
      adminServerName: "pc-doc-api-01",
      senderName: "pc-doc-api-01",
      senderMail: undefined,
      password: undefined,
      receivers: ["user@mail.server.cz"],
      floodLevel: 10,
    });
    const c = loadServerConfig({ ...mailEnv(), INTERNAL_MAIL_SENDER_NAME: "Annopage", INTERNAL_MAIL_FLOOD_LEVEL: "-1" }).internalMail!;
    expect(c.receivers).toEqual(["ops@example.org", "dev@example.org"]);
    expect(c.senderName).toBe("Annopage");
    expect(c.adminServerName).toBe("test-node-7");
    expect(c.floodLevel).toBe(-1);
    expect(createErrorMailer(c)).toBeUndefined(); // flood level ≤ 0: nothing is ever sent
    expect(createErrorMailer({ ...c, floodLevel: 0 })).toBeUndefined();
    expect(() => loadServerConfig({ INTERNAL_MAIL_PORT: "smtp" })).toThrow("INTERNAL_MAIL_PORT");
  });
});

describe("error mails over real SMTP", () => {
  test("a 500 is mailed: subject, From, To, method and path, stack; no query string, no API key", async () => {
    const before = mails().length;
    await whileBroken(s, () => failingGet(s, jobId, { key: user.key, query: `?api_key=${user.key}&x=1` }));
    await s.deps.errorMail!.settled();
    const mail = (await waitForMails(before + 1)).at(-1)!;
    expect(mail.headers.subject).toBe(SUBJECT);
    expect(mail.headers.from).toBe(`"test-node-7" <annopage@example.org>`);
    expect(mail.headers.to).toBe("ops@example.org, dev@example.org");
    expect(mail.rcpt).toEqual(["ops@example.org", "dev@example.org"]);
    expect(mail.body).toMatch(/^Time \(UTC\): \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/m);
    expect(mail.body).toContain(`Request: GET /v1/jobs/${jobId}\n`);
    expect(mail.body).toContain('relation "images" does not exist'); // the error's message…
    expect(mail.body).toMatch(/\n\s+at .+/); // …and its stack frames
    const secret = user.key.split(".")[2]!;
    for (const text of [mail.body, mail.raw]) {
      expect(text).not.toContain(user.key);
      expect(text).not.toContain(secret);
      expect(text).not.toContain("api_key");
      expect(text).not.toContain("x=1");
    }
    expect(allLogText()).not.toContain(secret);
  });

  test("flood level 2: three errors give two mails; after the rolling hour the next mail counts the left-out ones", async () => {
    let now = Date.parse("2026-03-01T10:00:00Z");
    const mailer = createErrorMailer(s.config.internalMail, { now: () => now })!;
    const configured = s.deps.errorMail;
    s.deps.errorMail = mailer;
    try {
      const before = mails().length;
      await whileBroken(s, async () => {
        for (let i = 0; i < 3; i++) await failingGet(s, jobId, { key: user.key });
      });
      await mailer.settled();
      await waitForMails(before + 2);
      await Bun.sleep(300);
      expect(mails().length).toBe(before + 2);
      for (const m of mails().slice(before)) expect(m.body).not.toContain("not mailed");
      expect(mails().at(-1)!.body).toContain("Time (UTC): 2026-03-01T10:00:00.000Z");

      // Half an hour later the two mails are still within the window: one more left out.
      now += FLOOD_WINDOW_MS / 2;
      await whileBroken(s, () => failingGet(s, jobId, { key: user.key }));
      await mailer.settled();
      await Bun.sleep(300);
      expect(mails().length).toBe(before + 2);

      // An hour after the first two the window has room again; the mail reports both left out.
      now = Date.parse("2026-03-01T11:00:00.001Z");
      await whileBroken(s, () => failingGet(s, jobId, { key: user.key }));
      await mailer.settled();
      const last = (await waitForMails(before + 3)).at(-1)!;
      expect(last.headers.subject).toBe(SUBJECT);
      expect(last.body).toContain("Time (UTC): 2026-03-01T11:00:00.001Z");
      expect(last.body).toContain("2 earlier internal errors were not mailed (at most 2 mails per hour).");
      expect(last.raw).not.toContain(user.key);
    } finally {
      s.deps.errorMail = configured;
    }
  });

  test("sending never delays the 500: an SMTP server that never answers; its failure is one warning without secrets", async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((sock) => void sockets.add(sock)); // accepts, never greets
    await new Promise<void>((res) => silent.listen(0, "127.0.0.1", res));
    const port = (silent.address() as { port: number }).port;
    const mailer = createErrorMailer({ ...s.config.internalMail!, port })!;
    const configured = s.deps.errorMail;
    s.deps.errorMail = mailer;
    const warnedBefore = warnings().length;
    try {
      const t0 = performance.now();
      await whileBroken(s, () => failingGet(s, jobId, { key: user.key }));
      expect(performance.now() - t0).toBeLessThan(2_000); // the greeting timeout is 10 s
      for (let i = 0; i < 50 && sockets.size === 0; i++) await Bun.sleep(20);
      expect(sockets.size).toBe(1); // the mail was on its way
      for (const sock of sockets) sock.destroy(); // the server goes away: the send fails
      await mailer.settled();
      const warned = warnings().slice(warnedBefore);
      expect(warned.length).toBe(1);
      expect(warned[0]).toContain(`internal error mail to 127.0.0.1:${port} not sent`);
      expect(warned[0]).not.toContain(user.key);
    } finally {
      s.deps.errorMail = configured;
      silent.close();
    }
  });

  test("with INTERNAL_MAIL_PASSWORD the login requires STARTTLS: refused by a server without TLS, warned about without the password", async () => {
    const password = "mail-password-never-shown";
    const mailer = createErrorMailer({ ...s.config.internalMail!, password })!;
    const configured = s.deps.errorMail;
    s.deps.errorMail = mailer;
    const before = mails().length;
    const warnedBefore = warnings().length;
    try {
      await whileBroken(s, () => failingGet(s, jobId, { key: user.key }));
      await mailer.settled();
      await Bun.sleep(300);
      expect(mails().length).toBe(before); // never sent in clear text
      const warned = warnings().slice(warnedBefore);
      expect(warned.length).toBe(1);
      expect(warned[0]).toContain("(ETLS)");
      expect(warned[0]).toContain("STARTTLS");
      expect(allLogText()).not.toContain(password);
      expect(allLogText()).not.toContain(Buffer.from(`\u0000annopage@example.org\u0000${password}`).toString("base64"));
    } finally {
      s.deps.errorMail = configured;
    }
  });
});

describe("server set, sender mail not set", () => {
  test("one warning at start-up, no mailer, no mail; the 500 answer is unchanged", async () => {
    const env = mailEnv();
    delete env.INTERNAL_MAIL_SENDER_MAIL;
    const warnedBefore = warnings().length;
    const t = await startTestServer({ env });
    try {
      const warned = warnings()
        .slice(warnedBefore)
        .filter((w) => w.includes("INTERNAL_MAIL_SENDER_MAIL"));
      expect(warned).toEqual(["INTERNAL_MAIL_SERVER is set but INTERNAL_MAIL_SENDER_MAIL is not: internal error mails are not sent"]);
      expect(t.deps.errorMail).toBeUndefined();
      const k = await makeKey(t, "user");
      const job = await fetch(`${t.url}/v1/jobs`, {
        method: "POST",
        headers: { "x-api-key": k.key, "content-type": "application/json" },
        body: JSON.stringify({ images: [] }),
      });
      const id = (await job.json()).data.id;
      const before = mails().length;
      await whileBroken(t, async () => {
        const r = await failingGet(t, id, { key: k.key });
        expect(r.headers.get("content-type")).toBe("application/json");
      });
      await Bun.sleep(500);
      expect(mails().length).toBe(before);
      expect(
        warnings()
          .slice(warnedBefore)
          .filter((w) => w.includes("INTERNAL_MAIL")).length,
      ).toBe(1);
    } finally {
      await t.close();
    }
  });
});
