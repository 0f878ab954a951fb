/**
 * HTTP request counter for `GET /metrics` (docs/decisions.md §5): one counter per (method, route pattern,
 * status), and the time spent answering per (method, route pattern) — from the request's arrival in
 * the app until its handler returned the response (a streamed body's transfer is not included). The
 * route is the pattern that answered (`/v1/jobs/:job_id`), never the raw path, so the number of
 * series stays bounded; requests no route matched count as route `unmatched`.
 * The registry belongs to one app (keyed by its ServerDeps), so servers in one process stay apart.
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv, ServerDeps } from "../context.ts";

export class HttpRequestCounter {
  private readonly counts = new Map<string, { method: string; route: string; status: number; n: number }>();
  private readonly durations = new Map<string, { method: string; route: string; seconds: number; n: number }>();

  add(method: string, route: string, status: number, seconds = 0): void {
    const k = `${method} ${status} ${route}`;
    const e = this.counts.get(k);
    if (e) e.n++;
    else this.counts.set(k, { method, route, status, n: 1 });
    const dk = `${method} ${route}`;
    const d = this.durations.get(dk);
    if (d) {
      d.seconds += seconds;
      d.n++;
    } else this.durations.set(dk, { method, route, seconds, n: 1 });
  }

  /** Forget every count (after the server's self warm-up, server/ops/warm-up.ts). */
  reset(): void {
    this.counts.clear();
    this.durations.clear();
  }

  entries(): { method: string; route: string; status: number; n: number }[] {
    return [...this.counts.values()];
  }

  /** Total answering time and request count per (method, route). */
  durationEntries(): { method: string; route: string; seconds: number; n: number }[] {
    return [...this.durations.values()];
  }
}

const registries = new WeakMap<ServerDeps, HttpRequestCounter>();

export function httpRequestCounter(deps: ServerDeps): HttpRequestCounter {
  let r = registries.get(deps);
  if (!r) registries.set(deps, (r = new HttpRequestCounter()));
  return r;
}

const OWN_PATTERN = "/*";

/** Mount first (`app.use("*", httpMetrics(deps))`) so that every answer, errors included, is counted. */
export function httpMetrics(deps: ServerDeps): MiddlewareHandler<AppEnv> {
  const counter = httpRequestCounter(deps);
  return async (c, next) => {
    const t0 = performance.now();
    await next();
    let route = routePath(c);
    if (!route || route === OWN_PATTERN || route === "*") route = "unmatched";
    counter.add(c.req.method, route, c.res.status, (performance.now() - t0) / 1000);
  };
}
