/**
 * Documentation routes (docs/protocol.md §4.1): /openapi.json generated from the route table; /docs (Swagger UI,
 * served from this server: server/docs/docs-page.ts), /redoc (the operation list) and /docs/oauth2-redirect.
 */
import type { AppDeps } from "../context.ts";
import { DOCS_ASSETS, escapeHtml, listPage, swaggerPage } from "../docs/docs-page.ts";
import { buildOpenApi } from "../docs/openapi.ts";
import { defineRoute, type AnyRoute } from "../route.ts";

const html = (body: string) => new Response(body, { status: 200, headers: { "content-type": "text/html; charset=utf-8" } });

export const docsRoutes = (deps: AppDeps, allRoutes: () => AnyRoute[]) => {
  const root = deps.config.urlRoot;
  let cached: { doc: Record<string, unknown>; text: string } | undefined;
  const spec = () => {
    if (!cached) {
      const doc = buildOpenApi(deps.config, allRoutes());
      cached = { doc, text: JSON.stringify(doc) };
    }
    return cached;
  };
  const doc = { tag: "Docs" as const, summary: "API documentation", hidden: true, responses: { 200: { description: "HTML" } } };
  const assets = Object.entries(DOCS_ASSETS).map(([name, asset]) =>
    defineRoute({
      method: "GET",
      path: `/docs/${name}`,
      roles: "public",
      doc: { ...doc, summary: `Swagger UI: ${name}` },
      handler: () =>
        new Response(Bun.file(asset.path), { headers: { "content-type": asset.type, "cache-control": "public, max-age=86400" } }),
    }),
  );
  return [
    defineRoute({
      method: "GET",
      path: "/openapi.json",
      roles: "public",
      doc: { ...doc, summary: "OpenAPI 3.1 document" },
      handler: () => new Response(spec().text, { headers: { "content-type": "application/json" } }),
    }),
    defineRoute({
      method: "GET",
      path: "/docs",
      roles: "public",
      doc,
      handler: () => html(swaggerPage(`${deps.config.serverName} - Swagger UI`, root, spec().doc)),
    }),
    ...assets,
    defineRoute({
      method: "GET",
      path: "/redoc",
      roles: "public",
      doc,
      handler: () => html(listPage(`${deps.config.serverName} - ReDoc`, root, spec().doc)),
    }),
    defineRoute({
      method: "GET",
      path: "/docs/oauth2-redirect",
      roles: "public",
      doc,
      handler: () =>
        html(
          `<!doctype html><html><head><title>OAuth2 redirect</title></head><body>Not used: ${escapeHtml(deps.config.serverName)} authenticates with API keys.</body></html>`,
        ),
    }),
  ];
};
