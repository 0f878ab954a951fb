/**
 * The Hono application: every route module's definitions are collected in one table, mounted in
 * one place, and documented from the same table (/openapi.json, /docs). Errors are rendered in one
 * place (errors.ts). Routing-level answers (docs/protocol.md §2.5): unknown path → 404, known path with another
 * method → 405 with `Allow`, a path that matches only without its trailing slash → 307;
 * HEAD/OPTIONS are not implemented (405 on known paths).
 */
import { Hono } from "hono";
import type { AppDeps, AppEnv, ServerDeps } from "./context.ts";
import { jsonResponse, renderError } from "./errors.ts";
import { LocalStorage } from "../storage/local.ts";
import { S3Storage } from "../storage/s3.ts";
import { join } from "node:path";
import { QueueSignal } from "./jobs/queue-signal.ts";
import { KeyCache } from "./keys/key-cache.ts";
import { DecodeBudget } from "../media/decode-budget.ts";
import { JobChanges } from "./jobs/job-changes.ts";
import { jobEventRoutes } from "./routes/job-events.ts";
import { createErrorMailer } from "./ops/error-mail.ts";
import { allowedMethods, mountRoutes, type AnyRoute } from "./route.ts";
import { healthRoutes } from "./routes/health.ts";
import { meRoutes } from "./routes/me.ts";
import { docsRoutes } from "./routes/docs.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { uploadRoutes } from "./routes/uploads.ts";
import { workerRoutes } from "./routes/worker.ts";
import { resultRoutes } from "./routes/results.ts";
import { resultPageRoutes } from "./routes/result-pages.ts";
import { adminJobRoutes } from "./routes/admin-jobs.ts";
import { startSweeper, type Sweeper } from "./jobs/sweeper.ts";
import { rootRoutes } from "./routes/root.ts";
import { uiRoutes } from "./routes/ui.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { engineRoutes } from "./routes/engines.ts";
import { adminKeyRoutes } from "./routes/admin-keys.ts";
import { adminEngineRoutes } from "./routes/admin-engines.ts";
import { httpMetrics } from "./middleware/metrics.ts";

export interface AppHandle extends Hono<AppEnv> {
  /** The application's dependencies (storage, queue signal) — for tests and shutdown. */
  deps: AppDeps;
  routeTable: AnyRoute[];
  sweeper: Sweeper;
  /** Stops the background sweep and the LISTEN connection (call before closing the pool). */
  dispose(): Promise<void>;
}

function createAppDeps(deps: ServerDeps): AppDeps {
  const c = deps.config;
  return {
    ...deps,
    storage:
      c.storage.kind === "s3"
        ? new S3Storage({ ...c.storage, stagingDir: join(c.baseDir, "staging") })
        : new LocalStorage({ jobs: c.jobsDir, results: c.resultsDir, artifacts: c.artifactsDir, engines: c.enginesDir }),
    queue: new QueueSignal(deps.sql, !deps.embedded),
    keys: new KeyCache(deps.sql, !deps.embedded, c.keyCacheMs),
    imageChecks: new DecodeBudget(c.imageCheckMemoryBytes),
    jobChanges: new JobChanges(deps.sql),
    errorMail: createErrorMailer(c.internalMail, {
      secrets: [
        c.hmacSecret,
        c.adminKey,
        c.metricsKey,
        c.storage.kind === "s3" ? c.storage.secretAccessKey : undefined,
        ...c.testKeys.map((t) => t.key),
      ],
    }),
  };
}

/** `sweeper: false`: no background sweep timers (a replica: its primary sweeps); `runOnce` still works. */
export function createApp(serverDeps: ServerDeps, opts: { sweeper?: boolean } = {}): AppHandle {
  const deps = createAppDeps(serverDeps);
  const app = new Hono<AppEnv>() as unknown as AppHandle;
  const routes: AnyRoute[] = [];
  // One line per route module:
  routes.push(...meRoutes(deps));
  routes.push(...workerRoutes(deps)); // before jobRoutes: POST /v1/jobs/lease
  routes.push(...jobEventRoutes(deps)); // before jobRoutes: GET /v1/jobs/events
  routes.push(...jobRoutes(deps));
  routes.push(...uploadRoutes(deps));
  routes.push(...resultRoutes(deps));
  routes.push(...resultPageRoutes(deps));
  routes.push(...adminJobRoutes(deps));
  routes.push(...healthRoutes(deps));
  routes.push(...docsRoutes(deps, () => routes));
  routes.push(...rootRoutes(deps));
  routes.push(...uiRoutes(deps));
  routes.push(...metricsRoutes(deps));
  routes.push(...engineRoutes(deps));
  routes.push(...adminKeyRoutes(deps));
  routes.push(...adminEngineRoutes(deps));

  app.onError((err, c) => renderError(err, c, deps));
  app.use("*", httpMetrics(deps)); // counts every answer for GET /metrics (must precede the routes)
  mountRoutes(app, deps, routes);
  app.notFound((c) => {
    const url = new URL(c.req.url);
    const path = safeDecode(url.pathname);
    const allowed = allowedMethods(routes, path);
    if (allowed.length > 0) {
      return jsonResponse({ status: 405, code: "HTTP_ERROR", detail: "Method Not Allowed" }, 405, { allow: allowed.join(", ") });
    }
    if (path.length > 1 && path.endsWith("/") && allowedMethods(routes, path.slice(0, -1)).length > 0) {
      const target = new URL(url);
      target.pathname = url.pathname.slice(0, -1);
      return new Response(null, { status: 307, headers: { location: target.toString() } });
    }
    return jsonResponse({ status: 404, code: "HTTP_ERROR", detail: "Not Found" }, 404);
  });
  app.deps = deps;
  app.routeTable = routes;
  app.sweeper = startSweeper(deps, { background: opts.sweeper !== false });
  app.dispose = async () => {
    app.sweeper.stop();
    deps.jobChanges.stop(); // ends open event streams, so the server can stop
    await deps.queue.stop();
    await deps.keys.stop();
  };

  // Hono answers HEAD with the GET handler; the reference does not implement HEAD (docs/protocol.md §0).
  const honoFetch = app.fetch;
  app.fetch = (req: Request, ...rest: unknown[]) => {
    const absolute = withAbsoluteUrl(req, (rest[0] as { url?: URL } | undefined)?.url?.origin);
    if (!absolute) return jsonResponse({ status: 400, code: "HTTP_ERROR", detail: "Bad Request" }, 400);
    req = absolute;
    if (req.method === "HEAD" || req.method === "OPTIONS") {
      const path = safeDecode(new URL(req.url).pathname);
      const allowed = allowedMethods(routes, path);
      const err =
        allowed.length > 0
          ? jsonResponse({ status: 405, code: "HTTP_ERROR", detail: "Method Not Allowed" }, 405, { allow: allowed.join(", ") })
          : jsonResponse({ status: 404, code: "HTTP_ERROR", detail: "Not Found" }, 404);
      return err;
    }
    return (honoFetch as (r: Request, ...a: unknown[]) => Response | Promise<Response>)(req, ...rest);
  };
  return app;
}

/**
 * The request with a URL that parses. Bun builds `req.url` from the Host header: without one (HTTP/1.0) it is the bare
 * path, and a malformed one (`a b`, `[::1`, a port past 65535) makes an unparsable URL — every `new URL(req.url)` would
 * throw. Such a request is answered like any other, as if addressed to the server's own origin (Starlette does the same
 * with the server address).
 */
function withAbsoluteUrl(req: Request, origin = "http://localhost"): Request | undefined {
  if (URL.canParse(req.url)) return req;
  const scheme = req.url.indexOf("://");
  const start = req.url.startsWith("/") ? 0 : scheme >= 0 ? req.url.indexOf("/", scheme + 3) : -1;
  const url = origin + (start >= 0 ? req.url.slice(start) : "/"); // concatenated: a path `//x` must not become a host
  return URL.canParse(url) ? new Request(url, req) : undefined;
}

/** Percent-decoded path; an encoded `/` becomes a real one, so it can never match a one-segment parameter (docs/protocol.md §0). */
function safeDecode(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}
