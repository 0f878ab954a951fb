/**
 * Reading text from an input ALTO or PAGE XML (docs/processor.md §3.2, pero-ocr semantics): page
 * size, layout id, and the text regions/lines the engines and the detector use.
 */
import type { Element } from "@xmldom/xmldom";
import { byLocal, num, parse } from "../../shared/xml-dom.ts";
import { categoryByLabel } from "../categories.ts";
import type { Point, TextLine, TextRegion } from "../layout.ts";

export interface LoadedText {
  layoutId: string;
  /** ALTO MeasurementUnit when given (`pixel`, `mm10`, `inch1200`). */
  measurementUnit?: string;
  width: number | null;
  height: number | null;
  regions: TextRegion[];
  /**
   * Non-text elements of a PAGE XML input: TextRegions without lines whose `custom` JSON names an element category
   * (`{"category": "Table", "detection_confidence": 0.7}`, as our PAGE output and pero-ocr write it). They become
   * element regions again when the PAGE XML replaces the layout (docs/processor.md §3.2.4), so a page round-trips.
   */
  elements?: { category: string; confidence: number | null; box: { x1: number; y1: number; x2: number; y2: number } }[];
}

function kids(parent: Element, local: string): Element[] {
  const out: Element[] = [];
  for (let c = parent.firstChild; c; c = c.nextSibling) if (c.nodeType === 1 && (c as Element).localName === local) out.push(c as Element);
  return out;
}

function rect(x: number, y: number, w: number, h: number): Point[] {
  return [
    [x, y],
    [x + w, y],
    [x + w, y + h],
    [x, y + h],
  ];
}

/** Text of an ALTO document (its TextBlocks below the first PrintSpace, at any depth). */
export function readAltoText(xml: string): LoadedText {
  const root = parse(xml, "input ALTO");
  const page = byLocal(root, "Layout").flatMap((l) => kids(l, "Page"))[0];
  if (!page) throw new Error("input ALTO has no Layout/Page element");
  const pageId = page.getAttribute("ID");
  if (!pageId) throw new Error("input ALTO Page has no ID attribute");
  const layoutId = pageId.slice(3);
  const w = num(page, "WIDTH"),
    h = num(page, "HEIGHT");
  const both = w !== null && h !== null;
  const ps = byLocal(page, "PrintSpace")[0];
  const regions: TextRegion[] = [];
  if (ps) {
    byLocal(ps, "TextBlock").forEach((tb, bi) => {
      const blockId = tb.getAttribute("ID") || `${layoutId}_Block${bi}`;
      const lines: TextLine[] = [];
      kids(tb, "TextLine").forEach((tl, li) => {
        const x = num(tl, "HPOS") ?? 0,
          y = num(tl, "VPOS") ?? 0,
          lw = num(tl, "WIDTH") ?? 0,
          lh = num(tl, "HEIGHT") ?? 0;
        const text = kids(tl, "String")
          .map((s) => s.getAttribute("CONTENT") ?? "")
          .join(" ");
        lines.push({
          id: tl.getAttribute("ID") || `${blockId}_Line${li}`,
          transcription: text,
          polygon: rect(x, y, lw, lh),
          baseline: parseBaseline(tl.getAttribute("BASELINE"), x, y, lw, lh),
        });
      });
      const x = num(tb, "HPOS") ?? 0,
        y = num(tb, "VPOS") ?? 0;
      regions.push({ kind: "text", id: blockId, polygon: rect(x, y, num(tb, "WIDTH") ?? 0, num(tb, "HEIGHT") ?? 0), lines });
    });
  }
  const unit = byLocal(root, "MeasurementUnit")[0]?.textContent?.trim() || undefined;
  return { layoutId, measurementUnit: unit, width: both ? Math.round(w!) : null, height: both ? Math.round(h!) : null, regions };
}

function parseBaseline(v: string | null, x: number, y: number, w: number, h: number): Point[] {
  if (v) {
    const pts = v
      .trim()
      .split(/\s+/)
      .map((p) => p.split(",").map(Number));
    if (pts.length >= 2 && pts.every((p) => p.length === 2 && p.every(Number.isFinite))) return pts as Point[];
    const single = Number(v);
    if (Number.isFinite(single))
      return [
        [x, single],
        [x + w, single],
      ]; // ALTO 2.x: a y value
  }
  return [
    [x, y + h],
    [x + w, y + h],
  ];
}

function points(v: string | null): Point[] {
  if (!v) return [];
  return v
    .trim()
    .split(/\s+/)
    .map((p) => p.split(",").map(Number) as Point)
    .filter((p) => p.length === 2 && p.every(Number.isFinite));
}

/** Text of a PAGE XML document (text regions and their lines; the layout id is the imageFilename). */
export function readPageXmlText(xml: string): LoadedText {
  const root = parse(xml, "input PAGE XML");
  const page = byLocal(root, "Page")[0];
  if (!page) throw new Error("input PAGE XML has no Page element");
  const regions: TextRegion[] = [];
  const elements: NonNullable<LoadedText["elements"]> = [];
  byLocal(page, "TextRegion").forEach((tr, ri) => {
    const id = tr.getAttribute("id") || `r${ri}`;
    const element = elementOf(tr);
    if (element) {
      elements.push(element);
      return;
    }
    const lines: TextLine[] = kids(tr, "TextLine").map((tl, li) => {
      const poly = points(kids(tl, "Coords")[0]?.getAttribute("points") ?? null);
      const base = points(kids(tl, "Baseline")[0]?.getAttribute("points") ?? null);
      const eq = kids(tl, "TextEquiv")[0];
      const text = eq ? (kids(eq, "Unicode")[0]?.textContent ?? "") : "";
      const ys = poly.map((p) => p[1]);
      const xs = poly.map((p) => p[0]);
      const fallback: Point[] = poly.length
        ? [
            [Math.min(...xs), Math.max(...ys)],
            [Math.max(...xs), Math.max(...ys)],
          ]
        : [];
      return { id: tl.getAttribute("id") || `${id}_l${li}`, transcription: text, polygon: poly, baseline: base.length ? base : fallback };
    });
    regions.push({ kind: "text", id, polygon: points(kids(tr, "Coords")[0]?.getAttribute("points") ?? null), lines });
  });
  const w = num(page, "imageWidth"),
    h = num(page, "imageHeight");
  return { layoutId: page.getAttribute("imageFilename") ?? "", width: w, height: h, regions, elements };
}

/** A TextRegion that is a non-text element: no TextLine, and a `custom` JSON whose category is an element category. */
function elementOf(tr: Element): NonNullable<LoadedText["elements"]>[number] | null {
  const custom = tr.getAttribute("custom");
  if (!custom || kids(tr, "TextLine").length > 0) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(custom);
  } catch {
    return null; // PAGE's own `custom` syntax (`structure {type:…}`), not pero-ocr's JSON
  }
  const category = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>).category : undefined;
  if (typeof category !== "string") return null;
  const info = categoryByLabel(category);
  if (!info) return null;
  const pts = points(kids(tr, "Coords")[0]?.getAttribute("points") ?? null);
  if (pts.length === 0) return null;
  const xs = pts.map((p) => p[0]),
    ys = pts.map((p) => p[1]);
  const box = { x1: Math.min(...xs), y1: Math.min(...ys), x2: Math.max(...xs), y2: Math.max(...ys) };
  if (box.x2 <= box.x1 || box.y2 <= box.y1) return null;
  const c = (doc as Record<string, unknown>).detection_confidence;
  return { category: info.label, confidence: typeof c === "number" ? c : null, box };
}
