/** `GET /v1/me` (§4.2): the caller's key. */
import { Hono } from "hono";
import type { AppEnv, ServerDeps } from "../context.ts";
import { envelopeOk } from "../errors.ts";
import { requireRole } from "../middleware/auth.ts";
import { keyView } from "../views.ts";

export function meRoutes(deps: ServerDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/v1/me", requireRole(deps, "readonly", "user", "worker"), (c) => envelopeOk("API_KEY_VALID", keyView(c.get("key"))));
  return app;
}
