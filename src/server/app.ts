/**
 * The Hono application: route modules mounted in one place, errors rendered in one place.
 */
import { Hono } from "hono";
import type { AppEnv, ServerDeps } from "./context.ts";
import { jsonResponse, renderError } from "./errors.ts";
import { healthRoutes } from "./routes/health.ts";
import { meRoutes } from "./routes/me.ts";

export function createApp(deps: ServerDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(renderError);
  app.notFound(() => jsonResponse({ status: 404, code: "HTTP_ERROR", detail: "Not Found" }, 404));
  app.route("/", healthRoutes(deps));
  app.route("/", meRoutes(deps));
  return app;
}
