/**
 * HTTP request counter for `GET /metrics` (decision 5): one counter per (method, route pattern,
 * status). The route is the pattern that answered (`/v1/jobs/:job_id`), never the raw path, so the
 * number of series stays bounded; requests no route matched count as route `unmatched`.
 * The registry belongs to one app (keyed by its ServerDeps), so servers in one process stay apart.
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv, ServerDeps } from "../context.ts";

export class HttpRequestCounter {
  private readonly counts = new Map<string, { method: string; route: string; status: number; n: number }>();

  add(method: string, route: string, status: number): void {
    const k = `${method} ${status} ${route}`;
    const e = this.counts.get(k);
    if (e) e.n++;
    else this.counts.set(k, { method, route, status, n: 1 });
  }

  entries(): { method: string; route: string; status: number; n: number }[] {
    return [...this.counts.values()];
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
    await next();
    let route = routePath(c);
    if (!route || route === OWN_PATTERN || route === "*") route = "unmatched";
    counter.add(c.req.method, route, c.res.status);
  };
}
