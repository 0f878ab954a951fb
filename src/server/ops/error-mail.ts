/**
 * Internal error mails (docs/protocol.md §2.5, §8): an unhandled exception answered with 500 INTERNAL_ERROR
 * is mailed to INTERNAL_MAIL_RECEIVER_MAILS when INTERNAL_MAIL_SERVER is set, as the reference's
 * logging SMTPHandler does. Subject `{ADMIN_SERVER_NAME} - INTERNAL SERVER ERROR`; the body holds the
 * time (UTC), the method and path (never the query string, never headers: they can hold API keys)
 * and the error's stack. Known secrets that still show up (the request's key in an error message,
 * the mail password, …) are replaced by `***`.
 *
 * Sending is fire and forget: `report` returns at once, a failed send is one warning line (no
 * secrets), never an exception. Like the reference, with a password the login uses the sender mail
 * as username and requires STARTTLS (SMTPHandler `secure=()`); without one, plain unauthenticated
 * SMTP. With the server set but no sender mail the reference uses a null handler: one warning at
 * start-up and no mails.
 *
 * Flood protection (our definition; the spec only names INTERNAL_MAIL_FLOOD_LEVEL): at most
 * `floodLevel` mails per rolling hour (FLOOD_WINDOW_MS), counted when a send is started. Errors
 * beyond that are counted, and the next mail that goes out says how many were left out. A flood
 * level ≤ 0 sends nothing at all.
 */
import { consola } from "consola";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createTransport } from "nodemailer";
import type { InternalMailConfig } from "../../config.ts";

export const FLOOD_WINDOW_MS = 60 * 60 * 1000;

/** The request as it may appear in a mail: no query string, no headers. */
export interface FailedRequest {
  method: string;
  path: string;
  /** The request's API key candidates (header, query, cookie): replaced by `***` should an error message quote one. */
  secrets: string[];
}

export function failedRequest(c: Context): FailedRequest {
  const secrets = [c.req.header("x-api-key"), ...(c.req.queries("api_key") ?? []), getCookie(c, "api_key")];
  return { method: c.req.method, path: new URL(c.req.url).pathname, secrets: secrets.filter((s): s is string => !!s) };
}

export interface ErrorMailerOptions {
  /** Milliseconds since the epoch; injectable so tests can move past the flood window. */
  now?: () => number;
  /** Values that must never appear in a mail or a log line (besides the mail password). */
  secrets?: (string | undefined)[];
}

/**
 * The mailer of a configuration, or undefined when no mails are to be sent (server unset, no sender
 * mail — warned about here, once, at start-up —, no receiver, or a flood level ≤ 0).
 */
export function createErrorMailer(cfg: InternalMailConfig | undefined, opts: ErrorMailerOptions = {}): ErrorMailer | undefined {
  if (!cfg) return undefined;
  if (!cfg.senderMail) {
    consola.warn("INTERNAL_MAIL_SERVER is set but INTERNAL_MAIL_SENDER_MAIL is not: internal error mails are not sent");
    return undefined;
  }
  if (cfg.receivers.length === 0) {
    consola.warn("INTERNAL_MAIL_RECEIVER_MAILS names no address: internal error mails are not sent");
    return undefined;
  }
  if (cfg.floodLevel <= 0) return undefined;
  return new ErrorMailer({ ...cfg, senderMail: cfg.senderMail }, opts);
}

export class ErrorMailer {
  private readonly transport;
  private readonly now: () => number;
  private readonly secrets: string[];
  /** Start times of the sends within the last FLOOD_WINDOW_MS, oldest first. */
  private readonly sent: number[] = [];
  /** Errors not mailed since the last mail that went out. */
  private leftOut = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly cfg: InternalMailConfig & { senderMail: string },
    opts: ErrorMailerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.secrets = [cfg.password, ...(opts.secrets ?? [])].filter((s): s is string => !!s && s.length >= 4);
    this.transport = createTransport({
      host: cfg.host,
      port: cfg.port,
      secure: false,
      ...(cfg.password ? { auth: { user: cfg.senderMail, pass: cfg.password }, requireTLS: true } : { ignoreTLS: true }),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  /** Mails the error unless the flood limit is reached; never throws, never waits. */
  report(err: unknown, req: FailedRequest): void {
    const now = this.now();
    while (this.sent.length > 0 && this.sent[0]! <= now - FLOOD_WINDOW_MS) this.sent.shift();
    if (this.sent.length >= this.cfg.floodLevel) {
      this.leftOut++;
      return;
    }
    this.sent.push(now);
    const leftOut = this.leftOut;
    this.leftOut = 0;
    const secrets = [...this.secrets, ...req.secrets.filter((s) => s.length >= 4)];
    const text = redact(mailBody(err, req, new Date(now), leftOut, this.cfg.floodLevel), secrets);
    const p = this.transport
      .sendMail({
        from: { name: this.cfg.senderName, address: this.cfg.senderMail },
        to: this.cfg.receivers,
        subject: `${this.cfg.adminServerName} - INTERNAL SERVER ERROR`,
        text,
      })
      .then(
        () => undefined,
        (e: unknown) => {
          const code = (e as { code?: unknown }).code;
          const message = redact(String((e as Error)?.message ?? e).split("\n")[0]!, secrets);
          consola.warn(`internal error mail to ${this.cfg.host}:${this.cfg.port} not sent${code ? ` (${code})` : ""}: ${message}`);
        },
      )
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Resolves when the sends started so far have finished (delivered or warned about). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}

function mailBody(err: unknown, req: FailedRequest, at: Date, leftOut: number, floodLevel: number): string {
  const lines = [`Time (UTC): ${at.toISOString()}`, `Request: ${req.method} ${req.path}`, ""];
  if (leftOut > 0) {
    lines.push(
      `${leftOut} earlier internal error${leftOut === 1 ? " was" : "s were"} not mailed (at most ${floodLevel} mails per hour).`,
      "",
    );
  }
  lines.push(errorText(err));
  return `${lines.join("\n")}\n`;
}

/** The stack (name, message, frames) and those of its causes; never other properties, which may hold query parameters. */
function errorText(err: unknown, depth = 0): string {
  if (!(err instanceof Error)) return String(err);
  const own = err.stack ?? `${err.name}: ${err.message}`;
  return err.cause !== undefined && depth < 5 ? `${own}\nCaused by: ${errorText(err.cause, depth + 1)}` : own;
}

function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) {
    out = out.replaceAll(s, "***").replaceAll(encodeURIComponent(s), "***");
  }
  return out;
}
