/** `GET /` (§4.1, §2.5): 307 to `/docs` (relative, not prefixed with APP_URL_ROOT, as the reference), empty body. */
import { Hono } from "hono";
import type { AppEnv } from "../context.ts";

export function rootRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", () => new Response(null, { status: 307, headers: { location: "/docs" } }));
  return app;
}
