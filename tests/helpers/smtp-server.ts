/**
 * A small real SMTP server for the tests (RFC 5321 over node:net on 127.0.0.1): greeting, EHLO/HELO, MAIL FROM,
 * RCPT TO, DATA (dot-unstuffed), RSET, NOOP, QUIT. It offers no STARTTLS and no AUTH, like a plain relay, and keeps
 * every message it accepts with its envelope.
 */
import { createServer, type Socket } from "node:net";

export interface ReceivedMail {
  /** The envelope: MAIL FROM and the RCPT TO addresses. */
  from: string;
  to: string[];
  /** The message as it came over the wire (headers and encoded body, CRLF line ends), dot-unstuffed. */
  data: string;
}

export interface SmtpServer {
  port: number;
  /** Every message accepted so far, in order. */
  received: ReceivedMail[];
  /** Every command line received so far (for failure messages). */
  transcript: string[];
  close(): Promise<void>;
}

const address = (arg: string) => /<([^>]*)>/.exec(arg)?.[1] ?? arg.trim();

export async function startSmtpServer(): Promise<SmtpServer> {
  const received: ReceivedMail[] = [];
  const transcript: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => {});
    sock.setEncoding("utf8");
    const reply = (line: string) => void sock.write(`${line}\r\n`);
    let from: string | undefined;
    let to: string[] = [];
    let data: string[] | undefined;
    let buffered = "";

    const command = (line: string) => {
      transcript.push(line);
      const space = line.indexOf(" ");
      const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
      const arg = space < 0 ? "" : line.slice(space + 1);
      switch (verb) {
        case "EHLO":
          from = undefined;
          to = [];
          return reply("250-127.0.0.1 greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760");
        case "HELO":
          return reply("250 127.0.0.1");
        case "MAIL":
          if (!/^FROM:/i.test(arg)) return reply("501 5.5.4 Syntax: MAIL FROM:<address>");
          from = address(arg.slice(5));
          to = [];
          return reply("250 2.1.0 OK");
        case "RCPT":
          if (from === undefined) return reply("503 5.5.1 Error: need MAIL command");
          if (!/^TO:/i.test(arg)) return reply("501 5.5.4 Syntax: RCPT TO:<address>");
          to.push(address(arg.slice(3)));
          return reply("250 2.1.5 OK");
        case "DATA":
          if (to.length === 0) return reply("503 5.5.1 Error: need RCPT command");
          data = [];
          return reply("354 End data with <CR><LF>.<CR><LF>");
        case "RSET":
          from = undefined;
          to = [];
          return reply("250 2.0.0 OK");
        case "NOOP":
          return reply("250 2.0.0 OK");
        case "QUIT":
          reply("221 2.0.0 Bye");
          return void sock.end();
        default:
          return reply("502 5.5.2 Error: command not recognized");
      }
    };

    const line = (l: string) => {
      if (!data) return command(l);
      if (l !== ".") return void data.push(l.startsWith(".") ? l.slice(1) : l);
      received.push({ from: from!, to, data: data.join("\r\n") });
      data = undefined;
      from = undefined;
      to = [];
      reply("250 2.0.0 OK: queued");
    };

    sock.on("data", (chunk: string) => {
      buffered += chunk;
      for (let i = buffered.indexOf("\r\n"); i >= 0; i = buffered.indexOf("\r\n")) {
        const l = buffered.slice(0, i);
        buffered = buffered.slice(i + 2);
        line(l);
      }
    });
    reply("220 127.0.0.1 ESMTP test server");
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(0, "127.0.0.1", res);
  });
  return {
    port: (server.address() as { port: number }).port,
    received,
    transcript,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}
