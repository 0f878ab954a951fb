import type { RegionFeatures } from "./features.ts";
import type { CategoryLabel } from "./types.ts";

/**
 * The kind of a drawn figure that no specific rule claimed (no photograph tone, no chart axes, no table rules), from
 * how it is drawn rather than from any one picture:
 *
 * - how its thin strokes run (axisFrac): drafted drawings — walls, boxes, wiring — run along the axes; coastlines,
 *   circles and free line art do not;
 * - how much of it is words (textComps) and whether one connected frame holds most of the ink (largestShare):
 *   labelled boxes joined by connectors;
 * - pale fills and many small marks (paleFrac, smallComps): tinted areas with place marks and names.
 *
 * Returns undefined when the evidence is not clear (the caller keeps the generic "Image").
 */
export function drawingCategory(f: RegionFeatures): { category: CategoryLabel; confidence: number } | undefined {
  // a drawing, not continuous tone or a coloured picture
  if (f.toneFrac >= 0.5 || f.midFrac >= 0.35 || f.wG < 6 || f.hG < 6) return undefined;
  const area = f.wG * f.hG;
  const words = f.textComps;
  // a grid of cells full of words whose rules the line scan missed (broken or skewed rules); the words are not
  // hung on one connected frame as in a diagram
  if (
    f.axisFrac >= 0.6 &&
    words >= 40 &&
    words / area >= 0.05 &&
    f.largestShare < 0.5 &&
    f.colourFrac < 0.3 &&
    f.textCover < 0.3 &&
    f.toneFrac < 0.35
  )
    return { category: "Table", confidence: 0.45 };
  const lineArt = f.toneFrac < 0.25 && f.inkFrac < 0.15;
  // floor plan: nearly all strokes along the axes, walls running across the whole plan, room names inside
  if (lineArt && f.axisFrac >= 0.8 && f.hLines.length >= 2 && f.vLines.length >= 2 && words >= 3)
    return { category: "Floor plan", confidence: 0.4 };
  // diagram: labelled boxes joined by connectors — words inside one connected frame of thin lines
  if (lineArt && words >= 8 && words / area >= 0.005 && f.largestShare >= 0.6) return { category: "Diagram", confidence: 0.4 };
  // technical drawing: several separate drawn parts (a plate, a gear, a section) side by side, none dominating
  // map: names scattered over a line drawing of many separate pieces (coastlines, islands, borders)
  if (lineArt && f.bigComps >= 3 && f.largestShare < 0.5 && f.wordsInside >= 3) return { category: "Map", confidence: 0.35 };
  // (with few words: numbers of parts and dimensions)
  if (lineArt && f.bigComps >= 3 && f.largestShare < 0.5 && f.smallComps + words >= 5 && f.wordsInside <= 2)
    return { category: "Other technical drawing", confidence: 0.35 };
  // geometric drawing: sparse thin curves and lines with at most a few letter labels
  if (f.toneFrac < 0.15 && f.inkFrac < 0.08 && f.axisFrac < 0.35 && words <= 4 && f.smallComps <= 8 && f.wG >= 10 && f.hG >= 10)
    return { category: "Geometric drawing", confidence: 0.35 };
  // map: pale fills or pale lines that do not run along the axes, scattered with small marks and names
  // (not a drafted drawing of many separate parts: a wiring plan with shaded components)
  if (f.paleFrac >= 0.7 && (f.axisFrac < 0.7 || f.largestShare >= 0.5) && f.toneFrac >= 0.15 && f.smallComps + words >= 20)
    return { category: "Map", confidence: 0.35 };
  // technical drawing: drafted (axis-aligned) drawing of many separate small parts, shaded
  if (f.axisFrac >= 0.7 && f.largestShare < 0.5 && f.smallComps + words >= 30 && f.colourFrac < 0.3)
    return { category: "Other technical drawing", confidence: 0.35 };
  return undefined;
}
