/** `GET /healthz` (decision 5): 200 with the database status, 503 when the database does not answer. */
import { Hono } from "hono";
import type { AppEnv, ServerDeps } from "../context.ts";
import { jsonResponse } from "../errors.ts";

export function healthRoutes(deps: ServerDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", async () => {
    const ok = await Promise.race([
      deps.sql`SELECT 1`.then(() => true, () => false),
      Bun.sleep(3000).then(() => false),
    ]);
    return jsonResponse({ status: ok ? "ok" : "error", database: ok ? "ok" : "error" }, ok ? 200 : 503);
  });
  return app;
}
