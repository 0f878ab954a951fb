/** The HTML page of /ui: a server-rendered shell that loads the dashboard's script (no CDN, nothing external). */
import { escapeHtml } from "../docs/docs-page.ts";
import { UI_ASSETS } from "./assets.ts";

export function uiShell(title: string, root: string): string {
  const js = `${root}/ui/app.js?v=${UI_ASSETS["app.js"].hash}`;
  const css = `${root}/ui/app.css?v=${UI_ASSETS["app.css"].hash}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(css)}">
<script type="module" src="${escapeHtml(js)}"></script></head>
<body data-root="${escapeHtml(root)}"><div id="app"><main><h1>${escapeHtml(title)}</h1>
<noscript><p>The dashboard needs JavaScript. The API itself is described at <a href="${escapeHtml(root)}/docs">${escapeHtml(root)}/docs</a>.</p></noscript>
</main></div></body></html>`;
}
