import type { DetectedElement, TextLineHint } from "./types.ts";

/** Caption openers in the languages AnnoPage handles (English, Czech, German) plus common abbreviations. */
const CAPTION_START =
  /^\s*(fig(ure)?|figs?\.|obr(ázek|azek)?|tab(le|ulka|elle)?|tab\.|abb(ildung)?|graf|chart|graph|map(a|e)?|plate|ill(ustration)?|diagram|sch(éma|ema)|foto|photo(graph)?|příloha|pl\.)\b[\s.:]*[\dIVXLC]*/i;

function looksLikeCaption(text: string): boolean {
  return CAPTION_START.test(text);
}

/**
 * Give each element the caption text line(s) right below it (or right above, as for tables): the nearest line that
 * starts like a caption ("Fig. 3", "Obr. 2", "Table 1" …), horizontally overlapping the element and within about
 * three line heights, plus the following lines of the same caption paragraph. Without such an opener (or with OCR
 * errors in it), a short line centred right under the element is taken: justified body text spans the column and
 * a paragraph's last line is flush left, so neither is centred and narrower than the element.
 */
export function associateCaptions(elements: DetectedElement[], lines: readonly TextLineHint[]): void {
  const sorted = [...lines].filter((l) => l.text.trim()).sort((p, q) => p.bbox.y1 - q.bbox.y1 || p.bbox.x1 - q.bbox.x1);
  const taken = new Set<number>();
  for (const el of elements) {
    const b = el.bbox;
    let best = -1;
    let bestDist = Infinity;
    sorted.forEach((l, i) => {
      if (taken.has(i) || !looksLikeCaption(l.text)) return;
      const lb = l.bbox;
      const lh = Math.max(1, lb.y2 - lb.y1);
      const ov = Math.min(b.x2, lb.x2) - Math.max(b.x1, lb.x1);
      if (ov < 0.5 * Math.min(b.x2 - b.x1, lb.x2 - lb.x1)) return;
      const below = lb.y1 - b.y2;
      const above = b.y1 - lb.y2;
      const d = below >= -0.5 * lh ? below : above >= -0.5 * lh ? above + 0.5 * lh : Infinity;
      if (d > 3 * lh || d >= bestDist) return;
      best = i;
      bestDist = d;
    });
    // tables carry their caption on top, figures below
    if (best < 0) best = centredLine(b, sorted, taken, el.category === "Table" ? "above" : "below");
    if (best < 0) continue;
    const first = sorted[best]!;
    const parts = [first];
    taken.add(best);
    // continuation lines: directly below, overlapping horizontally, not themselves a new caption
    let last = first;
    for (let i = best + 1; i < sorted.length; i++) {
      const l = sorted[i]!;
      const lh = last.bbox.y2 - last.bbox.y1;
      if (l.bbox.y1 - last.bbox.y2 > 0.8 * lh) break;
      if (l.bbox.y1 < last.bbox.y2 - 0.5 * lh) continue;
      const ov = Math.min(first.bbox.x2, l.bbox.x2) - Math.max(first.bbox.x1, l.bbox.x1);
      if (ov < 0.5 * (l.bbox.x2 - l.bbox.x1) || looksLikeCaption(l.text) || taken.has(i)) continue;
      // a caption paragraph ends where the element's side ends: long body-text lines are not part of it
      if (l.bbox.x2 - l.bbox.x1 > 1.2 * Math.max(b.x2 - b.x1, first.bbox.x2 - first.bbox.x1)) break;
      parts.push(l);
      taken.add(i);
      last = l;
    }
    const bbox = parts.reduce(
      (u, l) => ({
        x1: Math.min(u.x1, l.bbox.x1),
        y1: Math.min(u.y1, l.bbox.y1),
        x2: Math.max(u.x2, l.bbox.x2),
        y2: Math.max(u.y2, l.bbox.y2),
      }),
      { ...first.bbox },
    );
    el.caption = { text: parts.map((l) => l.text.trim()).join(" "), bbox };
  }
}

function centredLine(
  b: { x1: number; y1: number; x2: number; y2: number },
  lines: readonly TextLineHint[],
  taken: Set<number>,
  side: "above" | "below",
): number {
  const w = b.x2 - b.x1;
  const cx = (b.x1 + b.x2) / 2;
  let best = -1;
  let bestGap = Infinity;
  lines.forEach((l, i) => {
    if (taken.has(i)) return;
    const lb = l.bbox;
    const lh = Math.max(1, lb.y2 - lb.y1);
    const gap = side === "below" ? lb.y1 - b.y2 : b.y1 - lb.y2;
    if (gap < -0.3 * lh || gap > 1.5 * lh) return;
    const lw = lb.x2 - lb.x1;
    if (lw >= 0.9 * w || lw < 2 * lh) return;
    if (Math.abs((lb.x1 + lb.x2) / 2 - cx) > 0.08 * w + lh) return;
    if (gap < bestGap) {
      best = i;
      bestGap = gap;
    }
  });
  return best;
}
