import { CATEGORIES } from "../categories.ts";
import type { PageAnalysis } from "./analysis.ts";
import { union } from "./boxes.ts";
import { classify, type Verdict } from "./classify.ts";
import { measure, type RegionFeatures } from "./features.ts";
import type { Box, CategoryLabel } from "./types.ts";

/** A classified region at analysis scale. */
export interface Classified {
  box: Box;
  verdict: Verdict;
  features: RegionFeatures;
  ruled: boolean;
}

/** Drawn-figure kinds whose separate parts (a plate and a gear, two halves of a diagram) make one figure (`drawnFigure` in src/processor/categories.ts). */
const DRAWN: ReadonlySet<CategoryLabel> = new Set(CATEGORIES.filter((c) => c.drawnFigure).map((c) => c.label));

/**
 * Join drawn figures that are parts of one: side by side or one above the other, overlapping across at least half
 * of the smaller one, with a gap of at most five glyph heights holding no text line (a caption or running text between
 * two pictures keeps them apart), and not each with a caption line of its own right below it (two figures in a row). The union is measured and classified afresh; it is kept only when it is
 * still a drawn figure and running text does not pass through it.
 */
export function joinDrawnParts(a: PageAnalysis, regions: Classified[]): Classified[] {
  const list = regions.slice();
  const g = a.glyph;
  let changed = true;
  while (changed) {
    changed = false;
    outer: for (let i = 0; i < list.length; i++) {
      if (!DRAWN.has(list[i]!.verdict.category)) continue;
      for (let j = i + 1; j < list.length; j++) {
        if (!DRAWN.has(list[j]!.verdict.category)) continue;
        const p = list[i]!.box;
        const q = list[j]!.box;
        const gapX = Math.max(p.x1, q.x1) - Math.min(p.x2, q.x2);
        const gapY = Math.max(p.y1, q.y1) - Math.min(p.y2, q.y2);
        const ovX = -gapX;
        const ovY = -gapY;
        const minW = Math.min(p.x2 - p.x1, q.x2 - q.x1);
        const minH = Math.min(p.y2 - p.y1, q.y2 - q.y1);
        const beside = gapX >= 0 && gapX <= 5 * g && ovY >= 0.5 * minH;
        const stacked = gapY >= 0 && gapY <= 5 * g && ovX >= 0.5 * minW;
        if (!beside && !stacked) continue;
        const gap: Box = beside
          ? { x1: Math.min(p.x2, q.x2), x2: Math.max(p.x1, q.x1), y1: Math.max(p.y1, q.y1), y2: Math.min(p.y2, q.y2) }
          : { x1: Math.max(p.x1, q.x1), x2: Math.min(p.x2, q.x2), y1: Math.min(p.y2, q.y2), y2: Math.max(p.y1, q.y1) };
        if (a.lines.some((l) => l.y2 > gap.y1 && l.y1 < gap.y2 && l.x2 > gap.x1 && l.x1 < gap.x2 && l.x2 - l.x1 >= 4 * g)) continue;
        if (beside && captioned(a, p) && captioned(a, q)) continue;
        const box = union(p, q);
        const features = measure(a, box);
        const ruled = list[i]!.ruled || list[j]!.ruled;
        const verdict = classify(features, { ruled });
        if (!verdict.keep || !DRAWN.has(verdict.category) || features.textCover >= 0.15) continue;
        list[i] = { box, verdict, features, ruled };
        list.splice(j, 1);
        changed = true;
        break outer;
      }
    }
  }
  return list;
}

/** A text line of a few words starting right below the region, within its columns: its own caption. */
function captioned(a: PageAnalysis, b: Box): boolean {
  const g = a.glyph;
  return a.lines.some(
    (l) => l.y1 >= b.y2 - 0.5 * g && l.y1 - b.y2 <= 2.5 * g && l.x2 - l.x1 >= 4 * g && l.x1 >= b.x1 - g && l.x2 <= b.x2 + g,
  );
}
