import type { RegionFeatures } from "./features.ts";
import type { CategoryLabel } from "./types.ts";
import { drawingCategory } from "./drawings.ts";

export interface Verdict {
  category: CategoryLabel;
  confidence: number;
  /** false: not a non-text element after all (e.g. a lone rule, a text artefact) */
  keep: boolean;
}

const near = (v: number, target: number, tol: number) => Math.abs(v - target) <= tol;

/**
 * Decide the category from generic page evidence. Specific labels are given only on strong, specific evidence;
 * everything else is the generic "Image" with a confidence that reflects how clearly it is a non-text element.
 */
/** How the region was found: `ruled` = from a stack of horizontal rules with cell text between them. */
export interface Evidence {
  ruled?: boolean;
}

export function classify(f: RegionFeatures, evidence: Evidence = {}): Verdict {
  // too small to be a figure, or a thin strip: a rule, a stroke, a speck cluster
  if (f.wG < 1.2 || f.hG < 1.2 || f.wG * f.hG < 5) return { category: "Image", confidence: 0, keep: false };
  // a patch inside running text (touching letters, a smudge, an uncoloured overprint): not an element
  if (f.textCover >= 0.45 && !(f.colourFrac >= 0.18 && f.textComps >= 10)) return { category: "Image", confidence: 0, keep: false };
  const hl = f.hLines.length;
  const vl = f.vLines.length;
  // photograph: continuous tone over almost the whole box
  if (f.wG >= 4 && f.hG >= 4 && ((f.toneFrac >= 0.8 && f.midFrac >= 0.3) || (f.toneFrac >= 0.7 && f.midFrac >= 0.45)))
    return { category: "Photograph", confidence: 0.5 + 0.35 * Math.min(1, Math.max(0, f.toneFrac - 0.7) / 0.25), keep: true };
  // table: several full-width rules with text between them, no heavy tone
  // rules within about two glyph heights of the top or bottom edge frame the region; others divide it
  const edgeH = f.hLines.filter((t) => t * f.hG < 2 || (1 - t) * f.hG < 2).length;
  const innerH = hl - edgeH;
  // (printed tables are set in the text's ink: a coloured ruled picture is not called a table)
  // (and its cells hold words: a floor plan's walls or a drawing's dimension lines cross it as rules do, but its
  // few names and numbers are sparse)
  const wordDensity = f.textComps / (f.wG * f.hG);
  if (
    hl >= 3 &&
    f.toneFrac < 0.45 &&
    f.colourFrac < 0.3 &&
    f.textComps + f.smallComps >= 8 &&
    wordDensity >= 0.02 &&
    (vl >= 2 || innerH >= 1)
  )
    return { category: "Table", confidence: Math.min(0.8, 0.45 + 0.05 * hl + 0.05 * Math.min(vl, 3)), keep: true };
  // found as a stack of rules with cell text between them (hairline rules the line scan may miss)
  if (evidence.ruled && f.toneFrac < 0.3 && f.colourFrac < 0.3 && f.textComps + f.smallComps >= 12 && f.bigComps <= 2)
    return { category: "Table", confidence: 0.5, keep: true };
  // ornament row: several identical pieces repeated along a short, wide band
  const aspect = f.wG / f.hG;
  // (printer's ornaments are one cast repeated: nearly equal ink and shape; capitals of a heading vary more)
  const identical = f.tallRepeat >= 0.9 && f.tallAreaCv <= 0.12;
  if (aspect >= 5 && f.hG <= 8 && f.tallComps >= 4 && identical && f.textComps <= 2)
    return { category: "Frieze", confidence: 0.5, keep: true };
  // large type (headings, titles): a row of differently shaped glyphs set close together
  if (
    f.tallComps >= 3 &&
    f.hG <= 12 &&
    aspect >= 2 &&
    ((f.tallGapRatio < 0.45 && f.tallRepeat < 0.6) || (f.tallGapRatio < 0.6 && !identical))
  )
    return { category: "Image", confidence: 0, keep: false };
  // vignette: a small, mirror-symmetric ornament of a few heavy pieces, free of text
  // (one connected ornament must be clearly mirror-symmetric; a few pieces less so)
  if (
    aspect >= 1.8 &&
    aspect < 8 &&
    f.hG <= 10 &&
    f.symmetry >= (f.tallComps >= 2 ? 0.45 : 0.7) &&
    f.tallComps >= 1 &&
    f.tallComps <= 5 &&
    f.textComps <= 2 &&
    f.inkFrac >= 0.15
  )
    return { category: "Vignette", confidence: 0.4, keep: true };
  // decorated initial: one dominant compact glyph a few lines tall, with text lines running on to its right
  // (a framed or ornamented letter is two or more pieces: then three lines must run on beside it, and no words inside)
  const onePiece = f.largestShare >= 0.8 && f.linesRight >= 2;
  const framed = f.largestShare >= 0.5 && f.linesRight >= 3 && f.textComps <= 2;
  if ((onePiece || framed) && f.hG >= 2 && f.hG <= 10 && near(f.wG / f.hG, 1, 0.6) && f.inkFrac >= 0.12)
    return { category: "Initial", confidence: 0.45, keep: true };
  // graph: value labels lined up along a bottom axis and beside a left axis
  const labels = Math.min(f.labelsBelowAxis, f.labelsLeftOfAxis) >= 2 && f.labelsBelowAxis + f.labelsLeftOfAxis >= 5;
  // (not over running text: a framed stamp's edge and the words around it look like an axis with labels)
  if (labels && f.toneFrac < 0.5 && f.wG >= 6 && f.hG >= 5 && f.textCover < 0.25)
    return { category: "Graph", confidence: 0.45, keep: true };
  // small or thin pieces wedged into running text without specific evidence: fragments of touching letters,
  // smudges, uncoloured overprints
  if (f.linesBeside >= 1 && (Math.max(f.wG, f.hG) < 6 || Math.min(f.wG, f.hG) < 3) && !(f.colourFrac >= 0.18 && f.textComps >= 10))
    return { category: "Image", confidence: 0, keep: false };
  // coloured ink over text: a stamp
  // (running text passes under a stamp; a coloured figure's own labels cover little of it)
  if (f.colourFrac >= 0.18 && f.textComps >= 10 && f.toneFrac < 0.4 && f.textCover >= 0.2)
    return { category: "Stamp", confidence: 0.35, keep: true };
  // never below 0.3: AnnoPage configs commonly use DETECTION_THRESHOLD 0.283
  const drawn = drawingCategory(f);
  if (drawn) return { ...drawn, confidence: Math.max(0.3, drawn.confidence), keep: true };
  const confidence = Math.min(0.6, 0.3 + 0.015 * Math.min(f.wG, f.hG) + 0.15 * Math.min(1, f.toneFrac / 0.3));
  return { category: "Image", confidence, keep: true };
}
