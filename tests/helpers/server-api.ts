/**
 * Small HTTP helpers for the server tests (B1): real fetch against the test server, keys of every
 * role inserted straight into its database, tiny real images and ZIPs.
 */
import { createCanvas } from "@napi-rs/canvas";
import { zipSync } from "fflate";
import { insertKey } from "../../src/db/keys.ts";
import { formatApiKey, generateKeyParts, hashSecret, newSalt } from "../../src/shared/api-key.ts";
import type { Role } from "../../src/shared/roles.ts";
import type { TestServer } from "./server.ts";

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface RequestOpts {
  json?: unknown;
  raw?: BodyInit;
  file?: Uint8Array | string;
  fileName?: string;
  headers?: Record<string, string>;
  key?: string | null;
}

export function client(s: { url: string }, defaultKey: string) {
  return async function req(method: string, path: string, o: RequestOpts = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...o.headers };
    const key = o.key === undefined ? defaultKey : o.key;
    if (key) headers["x-api-key"] = key;
    let body: BodyInit | undefined = o.raw;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers["content-type"] ??= "application/json";
    }
    if (o.file !== undefined) {
      const fd = new FormData();
      fd.append("file", new Blob([o.file as BlobPart]), o.fileName ?? "file");
      body = fd;
    }
    const r = await fetch(`${s.url}${path}`, { method, headers, body, redirect: "manual" });
    const text = await r.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: r.status, headers: r.headers, text, body: parsed };
  };
}

/** Inserts an active key with the given role straight into the server's database. */
export async function makeKey(s: TestServer, role: Role, label = `${role}-${Math.random().toString(36).slice(2, 10)}`) {
  const { kid, secret } = generateKeyParts();
  const salt = newSalt();
  const row = await insertKey(s.deps.sql, { kid, salt, keyHash: hashSecret(secret, salt, s.config.hmacSecret), label, role });
  return { key: formatApiKey("doc-api", kid, secret), id: row.id, label };
}

/** The small test page: white with a dark square near the top left corner. */
function testPicture(w: number, h: number) {
  const c = createCanvas(w, h);
  const ctx = c.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = "#123456";
  ctx.fillRect(2, 2, 5, 5);
  return c;
}

export function pngBytes(w = 16, h = 12): Uint8Array {
  return new Uint8Array(testPicture(w, h).toBuffer("image/png"));
}

export function jpegBytes(w = 16, h = 12): Uint8Array {
  const c = createCanvas(w, h);
  c.getContext("2d").fillRect(0, 0, 4, 4);
  return new Uint8Array(c.toBuffer("image/jpeg"));
}

/** A GIF of the same picture as pngBytes, from the canvas's (skia's) GIF encoder. */
export function gifBytes(w = 16, h = 12): Uint8Array {
  return new Uint8Array(testPicture(w, h).encodeSync("gif"));
}

/**
 * An uncompressed 24-bit BMP (BITMAPINFOHEADER, bottom-up rows padded to 4 bytes) whose pixel (x, y) is
 * `rgb(x, y)`; written by hand, as no library here encodes BMP — the decoders that read it are independent of it.
 */
export function bmpBytes(
  w = 5,
  h = 3,
  rgb: (x: number, y: number) => [number, number, number] = (x, y) => [x * 40, y * 80, 200],
): Uint8Array {
  const stride = Math.ceil((w * 3) / 4) * 4;
  const b = new Uint8Array(54 + stride * h);
  const v = new DataView(b.buffer);
  b.set([0x42, 0x4d]);
  v.setUint32(2, b.length, true);
  v.setUint32(10, 54, true);
  v.setUint32(14, 40, true);
  v.setInt32(18, w, true);
  v.setInt32(22, h, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, 24, true);
  v.setUint32(34, stride * h, true);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, bl] = rgb(x, y);
      b.set([bl, g, r], 54 + (h - 1 - y) * stride + x * 3);
    }
  }
  return b;
}

export function zipBytes(files: Record<string, string> = { "a.txt": "hello" }): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, new TextEncoder().encode(v)])));
}

/** The DocAPI suite's VALID_ZIP: local header + dangling central header + EOCD declaring 0 entries. */
export const SUITE_VALID_ZIP = new Uint8Array([
  ...[0x50, 0x4b, 0x03, 0x04, ...new Array(26).fill(0)],
  ...[0x50, 0x4b, 0x01, 0x02, ...new Array(42).fill(0)],
  ...[0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)],
]);

export const ALTO = `<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page ID="p1"><PrintSpace><TextBlock ID="b1"><TextLine ID="l1"><String CONTENT="x"/></TextLine></TextBlock></PrintSpace></Page></Layout></alto>`;
export const PAGE = `<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"><Page imageFilename="a.png" imageWidth="16" imageHeight="12"><TextRegion id="r1"/></Page></PcGts>`;
