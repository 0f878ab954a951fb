import type { Component } from "./components.ts";

/** A horizontal run of glyph-sized components: a text line (or a line of ornaments). */
export interface LineGroup {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  members: number[];
}

/**
 * Typical glyph height: the median height of components that look like letters (not specks, not rules, not
 * huge blobs). Falls back to 1/80 of the page height on pages without text.
 */
export function estimateGlyphHeight(comps: readonly Component[], pageHeight: number): number {
  const hs: number[] = [];
  const maxH = pageHeight / 15;
  for (const c of comps) {
    const w = c.x2 - c.x1;
    const h = c.y2 - c.y1;
    if (h < 4 || h > maxH || c.area < 6) continue;
    if (w > 3 * h || w < 0.12 * h) continue;
    hs.push(h);
  }
  if (hs.length < 30) return Math.max(6, Math.round(pageHeight / 80));
  hs.sort((a, b) => a - b);
  return hs[hs.length >> 1]!;
}

/**
 * Group candidate components into lines: neighbours on the same baseline band (vertical overlap of at least half the
 * smaller height) with a horizontal gap below `maxGap`. Components are given by index into `comps`.
 */
export function groupLines(comps: readonly Component[], candidates: readonly number[], maxGap: number): LineGroup[] {
  const order = [...candidates].sort((a, b) => comps[a]!.x1 - comps[b]!.x1);
  const parent = new Map<number, number>();
  for (const i of order) parent.set(i, i);
  const find = (a: number): number => {
    let r = a;
    while (parent.get(r)! !== r) r = parent.get(r)!;
    let x = a;
    while (parent.get(x)! !== r) {
      const nx = parent.get(x)!;
      parent.set(x, r);
      x = nx;
    }
    return r;
  };
  // Sweep by x. A pair can only join when the two overlap vertically, so the components still within maxGap of the
  // sweep line are kept in y buckets (a component in every bucket its y range touches; two ranges that overlap share
  // the bucket of the higher top edge): each component meets only its own band, not every active component of the
  // page (the whole-page active list made this 10 % of the detection path). Buckets drop members left behind lazily.
  const heights = order.map((i) => comps[i]!.y2 - comps[i]!.y1).sort((a, b) => a - b);
  const B = Math.max(8, heights.length ? heights[heights.length >> 1]! : 8);
  const buckets = new Map<number, number[]>();
  const seen = new Int32Array(comps.length).fill(-1);
  for (const i of order) {
    const c = comps[i]!;
    const b0 = Math.floor(c.y1 / B);
    const b1 = Math.floor(c.y2 / B);
    for (let b = b0; b <= b1; b++) {
      const list = buckets.get(b);
      if (!list) continue;
      let keep = 0;
      for (let k = 0; k < list.length; k++) {
        const j = list[k]!;
        const d = comps[j]!;
        if (d.x2 + maxGap < c.x1) continue; // left behind for good: the sweep only moves right
        list[keep++] = j;
        if (seen[j] === i) continue;
        seen[j] = i;
        const ov = Math.min(c.y2, d.y2) - Math.max(c.y1, d.y1);
        const minH = Math.min(c.y2 - c.y1, d.y2 - d.y1);
        const maxH = Math.max(c.y2 - c.y1, d.y2 - d.y1);
        if (ov >= 0.5 * minH && maxH <= 3 * minH + 2) {
          const a = find(i);
          const r = find(j);
          if (a !== r) parent.set(a, r);
        }
      }
      list.length = keep;
    }
    for (let b = b0; b <= b1; b++) {
      const list = buckets.get(b);
      if (list) list.push(i);
      else buckets.set(b, [i]);
    }
  }
  const groups = new Map<number, LineGroup>();
  for (const i of order) {
    const r = find(i);
    const c = comps[i]!;
    let g = groups.get(r);
    if (!g) {
      g = { x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2, members: [] };
      groups.set(r, g);
    }
    g.x1 = Math.min(g.x1, c.x1);
    g.y1 = Math.min(g.y1, c.y1);
    g.x2 = Math.max(g.x2, c.x2);
    g.y2 = Math.max(g.y2, c.y2);
    g.members.push(i);
  }
  return [...groups.values()];
}
