/**
 * The detected elements of a result ALTO (as processor/alto/write.ts writes them, and the reference AnnoPage): each
 * `ComposedBlock` with a category TYPE, its box, and from the MODS of the LayoutTag it refers to (TAGREFS) the
 * detection confidence and caption; its OCR text is the text of the lines whose centre lies inside the box. Used by
 * the dashboard's page viewer (GET /v1/jobs/{id}/result/pages).
 */
import type { Element } from "@xmldom/xmldom";
import { byLocal, num, parse } from "./xml-dom.ts";

export interface AltoElement {
  id: string;
  category: string;
  confidence: number | null;
  caption: string | null;
  text: string;
  /** Pixels: left, top, width, height. */
  box: { x: number; y: number; w: number; h: number };
}

export interface AltoPageElements {
  width: number | null;
  height: number | null;
  elements: AltoElement[];
  /** Lines of text on the page (all TextLines). */
  lines: number;
}

const text = (e: Element | undefined) => (e?.textContent ?? "").replace(/\s+/g, " ").trim();

/** The English value among `els` (lang="eng"), else the first one with text; null without any. */
function preferEnglish(els: Element[]): string | null {
  const eng = els.find((e) => e.getAttribute("lang") === "eng" && text(e));
  const any = eng ?? els.find((e) => text(e));
  return any ? text(any) : null;
}

function modsOf(tag: Element | undefined) {
  if (!tag) return { confidence: null, caption: null };
  const note = byLocal(tag, "recordInfoNote").find((n) => n.getAttribute("type") === "confidence");
  const c = note ? Number(text(note)) : NaN;
  const captions = byLocal(tag, "abstract").filter((a) => a.getAttribute("type") === "caption");
  return { confidence: Number.isFinite(c) ? c : null, caption: preferEnglish(captions) };
}

function lineText(line: Element): string {
  return byLocal(line, "String")
    .map((s) => s.getAttribute("CONTENT") ?? "")
    .filter(Boolean)
    .join(" ");
}

export function readAltoElements(xml: string): AltoPageElements {
  const root = parse(xml, "ALTO");
  const page = byLocal(root, "Page")[0];
  const tags = new Map<string, Element>();
  for (const t of [...byLocal(root, "LayoutTag"), ...byLocal(root, "StructureTag")]) tags.set(t.getAttribute("ID") ?? "", t);
  const lines = byLocal(root, "TextLine").map((l) => ({
    el: l,
    cx: (num(l, "HPOS") ?? 0) + (num(l, "WIDTH") ?? 0) / 2,
    cy: (num(l, "VPOS") ?? 0) + (num(l, "HEIGHT") ?? 0) / 2,
    refs: (l.getAttribute("TAGREFS") ?? "").split(/\s+/).filter(Boolean),
  }));
  const elements: AltoElement[] = [];
  for (const cb of byLocal(root, "ComposedBlock")) {
    const category = cb.getAttribute("TYPE");
    if (!category) continue;
    const box = { x: num(cb, "HPOS") ?? 0, y: num(cb, "VPOS") ?? 0, w: num(cb, "WIDTH") ?? 0, h: num(cb, "HEIGHT") ?? 0 };
    const refs = (cb.getAttribute("TAGREFS") ?? "").split(/\s+/).filter(Boolean);
    const layoutTag = refs.map((r) => tags.get(r)).find((t) => t?.localName === "LayoutTag");
    const { confidence, caption } = modsOf(layoutTag);
    // Caption lines refer to a StructureTag of this element (`fc.<tag id>`); their text is the caption when MODS has none.
    const captionLines = refs.length ? lines.filter((l) => l.refs.some((r) => refs.some((own) => r === `fc.${own}`))) : [];
    const inside = lines.filter((l) => l.cx >= box.x && l.cx <= box.x + box.w && l.cy >= box.y && l.cy <= box.y + box.h);
    elements.push({
      id: cb.getAttribute("ID") ?? `element_${elements.length + 1}`,
      category,
      confidence,
      caption: caption ?? (captionLines.map((l) => lineText(l.el)).join(" ") || null),
      text: inside.map((l) => lineText(l.el)).join("\n"),
      box,
    });
  }
  return { width: page ? num(page, "WIDTH") : null, height: page ? num(page, "HEIGHT") : null, elements, lines: lines.length };
}
