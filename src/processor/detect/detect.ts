import { analysePage, type PageAnalysis } from "./analysis.ts";
import { associateCaptions } from "./captions.ts";
import { CAPTION_DECIDES, categoryFromCaption } from "./caption-category.ts";
import { classify } from "./classify.ts";
import { measure, type RegionFeatures } from "./features.ts";
import { findCandidates } from "./regions.ts";
import { findMarginNotes, inSideMargin } from "./margins.ts";
import { intersection } from "./boxes.ts";
import { joinDrawnParts, type Classified } from "./join.ts";
import type { Verdict } from "./classify.ts";
import { categoryId, type Box, type DetectInput, type DetectOptions, type DetectedElement } from "./types.ts";

/** A detection with the evidence that led to it (for evaluation and debugging). */
export interface TracedElement extends DetectedElement {
  features: RegionFeatures;
}

function toPage(a: PageAnalysis, b: Box, width: number, height: number): Box {
  const f = a.factor;
  return {
    x1: Math.max(0, b.x1 * f),
    y1: Math.max(0, b.y1 * f),
    x2: Math.min(width, b.x2 * f),
    y2: Math.min(height, b.y2 * f),
  };
}

export function detectTraced(page: DetectInput, options: DetectOptions = {}): TracedElement[] {
  if (page.grey.length !== page.width * page.height) throw new Error("detectElements: grey buffer does not match width × height");
  const a = analysePage(page);
  const regions: Classified[] = [];
  for (const cand of findCandidates(a)) {
    if (isEdgeShadow(a, cand.box)) continue;
    const features = measure(a, cand.box);
    const verdict = classify(features, { ruled: cand.ruled });
    if (verdict.keep) regions.push({ box: cand.box, verdict, features, ruled: cand.ruled });
  }
  const out: TracedElement[] = [];
  for (const { box: found, verdict, features } of joinDrawnParts(a, regions)) {
    const v = marginWriting(a, found, verdict, features)
      ? { ...verdict, category: "Handwritten note" as const, confidence: Math.min(0.5, verdict.confidence) }
      : verdict;
    // a chart's box takes in the value labels along its axes; a stamp is its coloured ink, not the print it lies on
    const box = v.category === "Graph" ? features.withAxisLabels : v.category === "Stamp" ? colourExtent(a, found) : found;
    out.push({
      bbox: toPage(a, box, page.width, page.height),
      category: v.category,
      categoryId: categoryId(v.category),
      confidence: Math.round(v.confidence * 1000) / 1000,
      features,
    });
  }
  for (const note of findMarginNotes(a)) {
    if (out.some((e) => intersection(e.bbox, toPage(a, note.box, page.width, page.height)) > 0)) continue;
    out.push({
      bbox: toPage(a, note.box, page.width, page.height),
      category: "Handwritten note",
      categoryId: categoryId("Handwritten note"),
      confidence: Math.round(Math.min(0.5, 0.25 + note.paler / 400) * 1000) / 1000,
      features: measure(a, note.box),
    });
  }
  out.sort((p, q) => q.confidence - p.confidence);
  if (page.textLines?.length) {
    associateCaptions(out, page.textLines);
    for (const e of out) if (e.caption) nameFromCaption(e, e.caption.text);
    out.sort((p, q) => q.confidence - p.confidence);
  }
  const threshold = options.threshold ?? 0;
  const wanted = options.categories?.map((c) => c.toLowerCase());
  return out.filter((e) => e.confidence >= threshold && (!wanted || wanted.includes(e.category.toLowerCase())));
}

export function detectElements(page: DetectInput, options: DetectOptions = {}): DetectedElement[] {
  return detectTraced(page, options).map(({ features: _f, ...e }) => e);
}

/** Tight box of the coloured-ink pixels inside `b` (b itself when there are too few to tell). */
function colourExtent(a: PageAnalysis, b: Box): Box {
  if (!a.colour) return b;
  let x1 = b.x2,
    y1 = b.y2,
    x2 = b.x1,
    y2 = b.y1,
    n = 0;
  for (let y = b.y1; y < b.y2; y++)
    for (let x = b.x1; x < b.x2; x++)
      if (a.colour[y * a.width + x]) {
        n++;
        if (x < x1) x1 = x;
        if (x >= x2) x2 = x + 1;
        if (y < y1) y1 = y;
        if (y >= y2) y2 = y + 1;
      }
  return n >= 4 * a.glyph * a.glyph ? { x1, y1, x2, y2 } : b;
}

/**
 * Word-like coloured or unassigned marks wholly in the side margin, a few lines tall: writing added by hand beside
 * the print (a stamp is pressed onto the text block; printed side notes are text and never reach this stage).
 */
function marginWriting(a: PageAnalysis, b: Box, v: Verdict, f: RegionFeatures): boolean {
  if (v.category !== "Stamp" && v.category !== "Image") return false;
  if (b.y2 - b.y1 > 6 * a.glyph || f.textComps + f.smallComps < 3 || f.toneFrac >= 0.5) return false;
  return inSideMargin(a, b);
}

/** A caption that names a category ("Map 3.", "Obr. 2: Půdorys") decides it for the drawn-figure family. */
function nameFromCaption(e: TracedElement, text: string): void {
  if (!CAPTION_DECIDES.has(e.category)) return;
  const named = categoryFromCaption(text);
  if (!named || named === e.category) return;
  e.category = named;
  e.categoryId = categoryId(named);
  e.confidence = Math.max(e.confidence, 0.5);
}

/**
 * Scanner artefacts: a dark strip along a page edge (book gutter, lid shadow, the platen beyond the page) touches
 * that edge and is thin across it, or runs along most of it.
 */
function isEdgeShadow(a: PageAnalysis, b: Box): boolean {
  const w = b.x2 - b.x1;
  const h = b.y2 - b.y1;
  const touchesSide = b.x1 <= 1 || b.x2 >= a.width - 1;
  const touchesTopBottom = b.y1 <= 1 || b.y2 >= a.height - 1;
  if (touchesSide && (w < 0.06 * a.width || (h > 0.8 * a.height && w < 0.12 * a.width))) return true;
  if (touchesTopBottom && (h < 0.04 * a.height || (w > 0.8 * a.width && h < 0.08 * a.height))) return true;
  return false;
}
