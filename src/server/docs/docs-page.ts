/**
 * The HTML of /docs and /redoc. Both list every documented operation server-side (from the same
 * OpenAPI document as /openapi.json), so the endpoints show at once without any script. /docs then
 * starts Swagger UI over that list — "Try it out" with an API key under "Authorize" — from the
 * swagger-ui-dist package, served by this server (embedded in the compiled executable; no CDN).
 */
import swaggerCssPath from "../../../node_modules/swagger-ui-dist/swagger-ui.css" with { type: "file" };
import swaggerJsPath from "../../../node_modules/swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const escapeHtml = (s: unknown) => String(s ?? "").replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Swagger UI's files, by the name they are served under (below /docs/). */
export const DOCS_ASSETS = {
  "swagger-ui.css": { path: swaggerCssPath, type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": { path: swaggerJsPath, type: "text/javascript; charset=utf-8" },
} as const;

const STYLE = `body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 2rem;color:#222}
.ops h2{margin-top:1.5rem;border-bottom:1px solid #ccc} .ops li{font-family:ui-monospace,monospace;margin:.2rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:bold}
.GET{color:#1565c0}.POST{color:#2e7d32}.PUT{color:#ef6c00}.PATCH{color:#6a1b9a}.DELETE{color:#c62828}`;

/** The operations of `spec`, grouped by tag, as plain HTML. */
function operationsHtml(spec: Json): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(spec.paths as Json)) {
    for (const [method, op] of Object.entries(ops as Json)) {
      const m = method.toUpperCase();
      const roles = op["x-roles"] ? ` <small>(${escapeHtml(op["x-roles"].join(", "))})</small>` : "";
      const item = `<li><span class="m ${m}">${m}</span>${escapeHtml(path)} — ${escapeHtml(op.summary)}${roles}</li>`;
      const tag = op.tags?.[0] ?? "Other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), item]);
    }
  }
  return [...byTag].map(([tag, items]) => `<h2>${escapeHtml(tag)}</h2><ul>${items.join("")}</ul>`).join("");
}

function page(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style>${head}</head>
<body>${body}</body></html>`;
}

function intro(specUrl: string): string {
  return `<p>Machine-readable description: <a href="${escapeHtml(specUrl)}">${escapeHtml(specUrl)}</a>.
Authenticate with the <code>X-API-Key</code> header (or <code>api_key</code> query parameter or cookie).</p>`;
}

/** /docs: the operation list, replaced by Swagger UI once its script has loaded. */
export function swaggerPage(title: string, root: string, spec: Json): string {
  const specUrl = `${root}/openapi.json`;
  return page(
    title,
    `<link rel="stylesheet" href="${escapeHtml(`${root}/docs/swagger-ui.css`)}">`,
    `<div id="swagger-ui"><div class="ops"><h1>${escapeHtml(title)}</h1>${intro(specUrl)}${operationsHtml(spec)}</div></div>
<script src="${escapeHtml(`${root}/docs/swagger-ui-bundle.js`)}"></script>
<script>
window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: "#swagger-ui", deepLinking: true,
  persistAuthorization: true, tryItOutEnabled: false, presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout" });
</script>`,
  );
}

/** /redoc: the operation list only (no script). */
export function listPage(title: string, root: string, spec: Json): string {
  return page(title, "", `<div class="ops"><h1>${escapeHtml(title)}</h1>${intro(`${root}/openapi.json`)}${operationsHtml(spec)}</div>`);
}
