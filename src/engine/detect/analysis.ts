import { labelComponents, type Component } from "./components.ts";
import { analysisFactor, downscale, estimateBackground, normalise } from "./raster.ts";
import { estimateGlyphHeight, groupLines, type LineGroup } from "./textlines.ts";
import type { DetectInput } from "./types.ts";

/** Component kinds after the text/non-text split. */
export const enum Kind {
  Noise = 0,
  Text = 1,
  Small = 2,
  Big = 3,
  HRule = 4,
  VRule = 5,
}

/** Normalised grey at or below this is ink (≈ 2/3 of the paper brightness). */
export const INK_LEVEL = 170;
/** Normalised grey at or below this is visibly not paper (tone, pale ink, photo highlights). */
export const TONE_LEVEL = 222;

/** Everything the region finder and the classifier need, at analysis scale. */
export interface PageAnalysis {
  /** page pixels per analysis pixel */
  factor: number;
  width: number;
  height: number;
  /** grey / background, paper ≈ 255 */
  norm: Uint8Array;
  ink: Uint8Array;
  /** 1 where the pixel's colour differs clearly from the paper's (coloured ink); absent without colour input */
  colour?: Uint8Array;
  comps: Component[];
  labels: Int32Array;
  kinds: Uint8Array;
  /** typical glyph height in analysis pixels */
  glyph: number;
  /** text lines found from the page itself */
  lines: LineGroup[];
}

export function analysePage(page: DetectInput): PageAnalysis {
  const factor = analysisFactor(page.width, page.height);
  const small = downscale(page.grey, page.width, page.height, factor);
  const block = 24;
  const bg = estimateBackground(small, block);
  const norm = normalise(small, bg);
  const n = small.width * small.height;
  const ink = new Uint8Array(n);
  for (let i = 0; i < n; i++) ink[i] = norm[i]! <= INK_LEVEL ? 1 : 0;
  const { components: comps, labels } = labelComponents(ink, small.width, small.height);
  const glyph = estimateGlyphHeight(comps, small.height);
  const kinds = new Uint8Array(comps.length);
  const candidates: number[] = [];
  const thin = Math.max(2, 0.35 * glyph);
  for (const c of comps) {
    const w = c.x2 - c.x1;
    const h = c.y2 - c.y1;
    let k: Kind;
    if (c.area < 3 || (w <= 2 && h <= 2)) k = Kind.Noise;
    else if (h <= thin && w >= 3 * glyph) k = Kind.HRule;
    else if (w <= thin && h >= 3 * glyph) k = Kind.VRule;
    else if (h > 2.5 * glyph || (w > 8 * glyph && h > 0.6 * glyph)) k = Kind.Big;
    else {
      k = Kind.Small;
      candidates.push(c.id);
    }
    kinds[c.id] = k;
  }
  const groups = groupLines(comps, candidates, 1.2 * glyph);
  const lines: LineGroup[] = [];
  for (const g of groups) {
    const w = g.x2 - g.x1;
    if (g.members.length >= 2 && w >= 1.5 * glyph && g.y2 - g.y1 <= 3.2 * glyph) {
      lines.push(g);
      for (const m of g.members) kinds[m] = Kind.Text;
    }
  }
  const colour = page.rgba ? colourMask(page.rgba, page.width, page.height, factor, small.width, small.height, norm) : undefined;
  return { factor, width: small.width, height: small.height, norm, ink, colour, comps, labels, kinds, glyph, lines };
}

/**
 * Coloured ink: the chroma (r−g, g−b) of non-paper pixels differs from the paper's own chroma by more than a fixed
 * distance. Sampled at the centre of each analysis block.
 */
function colourMask(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  f: number,
  w: number,
  h: number,
  norm: Uint8Array,
): Uint8Array {
  const rg = new Int16Array(w * h);
  const gb = new Int16Array(w * h);
  const half = f >> 1;
  for (let y = 0; y < h; y++) {
    const sy = Math.min(height - 1, y * f + half);
    for (let x = 0; x < w; x++) {
      const sx = Math.min(width - 1, x * f + half);
      const p = (sy * width + sx) * 4;
      rg[y * w + x] = rgba[p]! - rgba[p + 1]!;
      gb[y * w + x] = rgba[p + 1]! - rgba[p + 2]!;
    }
  }
  const hr = new Uint32Array(512);
  const hg = new Uint32Array(512);
  let m = 0;
  for (let i = 0; i < w * h; i++)
    if (norm[i]! > 240) {
      hr[rg[i]! + 256]!++;
      hg[gb[i]! + 256]!++;
      m++;
    }
  const median = (hist: Uint32Array) => {
    let acc = 0;
    for (let v = 0; v < 512; v++) {
      acc += hist[v]!;
      if (acc * 2 >= m) return v - 256;
    }
    return 0;
  };
  const pr = m ? median(hr) : 0;
  const pg = m ? median(hg) : 0;
  const out = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    if (norm[i]! > TONE_LEVEL) continue;
    const dr = rg[i]! - pr;
    const dg = gb[i]! - pg;
    if (dr * dr + dg * dg > 28 * 28) out[i] = 1;
  }
  return out;
}
