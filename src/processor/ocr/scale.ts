/**
 * OCR reads a large page shrunk so that its longer side is at most OCR_MAX_SIDE pixels, and its regions, lines and words
 * come back in page pixels. Tesseract's binarisation, connected components and layout analysis work on pixels, while its
 * LSTM scales every line to the network's height anyway: the dev pages at 1600×2300 (bun bench/engine.ts, whole pipeline)
 * take about 8 % less CPU read at 1113×1600 (25.4 → 23.3 s over the 8), and the large type reads better (the fast models
 * were trained on smaller text).
 * Whole-pipeline CER over the 8 dev pages by longest side: 2300 (not shrunk) 0.99 %, 1728 1.07 %, 1600 0.86 %,
 * 1472 1.34 % (the differences are mostly lines running beside figures). Smaller pages are read as they are.
 */
import type { GreyImage } from "../../media/index.ts";
import type { Point, TextRegion } from "../layout.ts";

export const OCR_MAX_SIDE = 1600;

/** The factor (≤ 1) a page of this size is shrunk by before OCR. */
export function ocrScale(width: number, height: number): number {
  return Math.min(1, OCR_MAX_SIDE / Math.max(width, height));
}

/** For each output index: the source indexes it covers and their weights (area average, weights sum to 1). */
function taps(srcSize: number, dstSize: number): { from: Int32Array; count: Int32Array; idx: Int32Array; w: Float32Array } {
  const s = srcSize / dstSize;
  const from = new Int32Array(dstSize),
    count = new Int32Array(dstSize);
  const idx: number[] = [],
    w: number[] = [];
  for (let o = 0; o < dstSize; o++) {
    const a = o * s,
      b = Math.min(srcSize, (o + 1) * s);
    from[o] = idx.length;
    for (let i = Math.floor(a); i < b; i++) {
      const part = Math.min(b, i + 1) - Math.max(a, i);
      if (part <= 0) continue;
      idx.push(i);
      w.push(part / (b - a));
    }
    count[o] = idx.length - from[o]!;
  }
  return { from, count, idx: Int32Array.from(idx), w: Float32Array.from(w) };
}

/** The grey image shrunk to width × height by averaging the source pixels each output pixel covers. */
export function shrinkGrey(g: GreyImage, width: number, height: number): GreyImage {
  const tx = taps(g.width, width),
    ty = taps(g.height, height);
  const rows = new Float32Array(width * g.height);
  for (let y = 0; y < g.height; y++) {
    const src = y * g.width,
      dst = y * width;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = tx.from[x]!, end = k + tx.count[x]!; k < end; k++) acc += g.data[src + tx.idx[k]!]! * tx.w[k]!;
      rows[dst + x] = acc;
    }
  }
  const data = new Uint8Array(width * height);
  const acc = new Float32Array(width);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    for (let k = ty.from[y]!, end = k + ty.count[y]!; k < end; k++) {
      const src = ty.idx[k]! * width,
        wt = ty.w[k]!;
      for (let x = 0; x < width; x++) acc[x]! += rows[src + x]! * wt;
    }
    const dst = y * width;
    for (let x = 0; x < width; x++) data[dst + x] = Math.round(acc[x]!);
  }
  return { width, height, data };
}

/** Regions read on a shrunk page, in the pixels of a page kx × ky times its size (clamped to that page). */
export function scaleRegions(regions: TextRegion[], kx: number, ky: number, width: number, height: number): TextRegion[] {
  const sx = (x: number) => Math.min(width, Math.max(0, Math.round(x * kx)));
  const sy = (y: number) => Math.min(height, Math.max(0, Math.round(y * ky)));
  const pts = (ps: Point[]): Point[] => ps.map(([x, y]) => [sx(x), sy(y)]);
  return regions.map((r) => ({
    ...r,
    polygon: pts(r.polygon),
    lines: r.lines.map((l) => ({
      ...l,
      polygon: pts(l.polygon),
      baseline: pts(l.baseline),
      words: l.words?.map((w) => ({ ...w, x1: sx(w.x1), y1: sy(w.y1), x2: sx(w.x2), y2: sy(w.y2) })),
    })),
  }));
}
