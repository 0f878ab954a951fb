/**
 * A TCP port on 127.0.0.1 that was free a moment ago (for child processes that must be told their port).
 *
 * It is taken from below the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, 32768–60999 by
 * default), at random: a port the kernel hands out for `listen(0)` or an outgoing connection could go to another
 * test file running in parallel between this check and the child's bind (or its restart on the same port).
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

function ephemeralStart(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

const LOW = 20_000;
const HIGH = Math.max(LOW + 1000, ephemeralStart());

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen({ port, host: "127.0.0.1", exclusive: true }, () => s.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH}`);
}
