/**
 * The web dashboard (docs/decisions.md §11): `GET /ui` (the page; sign-in, jobs, submit, viewer, admin all live in it, routed by
 * the URL's #fragment) and its two assets, embedded in the executable (ui/assets.ts). Public: the page holds no data;
 * everything it shows comes from the API with the user's key.
 */
import type { AppDeps } from "../context.ts";
import { defineRoute } from "../route.ts";
import { UI_ASSETS } from "../ui/assets.ts";
import { uiShell } from "../ui/shell.ts";

const SECURITY = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

export const uiRoutes = (deps: AppDeps) => {
  const doc = { tag: "Docs" as const, summary: "Web dashboard", hidden: true, responses: { 200: { description: "HTML" } } };
  const page = uiShell(`${deps.config.serverName} — dashboard`, deps.config.urlRoot);
  return [
    defineRoute({
      method: "GET",
      path: "/ui",
      roles: "public",
      doc,
      handler: () =>
        new Response(page, {
          headers: {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "no-cache",
            "content-security-policy":
              "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
            ...SECURITY,
          },
        }),
    }),
    ...Object.entries(UI_ASSETS).map(([name, asset]) =>
      defineRoute({
        method: "GET",
        path: `/ui/${name}`,
        roles: "public",
        doc: { ...doc, summary: `Web dashboard: ${name}` },
        handler: () =>
          new Response(asset.body, {
            headers: {
              "content-type": asset.type,
              "cache-control": "public, max-age=31536000, immutable",
              etag: `"${asset.hash}"`,
              ...SECURITY,
            },
          }),
      }),
    ),
  ];
};
