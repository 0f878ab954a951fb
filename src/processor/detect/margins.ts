import { Kind, TONE_LEVEL, type PageAnalysis } from "./analysis.ts";
import { near, union } from "./boxes.ts";
import type { Box } from "./types.ts";

/** A mark in the side margin written in a visibly different (paler) ink than the printed text. */
export interface MarginNote {
  box: Box;
  /** how much paler its darkest strokes are than the body text's (normalised grey levels) */
  paler: number;
}

/** 10th percentile of normalised grey over the pixels of the given components (their darkest strokes). */
function darkestStrokes(a: PageAnalysis, ids: readonly number[], limit = 20000): number {
  const hist = new Uint32Array(256);
  let n = 0;
  for (const id of ids) {
    const c = a.comps[id]!;
    for (let y = c.y1; y < c.y2 && n < limit; y++)
      for (let x = c.x1; x < c.x2; x++)
        if (a.labels[y * a.width + x] === id + 1) {
          hist[a.norm[y * a.width + x]!]!++;
          n++;
        }
  }
  if (!n) return 255;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= 0.1 * n) return v;
  }
  return 255;
}

/**
 * Handwritten notes and similar annotations: clusters of marks in the left or right margin, outside the horizontal
 * extent of the body text, whose strokes are clearly paler than the printed text (another pen, pencil) or coloured.
 * Marks in the same ink as the print (side notes, line numbers) are left alone.
 */
/** Horizontal extent of the body text (left edge of most lines … right edge of most lines), or null when the page
 *  has too little running text to tell. */
function bodyExtent(a: PageAnalysis): { left: number; right: number; long: PageAnalysis["lines"] } | null {
  const g = a.glyph;
  const long = a.lines.filter((l) => l.x2 - l.x1 >= 10 * g);
  if (long.length < 5) return null;
  const x1s = long.map((l) => l.x1).sort((p, q) => p - q);
  const x2s = long.map((l) => l.x2).sort((p, q) => p - q);
  return { left: x1s[Math.floor(0.05 * x1s.length)]! - 0.5 * g, right: x2s[Math.floor(0.95 * (x2s.length - 1))]! + 0.5 * g, long };
}

/** True when `b` lies wholly in the left or right margin, beside the body text. */
export function inSideMargin(a: PageAnalysis, b: Box): boolean {
  const body = bodyExtent(a);
  return !!body && (b.x1 > body.right || b.x2 < body.left);
}

/** Share of the components' pixels that are coloured ink (another pen than the black print). */
function colouredShare(a: PageAnalysis, ids: readonly number[]): number {
  if (!a.colour) return 0;
  let n = 0;
  let coloured = 0;
  for (const id of ids) {
    const c = a.comps[id]!;
    for (let y = c.y1; y < c.y2; y++)
      for (let x = c.x1; x < c.x2; x++)
        if (a.labels[y * a.width + x] === id + 1) {
          n++;
          coloured += a.colour[y * a.width + x]!;
        }
  }
  return n ? coloured / n : 0;
}

export function findMarginNotes(a: PageAnalysis): MarginNote[] {
  const g = a.glyph;
  const extent = bodyExtent(a);
  if (!extent) return [];
  const { left, right, long } = extent;
  const bodyIds: number[] = [];
  for (const l of long) for (const m of l.members) if (bodyIds.length < 3000) bodyIds.push(m);
  const body = darkestStrokes(a, bodyIds);
  const top = 0.03 * a.height;
  const bottom = 0.97 * a.height;
  const pieces: { box: Box; ids: number[] }[] = [];
  for (const c of a.comps) {
    const k = a.kinds[c.id]!;
    if (k !== Kind.Text && k !== Kind.Small && !(k === Kind.Noise && c.area >= 3)) continue;
    if (!(c.x1 > right || c.x2 < left) || c.y1 < top || c.y2 > bottom) continue;
    if (c.y2 - c.y1 > 4 * g) continue;
    pieces.push({ box: { x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2 }, ids: [c.id] });
  }
  // cluster nearby pieces
  let changed = true;
  let groups = pieces;
  while (changed) {
    changed = false;
    const next: { box: Box; ids: number[] }[] = [];
    for (const p of groups) {
      const hit = next.find((q) => near(q.box, p.box, 1.5 * g, 2 * g));
      if (hit) {
        hit.box = union(hit.box, p.box);
        hit.ids.push(...p.ids);
        changed = true;
      } else next.push({ box: { ...p.box }, ids: [...p.ids] });
    }
    groups = next;
  }
  const out: MarginNote[] = [];
  for (const grp of groups) {
    const w = grp.box.x2 - grp.box.x1;
    const h = grp.box.y2 - grp.box.y1;
    if (grp.ids.length < 3 || w < 3 * g || h < 1.2 * g) continue;
    const paler = darkestStrokes(a, grp.ids) - body;
    // another pen: paler strokes than the print, or coloured ink (blue, brown) where the print is black
    if (paler >= 40 || colouredShare(a, grp.ids) >= 0.3)
      out.push({ box: toneExtent(a, grp.box, Math.ceil(0.5 * g)), paler: Math.max(40, paler) });
  }
  return out;
}

/** Tight box of the visibly-not-paper pixels within `b` grown by `pad` (pale strokes that missed the ink level). */
function toneExtent(a: PageAnalysis, b: Box, pad: number): Box {
  const x1 = Math.max(0, b.x1 - pad);
  const y1 = Math.max(0, b.y1 - pad);
  const x2 = Math.min(a.width, b.x2 + pad);
  const y2 = Math.min(a.height, b.y2 + pad);
  let minx = b.x1,
    miny = b.y1,
    maxx = b.x2,
    maxy = b.y2;
  for (let y = y1; y < y2; y++)
    for (let x = x1; x < x2; x++)
      if (a.norm[y * a.width + x]! <= TONE_LEVEL - 20) {
        if (x < minx) minx = x;
        if (x + 1 > maxx) maxx = x + 1;
        if (y < miny) miny = y;
        if (y + 1 > maxy) maxy = y + 1;
      }
  return { x1: minx, y1: miny, x2: maxx, y2: maxy };
}
