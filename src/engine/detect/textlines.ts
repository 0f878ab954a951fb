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
  // sweep by x: keep an active list of components whose right edge is within maxGap of the current left edge
  let active: number[] = [];
  for (const i of order) {
    const c = comps[i]!;
    active = active.filter((j) => comps[j]!.x2 + maxGap >= c.x1);
    for (const j of active) {
      const d = comps[j]!;
      const ov = Math.min(c.y2, d.y2) - Math.max(c.y1, d.y1);
      const minH = Math.min(c.y2 - c.y1, d.y2 - d.y1);
      const maxH = Math.max(c.y2 - c.y1, d.y2 - d.y1);
      if (ov >= 0.5 * minH && maxH <= 3 * minH + 2) {
        const a = find(i);
        const b = find(j);
        if (a !== b) parent.set(a, b);
      }
    }
    active.push(i);
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
