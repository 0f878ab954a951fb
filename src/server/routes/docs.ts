/**
 * Documentation routes (§4.1): /openapi.json generated from the route table, and /docs, /redoc,
 * /docs/oauth2-redirect as self-contained HTML pages (no CDN: the page renders the OpenAPI
 * document itself with a few lines of script).
 */
import type { AppDeps } from "../context.ts";
import { jsonResponse } from "../errors.ts";
import { buildOpenApi } from "../openapi.ts";
import { defineRoute, type AnyRoute } from "../route.ts";

const html = (body: string) => new Response(body, { status: 200, headers: { "content-type": "text/html; charset=utf-8" } });

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function docsPage(title: string, specUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 2rem;color:#222}
h1{font-size:1.6rem} h2{margin-top:2rem;border-bottom:1px solid #ccc}
details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer;font-family:ui-monospace,monospace}
.m{display:inline-block;min-width:4.5rem;font-weight:bold}
.GET{color:#1565c0}.POST{color:#2e7d32}.PUT{color:#ef6c00}.PATCH{color:#6a1b9a}.DELETE{color:#c62828}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:.8rem}
table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
</style></head>
<body><h1>${escapeHtml(title)}</h1>
<p>Machine-readable description: <a href="${specUrl}">${specUrl}</a>. Authenticate with the <code>X-API-Key</code> header.</p>
<div id="ops">Loading…</div>
<script>
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
fetch(${JSON.stringify(specUrl)}).then((r) => r.json()).then((spec) => {
  const byTag = {};
  for (const [path, ops] of Object.entries(spec.paths)) for (const [method, op] of Object.entries(ops)) {
    (byTag[op.tags?.[0] ?? "Other"] ??= []).push({ path, method: method.toUpperCase(), op });
  }
  let out = "";
  for (const [tag, ops] of Object.entries(byTag)) {
    out += "<h2>" + esc(tag) + "</h2>";
    for (const { path, method, op } of ops) {
      out += '<details><summary><span class="m ' + method + '">' + method + "</span>" + esc(path) + " — " + esc(op.summary) + "</summary>";
      if (op.description) out += "<p>" + esc(op.description) + "</p>";
      if (op["x-roles"]) out += "<p>Roles: " + esc(op["x-roles"].join(", ")) + "</p>";
      if (op.parameters?.length) {
        out += "<table><tr><th>parameter</th><th>in</th><th>schema</th></tr>";
        for (const p of op.parameters) out += "<tr><td>" + esc(p.name) + (p.required ? " *" : "") + "</td><td>" + esc(p.in) + "</td><td><code>" + esc(JSON.stringify(p.schema)) + "</code></td></tr>";
        out += "</table>";
      }
      if (op.requestBody) out += "<p>Request body:</p><pre>" + esc(JSON.stringify(op.requestBody.content, null, 2)) + "</pre>";
      out += "<p>Responses:</p><table>";
      for (const [status, r] of Object.entries(op.responses)) out += "<tr><td>" + esc(status) + "</td><td>" + esc(r.description) + "</td></tr>";
      out += "</table></details>";
    }
  }
  document.getElementById("ops").innerHTML = out;
}).catch((e) => { document.getElementById("ops").textContent = "Could not load the API description: " + e; });
</script></body></html>`;
}

export const docsRoutes = (deps: AppDeps, allRoutes: () => AnyRoute[]) => {
  const root = deps.config.urlRoot;
  let cached: string | undefined;
  const spec = () => (cached ??= JSON.stringify(buildOpenApi(deps.config, allRoutes())));
  const doc = { tag: "Docs" as const, summary: "API documentation", hidden: true, responses: { 200: { description: "HTML" } } };
  return [
    defineRoute({
      method: "GET",
      path: "/openapi.json",
      roles: "public",
      doc: { ...doc, summary: "OpenAPI 3.1 document" },
      handler: () => new Response(spec(), { headers: { "content-type": "application/json" } }),
    }),
    defineRoute({
      method: "GET",
      path: "/docs",
      roles: "public",
      doc,
      handler: () => html(docsPage(`${deps.config.serverName} - Swagger UI`, `${root}/openapi.json`)),
    }),
    defineRoute({
      method: "GET",
      path: "/redoc",
      roles: "public",
      doc,
      handler: () => html(docsPage(`${deps.config.serverName} - ReDoc`, `${root}/openapi.json`)),
    }),
    defineRoute({
      method: "GET",
      path: "/docs/oauth2-redirect",
      roles: "public",
      doc,
      handler: () => html(`<!doctype html><html><head><title>OAuth2 redirect</title></head><body>Not used: ${escapeHtml(deps.config.serverName)} authenticates with API keys.</body></html>`),
    }),
  ];
};

export { jsonResponse };
