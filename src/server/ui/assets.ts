/** The dashboard's script and style sheet, bundled when the server is built (bundle.ts) and served from memory. */
import { createHash } from "node:crypto";
import { clientScript, clientStyle } from "./bundle.ts" with { type: "macro" };

export interface Asset {
  body: string;
  type: string;
  /** Short content hash: the asset's URL carries it, so it can be cached for good. */
  hash: string;
}

const asset = (body: string, type: string): Asset => ({ body, type, hash: createHash("sha256").update(body).digest("hex").slice(0, 12) });

export const UI_ASSETS = {
  "app.js": asset(clientScript(), "text/javascript; charset=utf-8"),
  "app.css": asset(clientStyle(), "text/css; charset=utf-8"),
} as const;
