import type { RegionFeatures } from "./features.ts";
import type { CategoryLabel } from "./types.ts";

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
export function classify(f: RegionFeatures): Verdict {
  // too small to be a figure, or a thin strip: a rule, a stroke, a speck cluster
  if (f.wG < 1.2 || f.hG < 1.2 || f.wG * f.hG < 5) return { category: "Image", confidence: 0, keep: false };
  const hl = f.hLines.length;
  const vl = f.vLines.length;
  // photograph: continuous tone over almost the whole box
  if (f.toneFrac >= 0.8 && f.midFrac >= 0.3 && f.wG >= 4 && f.hG >= 4)
    return { category: "Photograph", confidence: 0.55 + 0.3 * Math.min(1, (f.toneFrac - 0.8) / 0.15), keep: true };
  // table: several full-width rules with text between them, no heavy tone
  const edgeH = f.hLines.filter((t) => t < 0.08 || t > 0.92).length;
  const innerH = hl - edgeH;
  if (hl >= 3 && f.toneFrac < 0.45 && f.textComps + f.smallComps >= 8 && (vl >= 2 || innerH >= 1))
    return { category: "Table", confidence: Math.min(0.8, 0.45 + 0.05 * hl + 0.05 * Math.min(vl, 3)), keep: true };
  // graph: an L of axes (left vertical + bottom horizontal line) and little else ruled
  const leftAxis = f.vLines.some((t) => t < 0.3);
  const bottomAxis = f.hLines.some((t) => t > 0.6);
  if (leftAxis && bottomAxis && hl <= 3 && f.toneFrac < 0.5 && f.wG >= 6 && f.hG >= 5)
    return { category: "Graph", confidence: 0.4, keep: true };
  // decorated initial: one dominant compact glyph, a few text lines tall
  if (f.largestShare >= 0.8 && f.hG >= 2 && f.hG <= 7 && f.wG >= 1.5 && f.wG <= 7 && near(f.wG / f.hG, 1, 0.6) && f.inkFrac >= 0.12)
    return { category: "Initial", confidence: 0.35, keep: true };
  // coloured ink over text: a stamp
  if (f.colourFrac >= 0.4 && f.textComps >= 10) return { category: "Stamp", confidence: 0.35, keep: true };
  const confidence = Math.min(0.6, 0.25 + 0.02 * Math.min(f.wG, f.hG) + 0.2 * Math.min(1, f.toneFrac / 0.3));
  return { category: "Image", confidence, keep: true };
}
