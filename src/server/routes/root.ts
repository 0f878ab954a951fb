/** `GET /` (§4.1, §2.5): 307 to `/docs` (relative, not prefixed with APP_URL_ROOT, as the reference), empty body. */
import type { AppDeps } from "../context.ts";
import { defineRoute } from "../route.ts";

export const rootRoutes = (_deps: AppDeps) => [
  defineRoute({
    method: "GET",
    path: "/",
    roles: "public",
    doc: { tag: "Docs", summary: "Redirect to the documentation", hidden: true, responses: { 307: { description: "Location: /docs" } } },
    handler: () => new Response(null, { status: 307, headers: { location: "/docs" } }),
  }),
];
