import type { Box } from "./types.ts";

export function area(b: Box): number {
  return Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
}

export function intersection(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  return w > 0 && h > 0 ? w * h : 0;
}

export function union(a: Box, b: Box): Box {
  return { x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1), x2: Math.max(a.x2, b.x2), y2: Math.max(a.y2, b.y2) };
}

/** Boxes closer than `gap` (or overlapping) on both axes. */
export function near(a: Box, b: Box, gapX: number, gapY = gapX): boolean {
  return a.x1 - gapX < b.x2 && b.x1 - gapX < a.x2 && a.y1 - gapY < b.y2 && b.y1 - gapY < a.y2;
}

export function contains(outer: Box, inner: Box, slack = 0): boolean {
  return inner.x1 >= outer.x1 - slack && inner.y1 >= outer.y1 - slack && inner.x2 <= outer.x2 + slack && inner.y2 <= outer.y2 + slack;
}
