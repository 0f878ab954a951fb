import { labelComponents, type Component } from "./components.ts";
import { analysisFactor, downscale, estimateBackground, normalise } from "./raster.ts";
import { estimateGlyphHeight, groupLines, type LineGroup } from "./textlines.ts";
import type { DetectInput } from "./types.ts";

/** Component kinds after the text/non-text split. */
// biome-ignore lint/suspicious/noConstEnum: Bun inlines the members in the detection loops; nothing outside this package uses Kind
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
/** Chroma distance (in (r−g, g−b) units) from the paper–ink line above which a pixel counts as coloured ink. */
const COLOUR_DISTANCE = 11;
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
  /** large structures visible only at the tone level (faint line drawings, pale artwork), not made of text */
  toneStructures: Component[];
  /** page skew as the slope dy/dx of text lines (0 when unknown) */
  skew: number;
  /** rows of identical glyph-sized pieces at a regular pitch (a frieze of printer's ornaments): not text */
  ornamentRows: Component[];
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
    // mean stroke thickness along the long axis: a (possibly skewed) rule is long and thin everywhere
    const thickness = c.area / Math.max(w, h);
    if (c.area < 3 || (w <= 2 && h <= 2)) k = Kind.Noise;
    else if ((thickness <= thin || (thickness <= 0.7 * glyph && w >= 15 * thickness)) && w >= 3 * glyph && w >= 4 * h) k = Kind.HRule;
    else if ((thickness <= thin || (thickness <= 0.7 * glyph && h >= 15 * thickness)) && h >= 3 * glyph && h >= 4 * w) k = Kind.VRule;
    else if (w >= 12 * glyph && w >= 6 * h && h <= 4 * glyph && isRuleWithAttachments(c, labels, small.width, thin)) k = Kind.HRule;
    else if (h > 2.5 * glyph || (w > 8 * glyph && h > 0.6 * glyph)) k = Kind.Big;
    else {
      k = Kind.Small;
      candidates.push(c.id);
    }
    kinds[c.id] = k;
  }
  const groups = groupLines(comps, candidates, 1.2 * glyph);
  const lines: LineGroup[] = [];
  const ornamentRows: Component[] = [];
  for (const g of groups) {
    const w = g.x2 - g.x1;
    if (isOrnamentRow(g, comps, glyph, labels, small.width)) {
      ornamentRows.push({ id: -1, x1: g.x1, y1: g.y1, x2: g.x2, y2: g.y2, area: 0 });
      continue;
    }
    if (g.members.length >= 2 && w >= 1.5 * glyph && g.y2 - g.y1 <= 3.2 * glyph) {
      lines.push(g);
      for (const m of g.members) kinds[m] = Kind.Text;
    }
  }
  // words set in capitals at small sizes touch into one wide, flat blob: on a text line's row, right next to its
  // words, such a blob is text
  for (const c of comps) {
    if (kinds[c.id] !== Kind.Big) continue;
    const h = c.y2 - c.y1;
    if (h > 2.2 * glyph || c.x2 - c.x1 > 30 * glyph) continue;
    const inline = lines.some((l) => {
      const ov = Math.min(l.y2, c.y2) - Math.max(l.y1, c.y1);
      const gap = Math.max(l.x1, c.x1) - Math.min(l.x2, c.x2);
      return ov >= 0.5 * h && gap <= 1.5 * glyph && l.y2 - l.y1 <= 2 * h;
    });
    if (inline) kinds[c.id] = Kind.Text;
  }
  const toneStructures = findToneStructures(norm, small.width, small.height, glyph, labels, kinds);
  const colour = page.rgba ? colourMask(page.rgba, page.width, page.height, factor, small.width, small.height, norm) : undefined;
  const skew = estimateSkew(lines, comps, glyph);
  return {
    factor,
    width: small.width,
    height: small.height,
    norm,
    ink,
    colour,
    comps,
    labels,
    kinds,
    glyph,
    lines,
    toneStructures,
    ornamentRows,
    skew,
  };
}

/**
 * Page skew from the text: the least-squares slope of the letter bottoms (x-height letters, no descenders) of each
 * long text line; the median over lines.
 */
function estimateSkew(lines: readonly LineGroup[], comps: readonly Component[], glyph: number): number {
  const slopes: number[] = [];
  for (const l of lines) {
    if (l.x2 - l.x1 < 20 * glyph) continue;
    let n = 0,
      sx = 0,
      sy = 0,
      sxx = 0,
      sxy = 0;
    for (const m of l.members) {
      const c = comps[m]!;
      const h = c.y2 - c.y1;
      if (h < 0.6 * glyph || h > 1.3 * glyph) continue;
      const x = (c.x1 + c.x2) / 2;
      n++;
      sx += x;
      sy += c.y2;
      sxx += x * x;
      sxy += x * c.y2;
    }
    const den = n * sxx - sx * sx;
    if (n >= 10 && den > 0) slopes.push((n * sxy - sx * sy) / den);
  }
  if (slopes.length < 3) return 0;
  slopes.sort((p, q) => p - q);
  const s = slopes[slopes.length >> 1]!;
  return Math.abs(s) <= 0.06 ? s : 0;
}

/**
 * A row of one ornament repeated: at least six pieces of (nearly) the same width, height and ink at a regular pitch.
 * Letters of a text line vary in width and ink far more, even in a run of capitals.
 */
function isOrnamentRow(g: LineGroup, comps: readonly Component[], glyph: number, labels: Int32Array, width: number): boolean {
  // by the tallest member, not the row's box: a long skewed row is taller than any of its pieces
  const tallest = Math.max(...g.members.map((m) => comps[m]!.y2 - comps[m]!.y1));
  const main = g.members.map((m) => comps[m]!).filter((c) => c.y2 - c.y1 >= 0.6 * tallest && c.y2 - c.y1 >= 0.8 * glyph);
  main.sort((p, q) => p.x1 - q.x1);
  // pieces lying inside a main piece (the eye of a ring, a dot in a lozenge) belong to it
  const loose = g.members.filter((m) => {
    const c = comps[m]!;
    return !main.some((o) => o !== c && c.x1 >= o.x1 && c.x2 <= o.x2 && c.y1 >= o.y1 && c.y2 <= o.y2);
  }).length;
  if (main.length < 6 || main.length < 0.6 * loose) return false;
  const cv = (xs: number[]) => {
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    return m > 0 ? Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length) / m : 1;
  };
  const pitch = main.slice(1).map((c, i) => c.x1 - main[i]!.x1);
  if (
    cv(main.map((c) => c.x2 - c.x1)) > 0.12 ||
    cv(main.map((c) => c.y2 - c.y1)) > 0.12 ||
    cv(main.map((c) => c.area)) > 0.15 ||
    cv(pitch) > 0.2
  )
    return false;
  // one cast repeated: most pieces have a twin whose ink lies the same way on a 4×4 grid (a line of capitals has
  // the same size and rhythm, but its letters differ in shape)
  const shapes = main.map((c) => {
    const occ = new Float32Array(16);
    const w = c.x2 - c.x1;
    const h = c.y2 - c.y1;
    for (let y = c.y1; y < c.y2; y++)
      for (let x = c.x1; x < c.x2; x++)
        if (labels[y * width + x] === c.id + 1)
          occ[Math.min(3, (((y - c.y1) * 4) / h) | 0) * 4 + Math.min(3, (((x - c.x1) * 4) / w) | 0)]! += 16 / (w * h);
    return occ;
  });
  let twinned = 0;
  for (let i = 0; i < shapes.length; i++)
    for (let j = 0; j < shapes.length; j++) {
      if (i === j) continue;
      let d = 0;
      for (let k = 0; k < 16; k++) d += Math.abs(shapes[i]![k]! - shapes[j]![k]!);
      if (d / 16 <= 0.08) {
        twinned++;
        break;
      }
    }
  return twinned >= 0.7 * shapes.length;
}

/**
 * A long horizontal rule that letters touch (a running head set on its rule, descenders on a table rule), possibly
 * skewed: almost every column of the component carries ink, and in most columns only a rule's thickness of it.
 */
function isRuleWithAttachments(c: Component, labels: Int32Array, width: number, thin: number): boolean {
  const w = c.x2 - c.x1;
  const perCol = new Uint16Array(w);
  for (let y = c.y1; y < c.y2; y++) for (let x = c.x1; x < c.x2; x++) if (labels[y * width + x] === c.id + 1) perCol[x - c.x1]!++;
  let inked = 0;
  let ruleOnly = 0;
  for (let x = 0; x < w; x++) {
    if (perCol[x]! > 0) inked++;
    if (perCol[x]! > 0 && perCol[x]! <= thin + 1) ruleOnly++;
  }
  return inked >= 0.9 * w && ruleOnly >= 0.6 * w;
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
  // reference chromas: paper (bright pixels) and the page's main ink (dark pixels)
  const paper = medianChroma(rg, gb, (i) => norm[i]! > 240);
  const inkC = medianChroma(rg, gb, (i) => norm[i]! <= 120);
  const out = new Uint8Array(w * h);
  const sx = inkC[0] - paper[0];
  const sy = inkC[1] - paper[1];
  const sl = sx * sx + sy * sy;
  for (let i = 0; i < w * h; i++) {
    if (norm[i]! > TONE_LEVEL) continue;
    // distance of the pixel's chroma from the paper–ink segment (anti-aliased ink lies on it)
    const px = rg[i]! - paper[0];
    const py = gb[i]! - paper[1];
    const t = sl > 0 ? Math.max(0, Math.min(1, (px * sx + py * sy) / sl)) : 0;
    const dx = px - t * sx;
    const dy = py - t * sy;
    if (dx * dx + dy * dy > COLOUR_DISTANCE * COLOUR_DISTANCE) out[i] = 1;
  }
  return out;
}

function medianChroma(rg: Int16Array, gb: Int16Array, take: (i: number) => boolean): [number, number] {
  const hr = new Uint32Array(512);
  const hg = new Uint32Array(512);
  let m = 0;
  for (let i = 0; i < rg.length; i++)
    if (take(i)) {
      hr[rg[i]! + 256]!++;
      hg[gb[i]! + 256]!++;
      m++;
    }
  if (!m) return [0, 0];
  const median = (hist: Uint32Array) => {
    let acc = 0;
    for (let v = 0; v < 512; v++) {
      acc += hist[v]!;
      if (acc * 2 >= m) return v - 256;
    }
    return 0;
  };
  return [median(hr), median(hg)];
}

/**
 * Components of the tone mask (everything visibly darker than paper) that are large in both directions and not
 * made of text ink: faint drawings whose thin strokes do not reach the ink level.
 */
function findToneStructures(norm: Uint8Array, w: number, h: number, glyph: number, labels: Int32Array, kinds: Uint8Array): Component[] {
  const tone = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) tone[i] = norm[i]! <= TONE_LEVEL ? 1 : 0;
  const { components, labels: toneLabels } = labelComponents(tone, w, h);
  const big = components.filter((c) => c.y2 - c.y1 > 2.5 * glyph && c.x2 - c.x1 > 2.5 * glyph);
  if (!big.length) return [];
  const textInk = new Uint32Array(components.length);
  const isBig = new Uint8Array(components.length);
  for (const c of big) isBig[c.id] = 1;
  for (let i = 0; i < w * h; i++) {
    const t = toneLabels[i]! - 1;
    if (t < 0 || !isBig[t]) continue;
    const l = labels[i]!;
    if (l && kinds[l - 1] === Kind.Text) textInk[t]!++;
  }
  const thin = Math.max(2, 0.35 * glyph);
  // a faint, skewed rule (a running head's rule, letters touching it; a column rule) is not a drawing
  const ruleLike = (c: Component) => {
    const cw = c.x2 - c.x1;
    const chh = c.y2 - c.y1;
    if (chh >= 6 * cw) return c.area / chh <= 0.7 * glyph;
    return cw >= 6 * chh && (c.area / cw <= 0.7 * glyph || isRuleWithAttachments(c, toneLabels, w, thin));
  };
  return big.filter((c) => textInk[c.id]! < 0.2 * c.area && !ruleLike(c));
}
