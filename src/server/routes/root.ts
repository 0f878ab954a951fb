/**
 * `GET /` (docs/protocol.md §4.1, §2.5): 307 to `/docs` (relative, not prefixed with APP_URL_ROOT, as the reference), empty body.
 * A browser asking for a page (`Accept` naming text/html) goes to the web dashboard (`/ui`) instead (docs/decisions.md §11);
 * API clients keep the reference's answer.
 */
import type { AppDeps } from "../context.ts";
import { defineRoute } from "../route.ts";

const wantsHtml = (accept: string | undefined) => /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept ?? "");

export const rootRoutes = (deps: AppDeps) => [
  defineRoute({
    method: "GET",
    path: "/",
    roles: "public",
    doc: {
      tag: "Docs",
      summary: "Redirect to the documentation",
      hidden: true,
      responses: { 307: { description: "Location: /docs (/ui for browsers)" } },
    },
    handler: ({ c }) =>
      new Response(null, {
        status: 307,
        headers: { location: wantsHtml(c.req.header("accept")) ? `${deps.config.urlRoot}/ui` : "/docs", vary: "Accept" },
      }),
  }),
];
