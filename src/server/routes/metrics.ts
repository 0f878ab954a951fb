/**
 * `GET /metrics` (docs/decisions.md §5): Prometheus text exposition. `annopage_jobs{state}` is a gauge with
 * one series per job state (zeros included), read from the database at scrape time;
 * `annopage_http_requests_total{method,route,status}` counts answered requests since start;
 * `annopage_http_request_duration_seconds{method,route}` (a summary: `_sum` and `_count`) is the time
 * spent answering them until the handler returned its response.
 * No authentication unless METRICS_KEY is set; then the scraper sends it as
 * `Authorization: Bearer <key>` or `X-API-Key: <key>` (compared in constant time).
 */
import { timingSafeEqual } from "node:crypto";
import type { AppDeps, ServerDeps } from "../context.ts";
import { AppError } from "../errors.ts";
import { defineRoute } from "../route.ts";
import { httpRequestCounter } from "../middleware/metrics.ts";
import { countJobsByState } from "../../db/job-stats.ts";
import { JOB_STATES } from "../../shared/roles.ts";

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

function checkMetricsKey(deps: ServerDeps, authorization: string | undefined, apiKey: string | undefined): void {
  const expected = deps.config.metricsKey;
  if (!expected) return;
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  const given = bearer || apiKey;
  const realm = { "www-authenticate": `Bearer realm="${deps.config.serverName} metrics"` };
  if (!given) throw new AppError("API_KEY_MISSING", { detail: "Authentication failed: no metrics key was provided.", headers: realm });
  if (!sameSecret(given, expected)) {
    throw new AppError("API_KEY_INVALID", { detail: "Authentication failed: the metrics key is invalid.", headers: realm });
  }
}

async function renderMetrics(deps: ServerDeps): Promise<string> {
  const byState = await countJobsByState(deps.sql);
  const lines = [
    "# HELP annopage_jobs Jobs by state.",
    "# TYPE annopage_jobs gauge",
    ...JOB_STATES.map((s) => `annopage_jobs{state="${s}"} ${byState.get(s) ?? 0}`),
    "# HELP annopage_http_requests_total HTTP requests answered, by method, route pattern and status.",
    "# TYPE annopage_http_requests_total counter",
    ...httpRequestCounter(deps)
      .entries()
      .sort((a, b) => a.route.localeCompare(b.route) || a.method.localeCompare(b.method) || a.status - b.status)
      .map((e) => `annopage_http_requests_total{method="${e.method}",route="${escapeLabel(e.route)}",status="${e.status}"} ${e.n}`),
    "# HELP annopage_http_request_duration_seconds Time spent answering HTTP requests (until the handler returned the response), by method and route pattern.",
    "# TYPE annopage_http_request_duration_seconds summary",
    ...httpRequestCounter(deps)
      .durationEntries()
      .sort((a, b) => a.route.localeCompare(b.route) || a.method.localeCompare(b.method))
      .flatMap((e) => {
        const labels = `method="${e.method}",route="${escapeLabel(e.route)}"`;
        return [
          `annopage_http_request_duration_seconds_sum{${labels}} ${e.seconds.toFixed(6)}`,
          `annopage_http_request_duration_seconds_count{${labels}} ${e.n}`,
        ];
      }),
  ];
  return `${lines.join("\n")}\n`;
}

export const metricsRoutes = (deps: AppDeps) => [
  defineRoute({
    method: "GET",
    path: "/metrics",
    roles: "public",
    doc: {
      tag: "Health",
      summary: "Prometheus metrics (no authentication unless METRICS_KEY is set)",
      responses: {
        200: { content: "text/plain; version=0.0.4", description: "Prometheus text exposition" },
        401: { code: ["API_KEY_MISSING", "API_KEY_INVALID"] },
      },
    },
    handler: async ({ c }) => {
      checkMetricsKey(deps, c.req.header("authorization"), c.req.header("x-api-key"));
      return new Response(await renderMetrics(deps), {
        status: 200,
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    },
  }),
];
