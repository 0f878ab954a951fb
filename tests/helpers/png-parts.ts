/**
 * PNGs assembled chunk by chunk (real CRCs, real zlib), for the bounded image checks: pixel bombs (a 14000×14000 grey
 * PNG of ~190 KB), Adam7-interlaced images, and files that are damaged in one precise way.
 */
import { crc32, deflateSync } from "node:zlib";

export type PngChunk = [type: string, data: Uint8Array];

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The PNG of these chunks, in this order, each with its correct CRC. */
export function pngFromChunks(chunks: PngChunk[]): Uint8Array {
  const size = 8 + chunks.reduce((n, [, d]) => n + 12 + d.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(SIGNATURE);
  let at = 8;
  for (const [type, data] of chunks) {
    dv.setUint32(at, data.length);
    out.set(new TextEncoder().encode(type), at + 4);
    out.set(data, at + 8);
    dv.setUint32(at + 8 + data.length, crc32(out.subarray(at + 4, at + 8 + data.length)));
    at += 12 + data.length;
  }
  return out;
}

export function ihdr(width: number, height: number, colour = 0, depth = 8, interlace = 0): PngChunk {
  const d = new Uint8Array(13);
  const dv = new DataView(d.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  d.set([depth, colour, 0, 0, interlace], 8);
  return ["IHDR", d];
}

/** Bytes of filtered image data (filter byte + packed samples per row, every Adam7 pass when interlaced). */
export function filteredSize(width: number, height: number, bitsPerPixel: number, interlace = 0): number {
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bitsPerPixel) / 8)) : 0);
  if (!interlace) return rows(width, height);
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  return passes.reduce((n, [x0, y0, dx, dy]) => n + rows(Math.ceil((width - x0!) / dx!), Math.ceil((height - y0!) / dy!)), 0);
}

/**
 * A whole 8-bit grey PNG whose filtered data is `raw` (default: all zero — black, filter 0 — which deflates about
 * 1000:1: 14000×14000 makes ~190 KB that decode to 196 Mpx).
 */
export function greyPng(width: number, height: number, o: { interlace?: number; raw?: Uint8Array; level?: number } = {}): Uint8Array {
  const raw = o.raw ?? new Uint8Array(filteredSize(width, height, 8, o.interlace));
  return pngFromChunks([
    ihdr(width, height, 0, 8, o.interlace ?? 0),
    ["IDAT", new Uint8Array(deflateSync(raw, { level: o.level ?? 9 }))],
    ["IEND", new Uint8Array(0)],
  ]);
}
