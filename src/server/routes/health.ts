/** `GET /healthz` (docs/decisions.md §5): 200 with the database status, 503 when the database does not answer. */
import { z } from "zod";
import { ping } from "../../db/client.ts";
import type { AppDeps } from "../context.ts";
import { jsonResponse } from "../errors.ts";
import { defineRoute } from "../route.ts";

export const healthRoutes = (deps: AppDeps) => [
  defineRoute({
    method: "GET",
    path: "/healthz",
    roles: "public",
    doc: {
      tag: "Health",
      summary: "Liveness and database health (no authentication)",
      responses: {
        200: { description: "Healthy", data: z.object({ status: z.literal("ok"), database: z.literal("ok") }) },
        503: { description: "The database does not answer" },
      },
    },
    handler: async () => {
      const ok = await Promise.race([
        ping(deps.sql).then(
          () => true,
          () => false,
        ),
        Bun.sleep(3000).then(() => false),
      ]);
      return jsonResponse({ status: ok ? "ok" : "error", database: ok ? "ok" : "error" }, ok ? 200 : 503);
    },
  }),
];
